/**
 * One engine per data directory. Two engines on one journal and one audit repository would
 * end each other's runs as "interrupted", delete each other's journal files and run the same
 * alert twice. The engine holds an OS lock on DATA/.lock (engine/exec/file-lock.ts) before it
 * touches anything else in the directory; the lock dies with the process, kill -9 included.
 * The file also names the holder's pid, for the message a second engine prints; it is never
 * removed (a new file would be a new lock).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { EngineConfig } from '../config/serve-config.js';
import { tryLockFile } from '../exec/exec.js';
import type { HeldLock } from '../exec/exec.js';
import { removeCrashReports, removeStaleLocks } from '../git/locks.js';
import { locateRepository } from '../load/read-dir.js';

const LOCK_FILE = '.lock';

export class DataDirInUseError extends Error {}

/**
 * How long a lock held by no running engine is tried again: an engine that has just taken it
 * writes its pid a moment later, and one that has just died releases it a moment later.
 */
const SETTLE_MS = 1_000;
const RETRY_MS = 50;

/**
 * What the engine does before it reads or writes anything in the data directory: check what
 * can be checked (a start that fails then leaves no trace there), lock the directory, and
 * remove the git locks a crash left in the audit repository, which would fail every commit
 * (under the lock no other engine writes there), and the crash reports of a failed fast-import.
 */
export async function claimDataDir(config: EngineConfig, log: Logger): Promise<HeldLock> {
  if (config.source.kind === 'directory') locateRepository(config.source.dir);
  const lock = await lockDataDir(config.dataDir);
  const auditDir = join(config.dataDir, 'audit');
  try {
    const gitLocks = removeStaleLocks(auditDir);
    for (const file of gitLocks.removed) log.warn({ dir: auditDir, file }, 'stale git lock removed from the audit repository (no process held it)');
    for (const file of gitLocks.held) log.warn({ dir: auditDir, file }, 'git lock in the audit repository held by a running process; audit commits fail until it is released');
    // A fast-import that failed left its report; what it was writing is in the journal, and is committed again.
    for (const report of removeCrashReports(auditDir)) log.warn({ dir: auditDir, ...report }, 'git fast-import crash report removed from the audit repository (the journal holds every entry)');
  } catch (error) {
    await lock.release();
    throw error;
  }
  return lock;
}

/** Creates the directory if needed and locks it; throws DataDirInUseError when another process holds it. */
async function lockDataDir(dir: string): Promise<HeldLock> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, LOCK_FILE);
  const deadline = Date.now() + SETTLE_MS;
  for (;;) {
    const lock = await tryLockFile(file, dir);
    if (lock) {
      writeHolder(file);
      return lock;
    }
    const holder = Number.parseInt(readText(file), 10);
    if (holder > 0 && running(holder)) throw new DataDirInUseError(`${dir} is in use by another homeostat engine (pid ${holder}); stop it, or give this one another --data-dir`);
    if (Date.now() > deadline) throw new DataDirInUseError(`${dir} is locked by another process (a flock on ${file}, which names no running engine); stop it, or give this engine another --data-dir`);
    await sleep(RETRY_MS);
  }
}

/** Names this process in the lock file: only for another engine's message, so a full disk does not stop the start. */
function writeHolder(file: string): void {
  try {
    writeFileSync(file, `${process.pid}\n`);
  } catch {
    // the file then names no running engine, and a second one says so
  }
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
