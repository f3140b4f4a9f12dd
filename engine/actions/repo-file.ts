/**
 * A file of the policy repository that a child will run or read. The path is checked both as
 * written (no way out through '..') and as resolved (no way out through a symlink), and the
 * resolved path is what runs, so the file checked is the file used.
 */
import { realpathSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { isInside } from '../util/paths.js';

export type RepoFile = { ok: true; path: string } | { ok: false; reason: string };

/**
 * `what` names the file in reasons: 'playbook', 'inventory', 'script'. An Ansible inventory
 * may be a directory: `directory` allows one.
 */
export function resolveRepoFile(repoDir: string, path: unknown, what: string, { directory = false } = {}): RepoFile {
  if (typeof path !== 'string' || path === '') return { ok: false, reason: `${what} path is missing` };
  if (isAbsolute(path)) return { ok: false, reason: `${what} ${path} is not a path inside the repository` };
  if (!isInside(resolve(repoDir), resolve(repoDir, path))) return { ok: false, reason: `${what} ${path} is outside the repository` };
  let root: string;
  let real: string;
  try {
    root = realpathSync(repoDir);
    real = realpathSync(resolve(repoDir, path));
  } catch {
    return { ok: false, reason: `${what} ${path} does not exist in the repository` };
  }
  if (!isInside(root, real)) return { ok: false, reason: `${what} ${path} resolves outside the repository (through a symlink)` };
  const stat = statSync(real);
  if (!stat.isFile() && !(directory && stat.isDirectory())) return { ok: false, reason: `${what} ${path} is not a file` };
  return { ok: true, path: real };
}
