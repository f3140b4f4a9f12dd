/**
 * The storm breaker and the guards' memory against the built `homeostat serve`: the captured
 * 408- and 500-alert storms (../shared/fixtures) posted with a policy whose script matches every
 * alert. The breaker's one summary goes to an http receiver on 127.0.0.1 (allowlisted in
 * homeostat.yaml); the engine answers /readyz while it decides the storm and after; the
 * breaker closes once quiet, audited; an open breaker and a running cooldown hold across a
 * kill -9 and a restart.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../engine/audit/entry.js';
import { packageRoot } from '../../engine/util/package-root.js';
import { payload, waitFor, writeRepo } from '../helpers/engine.js';
import { freePort } from '../helpers/processes.js';
import { serveReady } from '../helpers/serve.js';
import type { Spawned } from '../helpers/processes.js';
import { startReceiver } from '../helpers/receiver.js';
import type { Receiver } from '../helpers/receiver.js';
import { restartNodeRepo } from '../helpers/restart-node.js';
import { runCli } from './run-cli.js';

const SHARED = join(packageRoot(), '..', 'shared', 'fixtures', 'alertmanager');
const TOKEN = 'storm-webhook-token-0123456789ab';

let root = '';
let port = 0;
let running: Spawned[] = [];
let receiver: Receiver | null = null;

beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), 'homeostat-storm-e2e-'));
  port = await freePort();
  receiver = await startReceiver('127.0.0.1');
});
afterEach(async () => {
  for (const p of running) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await Promise.all(running.map((p) => p.exited));
  running = [];
  await receiver?.close();
  rmSync(root, { recursive: true, force: true });
});

/** A policy repository: every InstanceDown and ServiceDown restarts its node by a script that notes the target; `settings` go under spec. */
function repo(settings: string, guards = '{ cooldown: 0s }'): void {
  writeRepo(join(root, 'repo'), restartNodeRepo({ settings: `  outbound: { allowHosts: ['127.0.0.1'] }\n${settings}`, guards, notedIn: join(root, 'acted') }));
}

function breaker(options: string): string {
  return `  stormBreaker:
    ${options}
    notify:
      http:
        url: ${receiver!.url}/storm
        body: { text: '{{ storm.alerts }} alerts, {{ storm.targets }} targets since {{ storm.since }}; top {{ storm.top }}', id: '{{ storm.id }}' }
`;
}

async function serve(): Promise<Spawned> {
  const args = ['--policies', join(root, 'repo'), '--data-dir', join(root, 'data'), '--shutdown-timeout', '2s'];
  return (await serveReady(port, args, { HOMEOSTAT_WEBHOOK_TOKEN: TOKEN }, root, (engine) => running.push(engine))).engine;
}

async function post(body: string | object): Promise<Response> {
  return fetch(`http://127.0.0.1:${port}/api/v1/alerts`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** Posts a captured payload, checking /readyz answers 200 while the engine decides it. */
async function postStorm(file: string): Promise<Record<string, number>> {
  const answer = post(readFileSync(join(SHARED, file), 'utf8'));
  const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
  expect(ready.status).toBe(200);
  const response = await answer;
  expect(response.status).toBe(202);
  return (await response.json()) as Record<string, number>;
}

async function status(): Promise<Record<string, any>> {
  return (await (await fetch(`http://127.0.0.1:${port}/api/v1/status`)).json()) as Record<string, any>;
}

async function metric(line: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found ? Number(found.split(' ').at(-1)) : 0;
}

function acted(): string[] {
  const file = join(root, 'acted');
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

function git(...args: string[]): string {
  return execFileSync('git', ['-C', join(root, 'data', 'audit'), ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
}

/** Every audit entry at the head of the audit repository. */
function auditEntries(): AuditEntry[] {
  const files = git('ls-tree', '-r', '--name-only', 'main').split('\n').filter((f) => f.endsWith('.json'));
  return files.map((f) => JSON.parse(git('show', `main:${f}`)) as AuditEntry);
}

/** How many actions the audit says were refused by `guard`, in action and refusals entries. */
function refusedBy(entries: readonly AuditEntry[], guard: string): number {
  return entries.reduce((n, e) => n + (e.kind === 'refusals' && e.guard === guard ? e.count! : e.kind === 'action' && e.guards?.refusedBy === guard ? 1 : 0), 0);
}

describe('the storm breaker, live', () => {
  it('opens on the 408-alert storm: no action runs, one summary is received, the 408 and then the 500 are refused with the reason, the engine stays ready', async () => {
    repo(`  blastRadius: { max: 5, per: 10m }\n${breaker('alerts: 100\n    per: 10m\n    quietFor: 1h')}`);
    await serve();
    const first = await postStorm('storm-first-408.json');
    expect(first).toMatchObject({ alerts: 408, decisions: 408, actions: 0 });
    await waitFor(() => receiver!.requests.length === 1, 'the storm summary');
    const summary = JSON.parse(receiver!.requests[0]!.body) as { text: string; id: string };
    expect(summary.text).toMatch(/^408 alerts, 0 targets since \d{4}-\d\d-\d\dT[\d:.]+Z; top InstanceDown \(408\)$/);

    const second = await postStorm('storm-repeat-500.json');
    expect(second).toMatchObject({ alerts: 500, decisions: 500, actions: 0 });
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);

    const open = (await status()).stormBreaker;
    expect(open).toMatchObject({ configured: true, open: true, id: summary.id, trigger: 'alerts', alerts: 408, alertnames: [{ alertname: 'InstanceDown', count: 408 }], thresholds: { alerts: 100, per: '10m', quietFor: '1h' } });
    expect(open.window.alerts).toBe(500);
    expect(await metric('homeostat_storm_breaker_open')).toBe(1);
    expect(await metric('homeostat_refusals_total{guard="storm",policy="restart-node"}')).toBe(908);
    const shown = runCli(['status', '--url', `http://127.0.0.1:${port}`]);
    expect(shown.status).toBe(0);
    expect(shown.stdout).toMatch(/^storm breaker +OPEN since \S+Z: opened on 408 alerts, top InstanceDown \(408\); no new disruptive action; closes at \S+Z at the earliest \(500 alerts, 0 targets in the window\)$/m);

    // In the audit: the opening, the summary that succeeded, every alert refused by the storm guard with its reason.
    await waitFor(() => /^succeeded: homeostat\.yaml\/storm-summary \(http\)/m.test(git('log', '--format=%s', 'main')), 'the summary outcome in the audit');
    const entries = auditEntries();
    const opened = entries.filter((e) => e.event?.name === 'breaker-opened');
    expect(opened).toHaveLength(1);
    expect(opened[0]!.event!.message).toBe('storm breaker opened: 408 alerts in 10m (more than 100), top InstanceDown (408); no new disruptive action until quiet for 1h');
    const notification = entries.filter((e) => e.storm);
    expect(notification).toHaveLength(1);
    expect(notification[0]).toMatchObject({ kind: 'action', policy: 'homeostat.yaml', action: 'storm-summary', type: 'http', outcome: 'succeeded', storm: { id: summary.id, alerts: 408, trigger: 'alerts' } });
    expect(refusedBy(entries, 'storm')).toBe(908);
    const refusals = entries.filter((e) => e.kind === 'refusals');
    expect(refusals.every((e) => e.guard === 'storm' && e.policy === 'restart-node')).toBe(true);
    expect(refusals[0]!.refusals![0]!.reason).toMatch(/^storm breaker open since \S+ \(408 alerts in 10m, more than 100\): no new disruptive action until the storm has been quiet for 1h, at the earliest \S+Z$/);
    expect(refusals[0]!.refusals![0]!.until).toMatch(/Z$/);
    expect(acted()).toEqual([]);
    expect(receiver!.requests).toHaveLength(1);
    const log = runCli(['audit', 'log', '--data-dir', join(root, 'data')]);
    expect(log.stdout).toMatch(/ succeeded +homeostat\.yaml\/storm-summary storm breaker summary: 408 alerts, 0 targets since \S+Z$/m);
    expect(log.stdout).toMatch(/ refused +\d+ actions by storm +storm breaker open since /m);
  }, 120_000);

  it('opens on distinct targets within the storm: no more actions run than the blast radius allows, the rest refused by blast radius, then by the breaker', async () => {
    repo(`  blastRadius: { max: 5, per: 10m }\n${breaker('targets: 50\n    per: 10m\n    quietFor: 1h')}`);
    await serve();
    const result = await postStorm('storm-first-408.json');
    expect(result).toMatchObject({ alerts: 408, actions: 5 });
    await waitFor(() => acted().length === 5 && receiver!.requests.length === 1, 'five actions and the summary');
    expect(JSON.parse(receiver!.requests[0]!.body).text).toMatch(/^408 alerts, 51 targets since /);
    await waitFor(() => (git('log', '--format=%s', 'main').match(/^succeeded: /gm) ?? []).length === 6, 'the outcomes in the audit');
    const entries = auditEntries();
    expect(refusedBy(entries, 'blast-radius')).toBe(45);
    expect(refusedBy(entries, 'storm')).toBe(408 - 50);
    expect(await metric('homeostat_refusals_total{guard="blast-radius",policy="restart-node"}')).toBe(45);
    const [blast] = entries.filter((e) => e.kind === 'refusals' && e.guard === 'blast-radius');
    expect(blast!.reason).toMatch(/^blast radius: 5 disruptive actions in 10m across all policies, until \S+Z$/);
    expect((await status()).stormBreaker).toMatchObject({ open: true, trigger: 'targets', targets: 51 });
  }, 120_000);

  it('closes by itself once the storm has been quiet for quietFor, audited; then actions run again', async () => {
    repo(breaker('alerts: 100\n    per: 10m\n    quietFor: 1s'));
    await serve();
    await postStorm('storm-first-408.json');
    await waitFor(() => /^event: breaker-closed|^breaker-closed: /m.test(git('log', '--format=%s', 'main')), 'the close in the audit', 30_000);
    const closed = auditEntries().filter((e) => e.event?.name === 'breaker-closed');
    expect(closed).toHaveLength(1);
    expect(closed[0]!.event!.message).toMatch(/^storm breaker closed: quiet for 1s: no alert arrived over the threshold since \S+Z; open since \S+Z$/);
    expect((await status()).stormBreaker).toMatchObject({ configured: true, open: false });
    expect(await metric('homeostat_storm_breaker_open')).toBe(0);
    expect(receiver!.requests).toHaveLength(1);
    expect((await post(payload({ alertname: 'ServiceDown', instance: 'web-9:9100' }))).status).toBe(202);
    await waitFor(() => acted().includes('web-9'), 'the action after the storm');
  }, 120_000);

  it('stays open across kill -9 and a restart: still refusing, no second summary', async () => {
    repo(breaker('alerts: 100\n    per: 10m\n    quietFor: 1h'));
    const first = await serve();
    await postStorm('storm-first-408.json');
    await waitFor(() => receiver!.requests.length === 1, 'the storm summary');
    const { id } = (await status()).stormBreaker as { id: string };
    first.child.kill('SIGKILL');
    await first.exited;

    await serve();
    expect((await status()).stormBreaker).toMatchObject({ open: true, id, alerts: 408 });
    expect(await metric('homeostat_storm_breaker_open')).toBe(1);
    expect((await post(payload({ alertname: 'ServiceDown', instance: 'web-9:9100' }))).status).toBe(202);
    const actions = (await (await fetch(`http://127.0.0.1:${port}/api/v1/actions?policy=restart-node`)).json()) as { actions: AuditEntry[] };
    expect(actions.actions[0]).toMatchObject({ target: 'web-9', outcome: 'refused', guards: { refusedBy: 'storm' } });
    expect(receiver!.requests).toHaveLength(1);
    expect(acted()).toEqual([]);
  }, 120_000);
});

describe('the guards across a restart', () => {
  it('a cooldown still holds after kill -9 and a restart: a new alert for the same target is refused by it, with until when', async () => {
    repo('', '{ cooldown: 1h }');
    const first = await serve();
    expect((await post(payload({ alertname: 'ServiceDown', instance: 'web-1:9100', name: 'a.service' }))).status).toBe(202);
    await waitFor(() => acted().includes('web-1'), 'the first action');
    first.child.kill('SIGKILL');
    await first.exited;

    await serve();
    expect((await post(payload({ alertname: 'ServiceDown', instance: 'web-1:9100', name: 'b.service' }))).status).toBe(202);
    const actions = (await (await fetch(`http://127.0.0.1:${port}/api/v1/actions?target=web-1`)).json()) as { actions: AuditEntry[] };
    const refused = actions.actions.find((a) => a.outcome === 'refused');
    expect(refused).toMatchObject({ alert: { labels: { name: 'b.service' } }, guards: { refusedBy: 'cooldown' } });
    expect(refused!.reason).toMatch(/^cooldown: restart-node decided an action for web-1 \S+ ago \(cooldown 1h, until \S+Z\)$/);
    expect(Date.parse(refused!.guards!.until!)).toBeGreaterThan(Date.now());
    expect(acted()).toEqual(['web-1']);
    expect(await metric('homeostat_refusals_total{guard="cooldown",policy="restart-node"}')).toBe(1);
  }, 120_000);
});
