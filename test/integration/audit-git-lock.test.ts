/**
 * A git lock on the audit branch while the engine runs (an operator's git, a crashed one):
 * fast-import cannot move the branch and says `error: cannot lock ref`. That is a failed
 * commit: the engine is not ready and says why, no action starts (it waits for its intent to
 * be committed); once the lock goes, the same entries are committed on the branch's real
 * head and the action runs. Nothing is lost or left off the branch.
 */
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { payload, removeTestEngine, startTestEngine, waitFor } from '../helpers/engine.js';
import type { TestEngine } from '../helpers/engine.js';
import { runCli } from '../e2e/run-cli.js';
import { scriptRepo } from '../helpers/serve.js';

const MARK_SCRIPT = `#!/bin/sh
echo "$1" >> "$OUT"
`;

let t: TestEngine | undefined;
let held: number | null = null;
let scratch: string | undefined;
afterEach(async () => {
  if (held !== null) closeSync(held);
  held = null;
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  scratch = undefined;
  if (t) {
    await t.close();
    removeTestEngine(t);
  }
  t = undefined;
});

describe('a git lock on the audit branch', () => {
  it('fails the commits: not ready with the reason, no action starts; when it goes, every entry is committed and the action runs', async () => {
    scratch = mkdtempSync(join(tmpdir(), 'homeostat-git-lock-'));
    const out = join(scratch, 'marks.txt');
    t = await startTestEngine({ files: scriptRepo('mark', 'Mark', MARK_SCRIPT, { env: { OUT: out } }) });
    const engine = t;
    const lock = join(engine.dataDir, 'audit', 'refs', 'heads', 'main.lock');
    held = openSync(lock, 'wx'); // held open by a live process, as a running git holds it
    const head = engine.git('rev-parse', 'main').trim();

    expect((await engine.post(payload({ alertname: 'Mark', host: 'web-1' }))).statusCode).toBe(202);
    const readiness = await waitFor(async () => {
      const response = await engine.app.inject({ method: 'GET', url: '/readyz' });
      return response.statusCode === 503 && (response.json() as { reasons: string[] });
    }, 'readiness to say the audit cannot be committed');
    expect(readiness.reasons).toEqual([expect.stringMatching(/^cannot commit to the audit repository: git fast-import failed: error: cannot lock ref 'refs\/heads\/main'.*; no action runs until the audit can be written$/)]);
    expect(existsSync(out)).toBe(false);
    expect(engine.engine.status().queue.running + engine.engine.status().queue.waiting).toBe(1);
    expect(engine.git('rev-parse', 'main').trim()).toBe(head);

    closeSync(held);
    held = null;
    rmSync(lock);
    await waitFor(() => existsSync(out) && /^succeeded: mark\/mark/m.test(engine.git('log', '--format=%s', 'main')), 'the action to run and its outcome to be committed', 30_000);
    expect(readFileSync(out, 'utf8')).toBe('web-1\n');
    expect((await engine.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    // Built on the real head: the commits before the lock are all there, in one line of history.
    expect(engine.git('merge-base', '--is-ancestor', head, 'main')).toBe('');
    expect(engine.git('log', '--format=%s', 'main').split('\n').filter((s) => /^(intent|succeeded): mark\/mark/.test(s))).toHaveLength(2);
    execFileSync('git', ['-C', join(engine.dataDir, 'audit'), 'fsck', '--no-dangling', '--no-progress'], { encoding: 'utf8' });
    const verify = runCli(['audit', 'verify', '--data-dir', engine.dataDir]);
    expect(verify.stderr).toBe('');
    expect(verify.status).toBe(0);
  }, 60_000);
});
