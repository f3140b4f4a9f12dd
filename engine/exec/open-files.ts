/**
 * Which files some live process holds open, read from /proc/PID/fd (Linux): how the owner of a
 * lock file that a crash may have left behind is told apart from one still at work.
 */
import { existsSync, readdirSync, readlinkSync } from 'node:fs';

/**
 * Those of `paths` (absolute, symlinks resolved) that a process has open; null without /proc,
 * when nobody can tell. Processes whose descriptors cannot be read (another user's, when not
 * root) are not seen.
 */
export function filesHeldOpen(paths: readonly string[]): Set<string> | null {
  if (!existsSync('/proc/self/fd')) return null;
  const wanted = new Set(paths);
  const held = new Set<string>();
  for (const pid of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(pid)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone meanwhile, or not ours to read
    }
    for (const fd of fds) {
      try {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        if (wanted.has(target)) held.add(target);
      } catch {
        // closed meanwhile
      }
    }
  }
  return held;
}
