import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileLockError, tryLockFile } from '../../../engine/exec/exec.js';
import type { HeldLock } from '../../../engine/exec/exec.js';
import { requireCommand } from '../../helpers/processes.js';

let dir: string;
const held: HeldLock[] = [];

beforeEach(() => {
  requireCommand('flock', 'util-linux');
  dir = mkdtempSync(join(tmpdir(), 'homeostat-file-lock-'));
});

afterEach(async () => {
  await Promise.all(held.splice(0).map((lock) => lock.release()));
  rmSync(dir, { recursive: true, force: true });
});

/** Whether flock(1) from the shell could take the lock now (it gives it back at once). */
function freeForFlock(file: string): boolean {
  return spawnSync('flock', ['--nonblock', file, 'true']).status === 0;
}

describe('tryLockFile', () => {
  it('holds the flock(1) lock until released; meanwhile nobody else gets it', async () => {
    const file = join(dir, '.lock');
    const lock = await tryLockFile(file, dir);
    expect(lock).not.toBeNull();
    held.push(lock!);
    expect(await tryLockFile(file, dir)).toBeNull();
    expect(freeForFlock(file)).toBe(false);

    await lock!.release();
    expect(freeForFlock(file)).toBe(true);
    const again = await tryLockFile(file, dir);
    expect(again).not.toBeNull();
    held.push(again!);
  });

  it('says why when the file cannot be opened', async () => {
    await expect(tryLockFile(join(dir, 'no-such-dir', '.lock'), dir)).rejects.toThrow(FileLockError);
    await expect(tryLockFile(join(dir, 'no-such-dir', '.lock'), dir)).rejects.toThrow(/^cannot lock .*no-such-dir\/\.lock: flock: cannot open lock file .*: No such file or directory$/);
  });
});
