/**
 * The bundled notify-critical and announce-network-device policies run live, with the built
 * `homeostat serve`, on real Alertmanager payloads from ../shared/fixtures: Slack and PagerDuty
 * receivers listen on 127.0.0.1 (allowlisted in homeostat.yaml). The secrets (the webhook
 * URL, the routing key) are then looked for in everything the engine wrote: its log, the
 * audit repository (every version of every file), and `simulate` output. A notify in flight
 * when the engine is killed is recorded as interrupted at restart and never sent again.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { packageRoot } from '../../engine/util/package-root.js';
import { waitFor, writeRepo } from '../helpers/engine.js';
import { freePort, spawnServe, untilHttpOk } from '../helpers/processes.js';
import type { Spawned } from '../helpers/processes.js';
import { startReceiver } from '../helpers/receiver.js';
import type { Receiver } from '../helpers/receiver.js';
import { runCli } from './run-cli.js';

const SHARED = join(packageRoot(), '..', 'shared', 'fixtures', 'alertmanager');
const TOKEN = 'notify-webhook-token-0123456789ab';
const SLACK_PATH = 'services/T0AAAAAAA/B0BBBBBBB/slacksecretpath7c2e9d';
const ROUTING_KEY = 'pd-routing-key-a1b2c3d4e5f60718';

let root = '';
let port = 0;
let running: Spawned[] = [];
const receivers: Receiver[] = [];

beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), 'homeostat-notify-e2e-'));
  port = await freePort();
});
afterEach(async () => {
  for (const p of running) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await Promise.all(running.map((p) => p.exited));
  running = [];
  await Promise.all(receivers.splice(0).map((r) => r.close()));
  rmSync(root, { recursive: true, force: true });
});

async function receiver(...args: Parameters<typeof startReceiver>): Promise<Receiver> {
  const r = await startReceiver(...args);
  receivers.push(r);
  return r;
}

async function serve(env: Record<string, string>, extra: string[] = []): Promise<Spawned> {
  const engine = spawnServe(
    ['--policies', join(root, 'repo'), '--data-dir', join(root, 'data'), '--listen', `127.0.0.1:${port}`, '--external-url', 'https://homeostat.example', '--shutdown-timeout', '2s', ...extra],
    { HOMEOSTAT_WEBHOOK_TOKEN: TOKEN, ...env }, root,
  );
  running.push(engine);
  await untilHttpOk(`http://127.0.0.1:${port}/readyz`, 'the engine to be ready').catch((error: Error) => {
    throw new Error(`${error.message}\n${engine.output()}`);
  });
  return engine;
}

async function post(file: string): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}/api/v1/alerts`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: readFileSync(join(SHARED, file)),
  });
  return response.status;
}

/** Every file of the journal directory, as text. */
function journalText(): string {
  const dir = join(root, 'data', 'journal');
  return readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
}

function git(...args: string[]): string {
  return execFileSync('git', ['-C', join(root, 'data', 'audit'), ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

describe('the bundled notification policies, live', () => {
  it('notify-critical pages and resolves with one dedup_key and posts to Slack; announce-network-device says down and back up', async () => {
    const slack = await receiver('127.0.0.1');
    const pagerduty = await receiver('127.0.0.1', [{ status: 202, headers: { 'content-type': 'application/json' }, body: '{"status":"success","message":"Event processed"}' }]);
    cpSync(join(packageRoot(), 'rules'), join(root, 'repo', 'rules'), { recursive: true });
    cpSync(join(packageRoot(), 'playbooks'), join(root, 'repo', 'playbooks'), { recursive: true });
    cpSync(join(packageRoot(), 'inventory'), join(root, 'repo', 'inventory'), { recursive: true });
    // The bundled policy tests read their payloads from here; a revision whose tests fail is not activated.
    cpSync(join(packageRoot(), 'test', 'fixtures', 'alertmanager'), join(root, 'repo', 'test', 'fixtures', 'alertmanager'), { recursive: true });
    writeRepo(join(root, 'repo'), {
      'homeostat.yaml': `apiVersion: homeostat/v1\nkind: Settings\nspec:\n  outbound: { allowHosts: ['127.0.0.1'] }\n  pagerduty: { eventsUrl: '${pagerduty.url}/v2/enqueue' }\n`,
    });
    const engine = await serve({ SLACK_WEBHOOK_URL: `${slack.url}/${SLACK_PATH}`, PAGERDUTY_ROUTING_KEY: ROUTING_KEY });

    expect(await post('kube-pod-crashlooping-firing.json')).toBe(202);
    await waitFor(() => pagerduty.requests.length === 1 && slack.requests.length === 1, 'the page and the Slack post');
    expect(await post('kube-pod-crashlooping-resolved.json')).toBe(202);
    await waitFor(() => pagerduty.requests.length === 2, 'the resolve');
    const [trigger, resolve] = pagerduty.requests.map((r) => JSON.parse(r.body) as Record<string, any>);
    expect(trigger).toMatchObject({
      routing_key: ROUTING_KEY, event_action: 'trigger', dedup_key: 'homeostat/notify-critical/a246ab0598bfaebf',
      payload: { severity: 'critical', source: 'a246ab0598bfaebf', summary: 'KubePodCrashLooping: Pod is crash looping.', custom_details: { policy: 'notify-critical', action: 'page' } },
      links: [{ href: expect.stringMatching(/^https:\/\/homeostat\.example\/api\/v1\/actions\/\d{8}T\d{9}Z-[0-9a-f]{8}$/) }],
    });
    expect(resolve).toEqual({ routing_key: ROUTING_KEY, event_action: 'resolve', dedup_key: trigger!.dedup_key });
    const crash = JSON.parse(slack.requests[0]!.body) as Record<string, any>;
    expect(slack.requests[0]!.url).toBe(`/${SLACK_PATH}`);
    expect(crash.text).toBe(':rotating_light: KubePodCrashLooping in pod customer/customer-rs-transformer-9b75b488c-cpfd7: Pod is crash looping.');
    expect(crash.blocks[1].fields.map((f: { text: string }) => f.text)).toEqual(['Alert: KubePodCrashLooping (firing)', 'Policy: notify-critical', 'Action: slack', 'Target: a246ab0598bfaebf']);

    expect(await post('net-device-down-firing.json')).toBe(202);
    await waitFor(() => slack.requests.length === 3, 'two interfaces down');
    expect(await post('net-device-down-one-resolved.json')).toBe(202);
    await waitFor(() => slack.requests.length === 4, 'eth0 back up');
    const texts = slack.requests.slice(1).map((r) => (JSON.parse(r.body) as { text: string }).text);
    expect(texts.slice(0, 2).sort()).toEqual(['eth0 is down on sw-1', 'eth1 is down on sw-1']);
    expect(texts[2]).toBe('eth0 is back up on sw-1');

    // Every notification's outcome is audited as succeeded, with the statuses it got.
    await waitFor(() => (git('log', '--format=%s', 'main').match(/^succeeded: /gm) ?? []).length >= 6, 'six outcomes in the audit');
    const subjects = git('log', '--format=%s', 'main');
    expect(subjects).toMatch(/^succeeded: notify-critical\/page \(pagerduty\)/m);
    expect(subjects).toMatch(/^succeeded: notify-critical\/resolve-page \(pagerduty\)/m);
    expect(subjects).toMatch(/^succeeded: announce-network-device\/up \(slack\)/m);

    // The secrets are nowhere: not in the log, not in any version of any audit file, not in simulate.
    engine.child.kill('SIGTERM');
    await engine.exited;
    const simulated = runCli(['simulate', join(root, 'repo'), '--alerts', join(SHARED, 'kube-pod-crashlooping-firing.json'), '--format', 'json'], { env: { SLACK_WEBHOOK_URL: `${slack.url}/${SLACK_PATH}`, PAGERDUTY_ROUTING_KEY: ROUTING_KEY } });
    expect(simulated.status).toBe(0);
    const everything = [engine.output(), git('log', '-p', '--all'), journalText(), simulated.stdout, simulated.stderr].join('\n');
    expect(everything).toContain('notify-critical');
    for (const secret of [SLACK_PATH, ROUTING_KEY, 'slacksecretpath7c2e9d']) expect(everything.includes(secret), `${secret} leaked`).toBe(false);
  });

  it('a notify in flight when the engine is killed is recorded interrupted at restart, never sent twice', async () => {
    const hook = await receiver('127.0.0.1', [{ status: 200, hang: true }]);
    writeRepo(join(root, 'repo'), {
      'homeostat.yaml': `apiVersion: homeostat/v1\nkind: Settings\nspec:\n  outbound: { allowHosts: ['127.0.0.1'] }\n`,
      'scripts/ok.sh': '#!/bin/sh\necho fixed\n',
      'rules/fix.yaml': `apiVersion: homeostat/v1
kind: Policy
metadata: { name: fix }
spec:
  match: { alertname: ServiceDown }
  actions:
    - name: restart
      script: { path: scripts/ok.sh }
      notify:
        - name: tell
          timeout: 5m
          http: { url: '${hook.url}/tell', body: { status: '{{ outcome.status }}' } }
`,
    });
    const first = await serve({});
    expect(await post('service-down-nginx.json')).toBe(202);
    await waitFor(() => hook.requests.length === 1, 'the notify to be in flight');
    first.child.kill('SIGKILL');
    await first.exited;

    await serve({});
    const interrupted = await waitFor(() => {
      const subjects = git('log', '--format=%s', 'main');
      return /^interrupted: fix\/tell \(http\)/m.test(subjects) ? subjects : undefined;
    }, 'the notify recorded as interrupted');
    expect(interrupted).toMatch(/^succeeded: fix\/restart \(script\)/m);
    const ids = git('ls-tree', '-r', '--name-only', 'main', 'actions').trim().split('\n');
    const entries = ids.map((path) => JSON.parse(git('show', `main:${path}`)) as Record<string, any>);
    const tell = entries.find((e) => e.action === 'tell')!;
    const restart = entries.find((e) => e.action === 'restart')!;
    expect(tell).toMatchObject({ parent: restart.id, outcome: 'interrupted' });
    expect(restart.notifications).toEqual([tell.id]);
    expect(hook.requests).toHaveLength(1);
  });
});
