/**
 * The built `homeostat serve --prometheus-url URL` against a real Prometheus (Debian
 * `prometheus`) scraping an exporter served here: the flag reaches the engine, the queried
 * value decides and renders into a real script's argv, and the metrics count the queries.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { payload, waitFor, writeRepo } from '../helpers/engine.js';
import { freePort, spawnServe, untilHttpOk } from '../helpers/processes.js';
import type { Spawned } from '../helpers/processes.js';
import { startScraped } from '../helpers/prometheus.js';
import type { Exporter, TestPrometheus } from '../helpers/prometheus.js';

const TOKEN = 'e2e-webhook-token-0123456789';

let exporter: Exporter;
let prometheus: TestPrometheus;
let root: string;
let serve: Spawned | undefined;

beforeAll(async () => {
  ({ exporter, prometheus } = await startScraped('node_load1', 6));
  root = mkdtempSync(join(tmpdir(), 'homeostat-e2e-enrich-'));
}, 60_000);

afterAll(async () => {
  if (serve) {
    serve.child.kill('SIGTERM');
    await serve.exited;
  }
  await prometheus?.stop();
  await exporter?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('serve --prometheus-url', () => {
  it('asks that Prometheus, acts on the value, and counts the query', async () => {
    const out = join(root, 'out.txt');
    writeRepo(join(root, 'repo'), {
      'scripts/record.sh': '#!/bin/sh\nprintf \'%s|%s\\n\' "$1" "$2" >> "$OUT"\n',
      'rules/loaded.yaml': `apiVersion: homeostat/v1
kind: Policy
metadata: { name: loaded }
spec:
  match: { alertname: HighCPUUsage }
  enrich:
    - { name: load, query: 'node_load1{instance="{{ labels.instance }}"}' }
  when: { all: [{ fact: prometheus, params: { name: load }, operator: greaterThan, value: 4 }] }
  actions:
    - name: record
      script: { path: scripts/record.sh, args: ['{{ labels.instance }}', '{{ enrichment.load }}'], env: { OUT: '${out}' } }
`,
    });
    const port = await freePort();
    serve = spawnServe(['--policies', join(root, 'repo'), '--data-dir', join(root, 'data'), '--listen', `127.0.0.1:${port}`, '--prometheus-url', prometheus.url], { HOMEOSTAT_WEBHOOK_TOKEN: TOKEN }, root);
    const spawned = serve;
    await untilHttpOk(`http://127.0.0.1:${port}/readyz`, 'the engine to be ready').catch((error: Error) => {
      throw new Error(`${error.message}\n${spawned.output()}`);
    });
    const response = await fetch(`http://127.0.0.1:${port}/api/v1/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify(payload({ alertname: 'HighCPUUsage', instance: exporter.instance })),
    });
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ decisions: 1, actions: 1 });
    await waitFor(() => existsSync(out) && readFileSync(out, 'utf8'), 'the script to run');
    expect(readFileSync(out, 'utf8')).toBe(`${exporter.instance}|6\n`);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/^homeostat_enrichment_queries_total\{result="ok"\} 1$/m);
  });
});
