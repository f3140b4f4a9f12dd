/**
 * Git lock files a crash left in the audit repository, against the built `homeostat serve`:
 * at start-up each one that no process holds open is removed and logged, `git fsck` passes,
 * and the entries of the new run are committed.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { payload, waitFor, writeRepo } from '../helpers/engine.js';
import { freePort } from '../helpers/processes.js';
import type { Spawned } from '../helpers/processes.js';
import { scriptRepo, serveReady } from '../helpers/serve.js';
import { runCli } from './run-cli.js';

const TOKEN = 'audit-lock-token-0123456789abcdef';
const STALE = ['HEAD.lock', 'packed-refs.lock', 'refs/heads/main.lock'];

let root: string;
let spawned: Spawned[] = [];

async function serve(): Promise<{ engine: Spawned; url: string }> {
  return serveReady(await freePort(), ['--policies', join(root, 'repo'), '--data-dir', join(root, 'data')], { HOMEOSTAT_WEBHOOK_TOKEN: TOKEN }, root, (engine) => spawned.push(engine));
}

async function noteRun(url: string, host: string): Promise<void> {
  const response = await fetch(`${url}/api/v1/alerts`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: JSON.stringify(payload({ alertname: 'Note', host })) });
  expect(response.status).toBe(202);
  await waitFor(() => auditGit('log', '--format=%s', 'main').includes(`succeeded: note/note (script) on ${host}`), `the outcome commit on ${host}`);
}

function auditGit(...args: string[]): string {
  return execFileSync('git', ['-C', join(root, 'data', 'audit'), ...args], { encoding: 'utf8' });
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'homeostat-audit-lock-'));
  writeRepo(join(root, 'repo'), scriptRepo('note', 'Note', '#!/bin/sh\necho "$1"\n'));
});

afterEach(async () => {
  for (const p of spawned) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await Promise.all(spawned.map((p) => p.exited));
  spawned = [];
  rmSync(root, { recursive: true, force: true });
});

describe('stale git locks in the audit repository', () => {
  it('are removed at start-up with a log line each; fsck passes and the new entries are committed', async () => {
    const first = await serve();
    await noteRun(first.url, 'before');
    first.engine.child.kill('SIGKILL');
    await first.engine.exited;
    // What a git killed in the middle of its work leaves: lock files nobody holds.
    for (const lock of STALE) writeFileSync(join(root, 'data', 'audit', lock), '');

    const second = await serve();
    for (const lock of STALE) {
      expect(existsSync(join(root, 'data', 'audit', lock))).toBe(false);
      expect(second.engine.output()).toContain(`"file":"${lock}","msg":"stale git lock removed from the audit repository (no process held it)"`);
    }
    await noteRun(second.url, 'after');
    auditGit('fsck', '--no-progress');
    const verify = runCli(['audit', 'verify', '--data-dir', join(root, 'data')]);
    expect(verify.stderr).toBe('');
    expect(verify.status).toBe(0);
  }, 120_000);
});
