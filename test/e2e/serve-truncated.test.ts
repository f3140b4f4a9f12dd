/**
 * A group Alertmanager truncates (`max_alerts`), against Debian's prometheus-alertmanager and
 * the built `homeostat serve`: the alerts left out are never seen, so the engine says how many
 * wherever an operator looks: the 202 body, the `alerts decided` log line, a counter, and an
 * `alerts-truncated` audit event per truncated group.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor, writeRepo } from '../helpers/engine.js';
import { freePort } from '../helpers/processes.js';
import type { Spawned } from '../helpers/processes.js';
import { alertmanagerReady, scriptRepo, serveReady } from '../helpers/serve.js';
import { AM, ROOT } from './run-cli.js';

const TOKEN = 'truncated-token-0123456789abcdef';

let root: string;
let enginePort: number;
let amPort: number;
let engine: Spawned;
let alertmanager: Spawned;

function amConfig(): string {
  return `route:
  receiver: homeostat
  group_by: [alertname]
  group_wait: 200ms
  group_interval: 1h
  repeat_interval: 1h
receivers:
  - name: homeostat
    webhook_configs:
      - url: http://127.0.0.1:${enginePort}/api/v1/alerts
        max_alerts: 2
        http_config:
          authorization: { type: Bearer, credentials: ${TOKEN} }
`;
}

async function truncatedTotal(): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${enginePort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('homeostat_alerts_truncated_total '));
  return line ? Number(line.split(' ').at(-1)) : Number.NaN;
}

function auditGit(...args: string[]): string {
  return execFileSync('git', ['-C', join(root, 'data', 'audit'), ...args], { encoding: 'utf8' });
}

/** The alerts-truncated event entries at the audit head. */
function truncationEvents(): { event: { name: string; message: string; details: Record<string, unknown> } }[] {
  const files = auditGit('grep', '-l', '"name": "alerts-truncated"', 'main', '--', 'actions').split('\n').filter(Boolean);
  return files.map((file) => JSON.parse(auditGit('show', file)));
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'homeostat-truncated-'));
  writeRepo(join(root, 'repo'), scriptRepo('disk', 'DiskWillFillIn4Hours', '#!/bin/sh\necho "$1"\n', { target: '{{ labels.instance | host }}' }));
  enginePort = await freePort();
  amPort = await freePort();
  ({ engine } = await serveReady(enginePort, ['--policies', join(root, 'repo'), '--data-dir', join(root, 'data')], { HOMEOSTAT_WEBHOOK_TOKEN: TOKEN }, root));
  alertmanager = await alertmanagerReady(root, amPort, amConfig());
}, 60_000);

afterAll(async () => {
  alertmanager?.child.kill('SIGTERM');
  engine?.child.kill('SIGTERM');
  await Promise.all([engine?.exited, alertmanager?.exited]);
  rmSync(root, { recursive: true, force: true });
});

describe('a group truncated by Alertmanager (max_alerts)', () => {
  it('is counted in the log line, the metric and an audit event', async () => {
    const startsAt = new Date().toISOString();
    const alerts = ['db-1', 'db-2', 'db-3', 'db-4', 'db-5'].map((host) => ({ labels: { alertname: 'DiskWillFillIn4Hours', instance: `${host}:9100`, mountpoint: '/data' }, startsAt }));
    const response = await fetch(`http://127.0.0.1:${amPort}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(alerts) });
    expect(response.status).toBe(200);

    const decided = await waitFor(() => engine.output().split('\n').find((l) => l.includes('"msg":"alerts decided"')), `the webhook from Alertmanager\n${alertmanager.output()}`);
    expect(JSON.parse(decided)).toMatchObject({ alerts: 2, actions: 2, truncatedAlerts: 3 });
    expect(await truncatedTotal()).toBe(3);
    const [entry, ...others] = await waitFor(() => truncationEvents().length > 0 && truncationEvents(), 'the alerts-truncated audit event');
    expect(others).toEqual([]);
    expect(entry!.event).toMatchObject({ name: 'alerts-truncated', details: { groupKey: '{}:{alertname="DiskWillFillIn4Hours"}', receiver: 'homeostat', count: 3 } });
    expect(entry!.event.message).toMatch(/^3 alert\(s\) of a group for receiver homeostat left out by Alertmanager \(max_alerts\)/);
    expect(auditGit('log', '--format=%s', 'main')).toMatch(/^alerts-truncated: 3 alert\(s\)/m);
  }, 60_000);

  it('says how many in the 202 body of a captured truncated payload', async () => {
    const body = readFileSync(join(ROOT, AM, 'disk-will-fill-truncated.json'), 'utf8');
    const response = await fetch(`http://127.0.0.1:${enginePort}/api/v1/alerts`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body });
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ alerts: 2, truncatedAlerts: 3 });
    expect(await truncatedTotal()).toBe(6);
    await waitFor(() => truncationEvents().length === 2, 'the second alerts-truncated audit event');
  }, 60_000);
});
