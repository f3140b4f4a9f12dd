/**
 * git's lock files (`<file>.lock` beside the file a git process is rewriting), as a crash or a
 * killed git leaves them behind. One on the branch makes every later update of that ref fail
 * ("cannot lock ref"); git never removes one it did not create. A lock is stale when no live
 * process holds it open: git keeps a lock's descriptor open while it writes it (a ref update
 * closes it only for the instant between writing the new value and renaming it into place),
 * so this is for a repository nobody else writes, such as the audit repository under the
 * engine's data-directory lock.
 */
import { existsSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { filesHeldOpen } from '../exec/exec.js';

const TOP_LEVEL = ['HEAD.lock', 'packed-refs.lock', 'index.lock', 'config.lock', 'shallow.lock'];

/**
 * Removes the lock files of `gitDir` (top level, and under refs/) that no process holds open.
 * Returns what it removed, and what it left because a process holds it (or, without /proc,
 * because nobody can tell), as paths inside the repository.
 */
export function removeStaleLocks(gitDir: string): { removed: string[]; held: string[] } {
  if (!existsSync(gitDir)) return { removed: [], held: [] };
  const root = realpathSync(gitDir);
  const locks = [...TOP_LEVEL.map((name) => join(root, name)).filter((path) => existsSync(path)), ...refLocks(join(root, 'refs'))];
  if (locks.length === 0) return { removed: [], held: [] };
  const open = filesHeldOpen(locks);
  const removed: string[] = [];
  const held: string[] = [];
  for (const path of locks) {
    if (open === null || open.has(path)) {
      held.push(relative(root, path));
      continue;
    }
    rmSync(path, { force: true });
    removed.push(relative(root, path));
  }
  return { removed, held };
}

function refLocks(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.lock'))
    .map((entry) => join(entry.parentPath, entry.name));
}
