/**
 * The real chain: Debian's prometheus-alertmanager routes an alert to `homeostat serve` (the
 * built binary, listening on loopback), whose policy runs the real ansible-playbook (-c local)
 * that writes a file. Then a 10,000-alert group, sent by Alertmanager in one POST.
 */
import { mkdtempSync, readFileSync, existsSync, copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../engine/util/package-root.js';
import { waitFor, writeRepo } from '../helpers/engine.js';
import { freePort, requireCommand, spawnLogged, spawnServe, untilHttpOk } from '../helpers/processes.js';
import type { Spawned } from '../helpers/processes.js';

const TOKEN = 'e2e-webhook-token-abcdef0123456789';
let root: string;
let out: string;
let enginePort: number;
let amPort: number;
let engine: Spawned;
let alertmanager: Spawned;

function policy(outPath: string): string {
  return `apiVersion: homeostat/v1
kind: Policy
metadata: { name: write-note }
spec:
  match: { alertname: HomeostatE2E }
  target: '{{ labels.host }}'
  actions:
    - name: write
      ansible:
        playbook: playbooks/write_note.yml
        extraVars: { out: '${outPath}', note: '{{ labels.note }}' }
      timeout: 2m
`;
}

function amConfig(): string {
  return `route:
  receiver: homeostat
  group_by: [alertname]
  group_wait: 200ms
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: homeostat
    webhook_configs:
      - url: http://127.0.0.1:${enginePort}/api/v1/alerts
        send_resolved: true
        max_alerts: 0
        http_config:
          authorization: { type: Bearer, credentials: ${TOKEN} }
`;
}

async function postAlerts(alerts: unknown[]): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${amPort}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(alerts) });
  expect(response.status).toBe(200);
}

async function engineMetric(name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${enginePort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(name));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

function auditGit(...args: string[]): string {
  return execFileSync('git', ['-C', join(root, 'data', 'audit'), ...args], { encoding: 'utf8' });
}

beforeAll(async () => {
  const am = requireCommand('prometheus-alertmanager', 'prometheus-alertmanager');
  requireCommand('ansible-playbook', 'ansible-core');
  root = mkdtempSync(join(tmpdir(), 'homeostat-am-'));
  out = join(root, 'note.txt');
  writeRepo(join(root, 'repo'), { 'rules/write-note.yaml': policy(out) });
  mkdirSync(join(root, 'repo', 'playbooks'), { recursive: true });
  copyFileSync(join(packageRoot(), 'test/fixtures/serve/write_note.yml'), join(root, 'repo/playbooks/write_note.yml'));
  enginePort = await freePort();
  amPort = await freePort();
  engine = spawnServe(['--policies', join(root, 'repo'), '--data-dir', join(root, 'data'), '--listen', `127.0.0.1:${enginePort}`], { HOMEOSTAT_WEBHOOK_TOKEN: TOKEN }, root);
  await untilHttpOk(`http://127.0.0.1:${enginePort}/readyz`, 'the engine to be ready').catch((error: Error) => {
    throw new Error(`${error.message}\n${engine.output()}`);
  });
  writeFileSync(join(root, 'alertmanager.yml'), amConfig());
  alertmanager = spawnLogged(am, [`--config.file=${join(root, 'alertmanager.yml')}`, `--storage.path=${join(root, 'am-data')}`, `--web.listen-address=127.0.0.1:${amPort}`, '--cluster.listen-address=']);
  await untilHttpOk(`http://127.0.0.1:${amPort}/-/ready`, 'Alertmanager to be ready').catch((error: Error) => {
    throw new Error(`${error.message}\n${alertmanager.output()}`);
  });
}, 60_000);

afterAll(async () => {
  alertmanager?.child.kill('SIGTERM');
  engine?.child.kill('SIGTERM');
  const stopped = await engine?.exited;
  await alertmanager?.exited;
  expect(stopped?.code).toBe(0);
  rmSync(root, { recursive: true, force: true });
});

describe('Alertmanager → homeostat serve → ansible-playbook', () => {
  it('routes a real alert to a real playbook run, audited at intent and at outcome', async () => {
    const note = "{{ lookup('pipe','id') }} from Alertmanager";
    await postAlerts([{ labels: { alertname: 'HomeostatE2E', host: 'localhost', note }, annotations: { summary: 'e2e' }, startsAt: new Date().toISOString() }]);
    await waitFor(() => existsSync(out), `the playbook to write ${out}\n${engine.output().slice(-3000)}`, 60_000);
    expect(readFileSync(out, 'utf8')).toBe(`${note}\n`);

    const path = await waitFor(() => {
      const files = auditGit('log', '--format=', '--name-only', 'main', '--', 'actions').split('\n').filter(Boolean);
      const log = auditGit('log', '--format=%s', 'main');
      return log.includes('succeeded: write-note/write') ? files[0] : undefined;
    }, 'the outcome commit', 60_000);
    const entry = JSON.parse(auditGit('show', `main:${path}`));
    expect(entry).toMatchObject({ kind: 'action', policy: 'write-note', type: 'ansible', target: 'localhost', verdict: 'run', outcome: 'succeeded' });
    expect(entry.alert.labels.note).toBe(note);
    expect(entry.execution.command).toEqual(expect.arrayContaining(['ansible-playbook']));
    const commits = auditGit('log', '--format=%s', 'main', '--', path).trim().split('\n');
    expect(commits.map((s) => s.split(':')[0])).toEqual(['succeeded', 'intent']);
  }, 90_000);

  it('accepts a 10,000-alert group in one webhook post', async () => {
    const before = await engineMetric('homeostat_alerts_received_total{status="firing"}');
    const now = new Date().toISOString();
    const alerts = Array.from({ length: 10_000 }, (_, i) => ({ labels: { alertname: 'StormE2E', instance: `node-${i}.example.com:9100`, job: 'node' }, annotations: { summary: `storm ${i}` }, startsAt: now }));
    await postAlerts(alerts);
    await waitFor(async () => (await engineMetric('homeostat_alerts_received_total{status="firing"}')) - before >= 10_000, 'the engine to receive 10,000 alerts', 60_000);
    // Received is counted on arrival; the decisions, made a slice at a time, are logged after.
    await waitFor(() => /"alerts":10000/.test(engine.output()), 'the 10,000 alerts to be decided', 60_000);
    expect(await engineMetric('homeostat_webhook_requests_total{code="413"}')).toBe(0);
  }, 90_000);
});
