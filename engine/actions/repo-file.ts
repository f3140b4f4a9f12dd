/**
 * A file of the policy repository that a child will run or read. The path is checked both as
 * written (no way out through '..') and as resolved (no way out through a symlink), and the
 * resolved path is what runs, so the file checked is the file used.
 */
import { realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';

export type RepoFile = { ok: true; path: string } | { ok: false; reason: string };

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/**
 * `what` names the file in reasons: 'playbook', 'inventory', 'script'. An Ansible inventory
 * may be a directory: `directory` allows one.
 */
export function resolveRepoFile(repoDir: string, path: unknown, what: string, { directory = false } = {}): RepoFile {
  if (typeof path !== 'string' || path === '') return { ok: false, reason: `${what} path is missing` };
  if (isAbsolute(path)) return { ok: false, reason: `${what} ${path} is not a path inside the repository` };
  if (!inside(resolve(repoDir), resolve(repoDir, path))) return { ok: false, reason: `${what} ${path} is outside the repository` };
  let root: string;
  let real: string;
  try {
    root = realpathSync(repoDir);
    real = realpathSync(resolve(repoDir, path));
  } catch {
    return { ok: false, reason: `${what} ${path} does not exist in the repository` };
  }
  if (!inside(root, real)) return { ok: false, reason: `${what} ${path} resolves outside the repository (through a symlink)` };
  const stat = statSync(real);
  if (!stat.isFile() && !(directory && stat.isDirectory())) return { ok: false, reason: `${what} ${path} is not a file` };
  return { ok: true, path: real };
}
