/**
 * Where a policy repository stands, from the folder a user named, on disk or in a git tree:
 * a folder holding rules/ is the root; otherwise the folder is the rules folder itself, and
 * the root is its nearest ancestor that marks a repository (homeostat.yaml beside it, or the
 * top of the repository), else its parent. One rule for both, so a directory and a revision
 * of it are read alike.
 */
export interface Folders {
  holdsRules(dir: string): boolean;
  /** Whether a folder is a repository's root: it holds homeostat.yaml, or it is the top. */
  marksRoot(dir: string): boolean;
  /** The folder above, or null at the top. */
  parent(dir: string): string | null;
}

export function rootOf(dir: string, folders: Folders): { root: string; holdsRules: boolean } {
  if (folders.holdsRules(dir)) return { root: dir, holdsRules: true };
  const above = folders.parent(dir);
  for (let up = above; up !== null; up = folders.parent(up)) if (folders.marksRoot(up)) return { root: up, holdsRules: false };
  return { root: above ?? dir, holdsRules: false };
}

/**
 * Whether a folder under the rules folder is searched for policy files: not a hidden one, and
 * not node_modules (DIR may be a project's own folder when it holds no rules/).
 */
export function isWalkedFolder(name: string): boolean {
  return !name.startsWith('.') && name !== 'node_modules';
}
