/**
 * A real Alertmanager (Debian prometheus-alertmanager) sends a group whose alert has labels
 * named `__proto__`, `constructor` and `prototype` to the built `homeostat serve`: the group is
 * taken (Alertmanager never retries a 4xx, so a 400 would lose it), the policy runs on it, and
 * the audit entry keeps those labels as sent.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor, writeRepo } from '../helpers/engine.js';
import { freePort } from '../helpers/processes.js';
import type { Spawned } from '../helpers/processes.js';
import { PROTOTYPE_LABELS, PROTOTYPE_LINE, prototypeRepo } from '../helpers/prototype-labels.js';
import { alertmanagerReady, serveReady } from '../helpers/serve.js';

const TOKEN = 'e2e-prototype-token-abcdef0123456789';
let root: string;
let out: string;
let enginePort: number;
let amPort: number;
let engine: Spawned;
let alertmanager: Spawned;

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
        http_config:
          authorization: { type: Bearer, credentials: ${TOKEN} }
`;
}

function auditGit(...args: string[]): string {
  return execFileSync('git', ['-C', join(root, 'data', 'audit'), ...args], { encoding: 'utf8' });
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'homeostat-am-proto-'));
  out = join(root, 'out.txt');
  writeRepo(join(root, 'repo'), prototypeRepo(out));
  enginePort = await freePort();
  amPort = await freePort();
  await serveReady(enginePort, ['--policies', join(root, 'repo'), '--data-dir', join(root, 'data')], { HOMEOSTAT_WEBHOOK_TOKEN: TOKEN }, root, (started) => (engine = started));
  alertmanager = await alertmanagerReady(root, amPort, amConfig());
}, 60_000);

afterAll(async () => {
  alertmanager?.child.kill('SIGTERM');
  engine?.child.kill('SIGTERM');
  const stopped = await engine?.exited;
  await alertmanager?.exited;
  expect(stopped?.code).toBe(0);
  rmSync(root, { recursive: true, force: true });
});

describe('Alertmanager → homeostat serve, labels named like prototypes', () => {
  it('takes the group, runs the policy on those labels and audits them as sent', async () => {
    const response = await fetch(`http://127.0.0.1:${amPort}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `[{"labels":${PROTOTYPE_LABELS},"annotations":{"summary":"e2e"},"startsAt":"${new Date().toISOString()}"}]`,
    });
    expect(response.status).toBe(200);
    await waitFor(() => existsSync(out), `the script to write ${out}\n${engine.output().slice(-3000)}\n${alertmanager.output().slice(-2000)}`, 60_000);
    expect(readFileSync(out, 'utf8')).toBe(PROTOTYPE_LINE);

    const path = await waitFor(() => {
      const log = auditGit('log', '--format=%s', 'main');
      return log.includes('succeeded: prototype-labels/record') ? auditGit('log', '--format=', '--name-only', 'main', '--', 'actions').split('\n').find(Boolean) : undefined;
    }, 'the outcome commit', 60_000);
    const entry = JSON.parse(auditGit('show', `main:${path}`)) as { alert: { labels: Record<string, string> } };
    expect(Object.entries(entry.alert.labels).sort()).toEqual(Object.entries(JSON.parse(PROTOTYPE_LABELS) as Record<string, string>).sort());
    expect(engine.output()).not.toMatch(/"statusCode":400|request refused/);
  }, 90_000);
});
