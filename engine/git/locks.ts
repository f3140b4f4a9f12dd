/**
 * What a crashed or killed git leaves in a repository. Its lock files (`<file>.lock` beside the
 * file a git process is rewriting): one on the branch makes every later update of that ref fail
 * ("cannot lock ref"); git never removes one it did not create. A lock is stale when no live
 * process holds it open: git keeps a lock's descriptor open while it writes it (a ref update
 * closes it only for the instant between writing the new value and renaming it into place),
 * so this is for a repository nobody else writes, such as the audit repository under the
 * engine's data-directory lock. And the crash reports a failed `git fast-import` writes beside
 * them (fast_import_crash_<pid>), which nothing reads or removes.
 */
import { closeSync, existsSync, openSync, readdirSync, readSync, realpathSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { filesHeldOpen } from '../exec/exec.js';

const TOP_LEVEL = ['HEAD.lock', 'packed-refs.lock', 'index.lock', 'config.lock', 'shallow.lock'];

/**
 * Removes the lock files of `gitDir` (top level, and under refs/) that no process holds open.
 * Returns what it removed, and what it left because a process holds it (or, without /proc,
 * because nobody can tell; or because another user's process made it, whose descriptors this
 * one may not see), as paths inside the repository.
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
    if (open === null || open.has(path) || !ownLock(path)) {
      held.push(relative(root, path));
      continue;
    }
    rmSync(path, { force: true });
    removed.push(relative(root, path));
  }
  return { removed, held };
}

/** Made by a process of this user: one whose open descriptors /proc shows this process. */
function ownLock(path: string): boolean {
  const uid = process.getuid?.();
  if (uid === undefined || uid === 0) return true; // root sees every process's descriptors
  try {
    return statSync(path).uid === uid;
  } catch {
    return true; // gone meanwhile: nothing to keep
  }
}

export interface CrashReport {
  /** The file's name, in the repository's top folder. */
  file: string;
  /** Its `fatal:` line, git's reason for the crash (null if it has none). */
  fatal: string | null;
}

const CRASH_REPORT = /^fast_import_crash_[0-9]+$/;

/**
 * Removes the crash reports of `gitDir` and returns each one's name and fatal line, for the
 * log. Call it only where no fast-import of this repository can be running.
 */
export function removeCrashReports(gitDir: string): CrashReport[] {
  if (!existsSync(gitDir)) return [];
  const root = realpathSync(gitDir);
  return readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isFile() && CRASH_REPORT.test(entry.name))
    .map((entry) => {
      const path = join(root, entry.name);
      const fatal = fatalLine(path);
      rmSync(path, { force: true });
      return { file: entry.name, fatal };
    });
}

/** A report's head holds the fatal line; the rest (every mark, for a large import) can run to megabytes. */
const REPORT_HEAD_BYTES = 4096;

function fatalLine(path: string): string | null {
  let fd: number | null = null;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.alloc(REPORT_HEAD_BYTES);
    const text = head.subarray(0, readSync(fd, head, 0, head.length, 0)).toString('utf8');
    return text.split('\n').find((l) => l.startsWith('fatal: '))?.slice('fatal: '.length) ?? null;
  } catch {
    return null;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

function refLocks(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.lock'))
    .map((entry) => join(entry.parentPath, entry.name));
}
