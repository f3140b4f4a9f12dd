/**
 * `homeostat audit log|show|verify` (the built binary) write nothing into the audit repository:
 * an engine may be committing there at the same time. Checked by every file and folder of the
 * repository (inode, size, change and modification times: a lock file created and removed
 * again changes its folder's times), so it holds as root too, where a read-only chmod would not.
 */
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { payload, removeTestEngine, startTestEngine, waitFor } from '../helpers/engine.js';
import type { TestEngine } from '../helpers/engine.js';
import { ECHO_REPO } from '../helpers/echo-policy.js';
import { runCli } from './run-cli.js';

let t: TestEngine;
let ranId: string;

beforeAll(async () => {
  t = await startTestEngine({ files: ECHO_REPO });
  expect((await t.post(payload({ alertname: 'Echo', host: 'web-1' }))).statusCode).toBe(202);
  ranId = await waitFor(() => t.engine.recent.list({ outcome: 'succeeded' })[0]?.id, 'the action to end');
  await t.close();
});

afterAll(() => removeTestEngine(t));

/** Every path of the directory, with what a write to it or in it would change. */
function snapshot(dir: string): Record<string, string> {
  const paths = ['.', ...(readdirSync(dir, { recursive: true }) as string[])].sort();
  return Object.fromEntries(paths.map((path) => {
    const s = lstatSync(join(dir, path), { bigint: true });
    return [path, `${s.ino} ${s.size} ${s.mtimeNs} ${s.ctimeNs}`];
  }));
}

const cli = (...args: string[]) => runCli(['audit', ...args, '--data-dir', t.dataDir]);

describe('homeostat audit on a repository it must not write', () => {
  it('log, show and verify leave every file and folder of the audit repository as it was', () => {
    const audit = join(t.dataDir, 'audit');
    const before = snapshot(audit);
    expect(cli('log')).toMatchObject({ status: 0, stdout: expect.stringContaining(ranId) });
    expect(cli('show', ranId)).toMatchObject({ status: 0, stdout: expect.stringContaining(`"id": "${ranId}"`) });
    expect(cli('verify')).toMatchObject({ status: 0, stdout: expect.stringMatching(/^ok: /) });
    expect(snapshot(audit)).toEqual(before);
  });

  it('name a branch the repository lacks instead of creating it', () => {
    const audit = join(t.dataDir, 'audit');
    const before = snapshot(audit);
    const result = cli('log', '--branch', 'nosuch');
    expect({ status: result.status, stdout: result.stdout }).toEqual({ status: 2, stdout: '' });
    expect(result.stderr).toBe(`homeostat: ${audit} has no branch nosuch; give the engine's --data-dir and audit --branch\n`);
    expect(snapshot(audit)).toEqual(before);
  });
});
