import { closeSync, existsSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { initBare, openGit } from '../../../engine/git/git.js';
import { removeStaleLocks } from '../../../engine/git/locks.js';
import { gitSandbox } from '../../helpers/git.js';

const sandbox = gitSandbox('homeostat-locks-');
const fds: number[] = [];
afterEach(() => {
  for (const fd of fds.splice(0)) closeSync(fd);
});

describe('removeStaleLocks', () => {
  it('removes the git lock files no process holds open, and keeps one a live process holds', async () => {
    const git = openGit(sandbox.path('repo'));
    await initBare(git, 'main');
    mkdirSync(join(git.dir, 'refs', 'heads', 'team'), { recursive: true });
    const stale = ['HEAD.lock', 'packed-refs.lock', 'config.lock', 'refs/heads/main.lock', 'refs/heads/team/fix.lock'];
    for (const lock of stale) writeFileSync(join(git.dir, lock), '');
    // Held open by this process, as a git at work holds its lock.
    fds.push(openSync(join(git.dir, 'refs', 'heads', 'busy.lock'), 'w'));
    writeFileSync(join(git.dir, 'refs', 'heads', 'not-a-lock'), '');

    const result = removeStaleLocks(git.dir);
    expect(result.removed.sort()).toEqual([...stale].sort());
    expect(result.held).toEqual(['refs/heads/busy.lock']);
    for (const lock of stale) expect(existsSync(join(git.dir, lock))).toBe(false);
    expect(existsSync(join(git.dir, 'refs', 'heads', 'busy.lock'))).toBe(true);
    expect(existsSync(join(git.dir, 'refs', 'heads', 'not-a-lock'))).toBe(true);
  });

  it('finds nothing to do where there is no repository', () => {
    expect(removeStaleLocks(join(sandbox.root, 'nothing-here'))).toEqual({ removed: [], held: [] });
  });
});
