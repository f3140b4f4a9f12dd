/**
 * What survives a crash, against the built `homeostat serve` and the real ansible-playbook:
 * `kill -9` of the engine while a playbook runs leaves its process group running; the restart
 * ends that group through the journal, records the action as interrupted and does not run it
 * again. A playbook that hangs is killed at its timeout, grandchildren included. SIGTERM lets
 * the engine stop cleanly with exit code 0.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { packageRoot } from '../../engine/util/package-root.js';
import { running as processRunning } from '../fixtures/exec/processes.js';
import { payload, waitFor, writeRepo } from '../helpers/engine.js';
import { freePort, requireCommand, spawnServe, untilHttpOk } from '../helpers/processes.js';
import type { Spawned } from '../helpers/processes.js';

const TOKEN = 'crash-webhook-token-0123456789ab';
let root: string;
let port: number;
let running: Spawned[] = [];

/** Running, not merely waiting to be reaped (PID 1 reaps orphans in its own time). */
const alive = processRunning;

function hangPolicy(timeout: string): string {
  return `apiVersion: homeostat/v1
kind: Policy
metadata: { name: hang }
spec:
  match: { alertname: Hang }
  target: localhost
  actions:
    - name: hang
      ansible:
        playbook: playbooks/hang.yml
        extraVars: { count: '${join(root, 'count')}', pidfile: '${join(root, 'sleep.pid')}' }
      timeout: ${timeout}
`;
}

async function serve(): Promise<Spawned> {
  const engine = spawnServe(['--policies', join(root, 'repo'), '--data-dir', join(root, 'data'), '--listen', `127.0.0.1:${port}`, '--shutdown-timeout', '2s'], { HOMEOSTAT_WEBHOOK_TOKEN: TOKEN }, root);
  running.push(engine);
  await untilHttpOk(`http://127.0.0.1:${port}/readyz`, 'the engine to be ready').catch((error: Error) => {
    throw new Error(`${error.message}\n${engine.output()}`);
  });
  return engine;
}

async function post(body: unknown): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}/api/v1/alerts`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: JSON.stringify(body) });
  return response.status;
}

function auditLog(): string {
  return execFileSync('git', ['-C', join(root, 'data', 'audit'), 'log', '--format=%s', 'main'], { encoding: 'utf8' });
}

function setup(timeout: string): void {
  writeRepo(join(root, 'repo'), { 'rules/hang.yaml': hangPolicy(timeout) });
  mkdirSync(join(root, 'repo', 'playbooks'), { recursive: true });
  copyFileSync(join(packageRoot(), 'test/fixtures/serve/hang.yml'), join(root, 'repo/playbooks/hang.yml'));
}

beforeEach(async () => {
  requireCommand('ansible-playbook', 'ansible-core');
  root = mkdtempSync(join(tmpdir(), 'homeostat-crash-'));
  port = await freePort();
});

afterEach(async () => {
  for (const p of running) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await Promise.all(running.map((p) => p.exited));
  running = [];
  const pidfile = join(root, 'sleep.pid');
  if (existsSync(pidfile)) {
    const pid = Number(readFileSync(pidfile, 'utf8'));
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
  rmSync(root, { recursive: true, force: true });
});

describe('crash and restart', () => {
  it('ends the process group of a run cut short by kill -9, records it interrupted, and never re-runs it', async () => {
    setup('10m');
    const first = await serve();
    expect(await post(payload({ alertname: 'Hang' }))).toBe(202);
    const sleepPid = await waitFor(() => existsSync(join(root, 'sleep.pid')) && Number(readFileSync(join(root, 'sleep.pid'), 'utf8')) || undefined, 'the playbook to start its sleep', 60_000);
    first.child.kill('SIGKILL');
    await first.exited;
    expect(alive(sleepPid)).toBe(true); // the run outlived the engine: the restart must end it

    const second = await serve();
    await waitFor(() => !alive(sleepPid), 'the restart to end the orphaned run');
    await waitFor(() => auditLog().includes('interrupted: hang/hang'), `the interrupted commit\n${second.output()}`);
    expect(auditLog()).toMatch(/recovered: 1 action interrupted/);
    expect(readFileSync(join(root, 'count'), 'utf8')).toBe('run\n');
    // Re-sending the alert does not run it again either: it was decided before the crash.
    expect(await post(payload({ alertname: 'Hang' }))).toBe(202);
    const actions = await (await fetch(`http://127.0.0.1:${port}/api/v1/actions`)).json() as { actions: { outcome: string | null }[] };
    expect(actions.actions.map((a) => a.outcome)).toEqual(['interrupted']);
    expect(readFileSync(join(root, 'count'), 'utf8')).toBe('run\n');
  }, 120_000);

  it('kills a hanging playbook at its timeout, grandchildren included, and audits timed_out', async () => {
    // Long enough for ansible-playbook to reach its sleep on a loaded machine: the test is
    // about what happens at the timeout, not about how soon it comes.
    setup('20s');
    const engine = await serve();
    expect(await post(payload({ alertname: 'Hang' }))).toBe(202);
    const sleepPid = await waitFor(() => existsSync(join(root, 'sleep.pid')) && Number(readFileSync(join(root, 'sleep.pid'), 'utf8')) || undefined, 'the playbook to start its sleep', 60_000);
    await waitFor(() => auditLog().includes('timed out: hang/hang'), `the timed-out commit\n${engine.output()}`, 60_000);
    expect(alive(sleepPid)).toBe(false);
  }, 120_000);

  it('stops on SIGTERM with exit code 0, a run that outlasts the deadline recorded as interrupted', async () => {
    setup('10m');
    const engine = await serve();
    expect(await post(payload({ alertname: 'Hang' }))).toBe(202);
    const sleepPid = await waitFor(() => existsSync(join(root, 'sleep.pid')) && Number(readFileSync(join(root, 'sleep.pid'), 'utf8')) || undefined, 'the playbook to start its sleep', 60_000);
    engine.child.kill('SIGTERM');
    expect((await engine.exited).code).toBe(0);
    expect(alive(sleepPid)).toBe(false);
    expect(auditLog()).toMatch(/^interrupted: hang\/hang/m);
  }, 120_000);
});
