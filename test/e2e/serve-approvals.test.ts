/**
 * Approvals and the kill switch against the built `homeostat serve`, answered with the built
 * CLI (approvals, approve, deny, pause, resume, status) as an operator would: a held action
 * survives a kill -9 and a restart and, approved, runs once (the marker file its script writes); a second
 * approve is 409; an approval past its ttl cannot be approved; its alert resolving cancels it;
 * neither the web page's viewer token, the webhook token nor no token may approve; a pause refuses new actions, survives a
 * restart, and ends at its `until`. The audit names the admin token that answered.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../engine/audit/entry.js';
import { entryPath } from '../../engine/audit/entry.js';
import { payload, waitFor, writeRepo } from '../helpers/engine.js';
import { freePort, spawnServe, untilHttpOk } from '../helpers/processes.js';
import type { Spawned } from '../helpers/processes.js';
import { runCli } from './run-cli.js';

const WEBHOOK = 'approvals-webhook-token-0123456789';
const ADMIN = 'approvals-admin-token-0123456789ab';
const ALICE = 'approvals-alice-token-0123456789ab';
const VIEWER = 'approvals-viewer-token-0123456789';

function policy(name: string, alertname: string, guards: string): string {
  return `apiVersion: homeostat/v1
kind: Policy
metadata: { name: ${name} }
spec:
  match: { alertname: ${alertname} }
  target: '{{ labels.host }}'
  actions:
    - name: mark
      script: { path: scripts/mark.sh, args: ['${name}', '{{ target }}'] }
  guards: { cooldown: 0s${guards} }
`;
}

let root: string;
let url = '';
let engine: Spawned | null = null;

async function start(): Promise<void> {
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  engine = spawnServe(['--config', join(root, 'serve.yaml'), '--listen', `127.0.0.1:${port}`], { HOMEOSTAT_WEBHOOK_TOKEN: WEBHOOK }, root);
  await untilHttpOk(`${url}/readyz`, 'the engine to be ready').catch((error: Error) => {
    throw new Error(`${error.message}\n${engine!.output()}`);
  });
}

async function stop(): Promise<void> {
  engine!.child.kill('SIGTERM');
  expect((await engine!.exited).code).toBe(0);
  engine = null;
}

/** kill -9: what the engine answered before is on disk (journal before answer), nothing else is. */
async function crash(): Promise<void> {
  engine!.child.kill('SIGKILL');
  await engine!.exited;
  engine = null;
}

async function post(body: unknown): Promise<void> {
  const response = await fetch(`${url}/api/v1/alerts`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${WEBHOOK}` }, body: JSON.stringify(body) });
  expect(response.status).toBe(202);
}

/** The built CLI against the running engine, as alice (or with the given token file). */
function cli(args: readonly string[], tokenFile = join(root, 'alice.token')) {
  return runCli([...args, '--url', url, '--admin-token-file', tokenFile], { cwd: root });
}

interface Listed {
  approvals: { id: string; state: string; policy: string; target: string | null; answer: { by: string; reason: string } | null }[];
}

function approvals(all = false): Listed['approvals'] {
  const result = cli(['approvals', '--format', 'json', ...(all ? ['--all'] : [])]);
  expect(result.stderr).toBe('');
  return (JSON.parse(result.stdout) as Listed).approvals;
}

function marks(): string[] {
  const file = join(root, 'marks');
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : [];
}

function auditEntry(id: string): AuditEntry | null {
  try {
    return JSON.parse(execFileSync('git', ['-C', join(root, 'data', 'audit'), 'show', `main:${entryPath(id)}`], { encoding: 'utf8', stdio: 'pipe' })) as AuditEntry;
  } catch {
    return null;
  }
}

/** The entry once the audit repository holds it with this outcome (commits follow the answers). */
function committed(id: string, outcome: string | null): Promise<AuditEntry> {
  return waitFor(() => {
    const entry = auditEntry(id);
    return entry?.outcome === outcome && entry;
  }, `entry ${id} committed with outcome ${outcome}`);
}

function auditLog(): string {
  return execFileSync('git', ['-C', join(root, 'data', 'audit'), 'log', '--format=%s', 'main'], { encoding: 'utf8' });
}

/** Once `git log` has a subject matching `pattern`. */
function logged(pattern: RegExp): Promise<true> {
  return waitFor(() => pattern.test(auditLog()), `an audit commit matching ${pattern}`);
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'homeostat-approvals-'));
  writeRepo(join(root, 'repo'), {
    'rules/reboot.yaml': policy('reboot', 'NodeDown', ', approval: { required: true, ttl: 30m }'),
    'rules/quick.yaml': policy('quick', 'Quick', ', approval: { required: true, ttl: 1s }'),
    'rules/direct.yaml': policy('direct', 'Direct', ''),
    'scripts/mark.sh': `#!/bin/sh\necho "$1 $2" >> '${join(root, 'marks')}'\n`,
  });
  writeFileSync(join(root, 'admin.token'), `${ADMIN}\n`);
  writeFileSync(join(root, 'alice.token'), `${ALICE}\n`);
  writeFileSync(join(root, 'viewer.token'), `${VIEWER}\n`);
  writeFileSync(join(root, 'serve.yaml'), `policies: repo\ndata-dir: data\nadmin-token-file: admin.token\nviewer-token-file: viewer.token\nadmin-tokens:\n  - { name: alice, file: alice.token }\n`);
  await start();
}, 60_000);

afterAll(async () => {
  if (engine) await stop();
  rmSync(root, { recursive: true, force: true });
});

describe('approvals on a running engine', () => {
  it('keeps a held action across a kill -9 and restart; approved, it runs once; a second approve is 409; a viewer cannot approve', async () => {
    await post(payload({ alertname: 'NodeDown', host: 'web-1' }));
    const [held] = approvals();
    expect(held).toMatchObject({ state: 'pending', policy: 'reboot', target: 'web-1', answer: null });
    const listed = cli(['approvals']);
    expect(listed.stdout).toContain(`${held!.id}  pending   reboot/mark (script) on web-1  NodeDown`);
    expect(await committed(held!.id, null)).toMatchObject({ verdict: 'awaiting-approval', outcome: null, approval: null });

    await crash();
    await start();
    expect(approvals().map((a) => [a.id, a.state])).toEqual([[held!.id, 'pending']]);
    expect(marks()).toEqual([]);

    // The web page's viewer token, the webhook's, or none, may read nothing here and answer nothing.
    for (const headers of [{ authorization: `Bearer ${VIEWER}` }, { authorization: `Bearer ${WEBHOOK}` }, {}] as Record<string, string>[]) {
      const response = await fetch(`${url}/api/v1/approvals/${held!.id}/approve`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{"reason":"let me"}' });
      expect(response.status).toBe(401);
    }
    const viewer = cli(['approve', held!.id, '--reason', 'let me'], join(root, 'viewer.token'));
    expect([viewer.status, viewer.stderr]).toEqual([2, expect.stringContaining('401 unauthorized')]);
    const noReason = await fetch(`${url}/api/v1/approvals/${held!.id}/approve`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ALICE}` }, body: '{}' });
    expect(noReason.status).toBe(400);

    const approved = cli(['approve', held!.id, '--reason', 'host checked, console dead']);
    expect([approved.status, approved.stderr]).toEqual([0, '']);
    expect(approved.stdout).toBe(`approved ${held!.id} (reboot/mark on web-1) by alice: host checked, console dead; it runs now: run scripts/mark.sh "reboot" "web-1"\n`);
    const entry = await committed(held!.id, 'succeeded');
    expect(marks()).toEqual(['reboot web-1']);
    expect(entry).toMatchObject({ verdict: 'run', outcome: 'succeeded', approval: { by: 'alice', answer: 'approved', reason: 'host checked, console dead', revision: entry.revision } });
    expect(Date.parse(entry.approval!.at)).toBeGreaterThan(Date.parse(entry.at));
    await logged(/^approved by alice, intent: reboot\/mark \(script\) on web-1, for NodeDown firing/m);

    const again = cli(['approve', held!.id, '--reason', 'once more']);
    expect([again.status, again.stderr]).toEqual([1, expect.stringContaining(`the engine answered 409: approval ${held!.id} was already approved by alice at ${entry.approval!.at}: host checked, console dead`)]);
    const answered = await fetch(`${url}/api/v1/approvals/${held!.id}/deny`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` }, body: '{"reason":"no"}' });
    expect(answered.status).toBe(409);
    const unknown = cli(['approve', '20261121T101500123Z-1a2b3c4d', '--reason', 'x']);
    expect([unknown.status, unknown.stderr]).toEqual([1, expect.stringContaining('answered 404')]);
    expect(marks()).toEqual(['reboot web-1']);
  }, 90_000);

  it('an approval past its ttl expires (audited) and cannot be approved', async () => {
    await post(payload({ alertname: 'Quick', host: 'web-2' }));
    const held = await waitFor(() => approvals(true).find((a) => a.policy === 'quick' && a.state === 'expired'), 'the quick approval to expire');
    expect(held.answer).toMatchObject({ by: 'homeostat' });
    const late = cli(['approve', held.id, '--reason', 'too late?']);
    expect([late.status, late.stderr]).toEqual([1, expect.stringContaining('answered 410')]);
    expect(await committed(held.id, 'expired')).toMatchObject({ verdict: 'awaiting-approval', outcome: 'expired', approval: { by: 'homeostat', answer: 'expired' } });
    expect(marks()).not.toContain('quick web-2');
  }, 60_000);

  it("the alert resolving cancels its approval; a denial is audited with the token's name", async () => {
    await post(payload({ alertname: 'NodeDown', host: 'web-3' }));
    await post(payload({ alertname: 'NodeDown', host: 'web-4' }));
    const byTarget = new Map(approvals().map((a) => [a.target, a.id]));
    await post(payload({ alertname: 'NodeDown', host: 'web-3' }, { status: 'resolved' }));
    const cancelled = approvals(true).find((a) => a.id === byTarget.get('web-3'))!;
    expect(cancelled).toMatchObject({ state: 'cancelled', answer: { by: 'homeostat' } });
    expect(await committed(cancelled.id, 'cancelled')).toMatchObject({ outcome: 'cancelled', approval: { answer: 'cancelled' } });
    expect(cli(['approve', cancelled.id, '--reason', 'x']).status).toBe(1);

    const denied = runCli(['deny', byTarget.get('web-4')!, '--reason', 'not this one', '--url', url], { cwd: root, env: { HOMEOSTAT_ADMIN_TOKEN: ADMIN } });
    expect([denied.status, denied.stdout]).toEqual([0, `denied ${byTarget.get('web-4')} (reboot/mark on web-4) by admin: not this one; it does not run\n`]);
    expect(await committed(byTarget.get('web-4')!, 'denied')).toMatchObject({ outcome: 'denied', approval: { by: 'admin', answer: 'denied', reason: 'not this one' } });
    expect(approvals()).toEqual([]);
    expect(marks()).toEqual(['reboot web-1']);
  }, 60_000);
});

describe('the kill switch on a running engine', () => {
  it('refuses new actions while paused, survives a restart, resumes; a pause with --until ends by itself', async () => {
    const paused = cli(['pause', '--reason', 'incident 42: hands off', '--until', '1h']);
    expect([paused.status, paused.stderr]).toEqual([0, '']);
    expect(paused.stdout).toMatch(/^paused by alice at \S+ until \S+: incident 42: hands off\n$/);
    await post(payload({ alertname: 'Direct', host: 'db-1' }));
    await logged(/^refused: direct\/mark \(script\) on db-1, for Direct firing \[\w+\] — paused by alice at \S+ until \S+: incident 42: hands off$/m);

    await stop();
    await start();
    const status = JSON.parse(cli(['status', '--format', 'json']).stdout) as { pause: { paused: boolean; settings: boolean; api: { by: string; reason: string; until: string } } };
    expect(status.pause).toMatchObject({ paused: true, settings: false, api: { by: 'alice', reason: 'incident 42: hands off' } });
    expect(cli(['status']).stdout).toMatch(/^paused +yes, no action runs: paused by alice at \S+ until \S+: incident 42: hands off$/m);

    const resumed = cli(['resume', '--reason', 'incident over'], join(root, 'admin.token'));
    expect([resumed.status, resumed.stdout]).toEqual([0, 'not paused: new actions run\n']);
    await logged(/^resumed: resumed by admin: incident over \(paused by alice at \S+: incident 42: hands off\)$/m);
    await post(payload({ alertname: 'Direct', host: 'db-2' }));
    await waitFor(() => marks().includes('direct db-2'), 'the action after the resume');
    expect(marks()).not.toContain('direct db-1');

    expect(cli(['pause', '--reason', 'short', '--until', '2s']).status).toBe(0);
    await logged(/^resumed: resumed by homeostat: the pause by alice ended at \S+: short$/m);
    expect((JSON.parse(cli(['status', '--format', 'json']).stdout) as { pause: unknown }).pause).toEqual({ paused: false, settings: false, api: null });
    const nothing = cli(['resume']);
    expect([nothing.status, nothing.stderr]).toEqual([1, expect.stringContaining('answered 409: not paused through the API: nothing to resume')]);
  }, 90_000);
});
