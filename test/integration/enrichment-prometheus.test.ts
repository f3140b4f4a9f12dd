/**
 * Enrichment against a real Prometheus (Debian `prometheus`) scraping an exporter this test
 * serves on 127.0.0.1: the webhook (inject) → the engine asks Prometheus → `when` decides on
 * the value → the value reaches a real script's argv → the audit records the query and its
 * value. Hostile labels stay inside their string; Prometheus stopped or silent fails closed,
 * audited and counted.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../engine/audit/entry.js';
import { run } from '../../engine/cli/program.js';
import { closeTestEngine, payload, startTestEngine, waitFor, writeRepo } from '../helpers/engine.js';
import type { TestEngine } from '../helpers/engine.js';
import { startScraped } from '../helpers/prometheus.js';
import type { Exporter, TestPrometheus } from '../helpers/prometheus.js';

const RECORD_SCRIPT = `#!/bin/sh
# Appends its argv to $OUT: proof of what reached the process.
printf '%s|%s\\n' "$1" "$2" >> "$OUT"
`;

/** A policy whose action appends two argv elements to OUT. */
function scriptPolicy(name: string, spec: string, args: string, out: string): string {
  return `apiVersion: homeostat/v1
kind: Policy
metadata: { name: ${name} }
spec:
${spec}
  actions:
    - name: record
      script: { path: scripts/record.sh, args: ${args}, env: { OUT: '${out}' } }
  guards: { cooldown: 0s }
`;
}

const ENRICH_LOAD = `  enrich:
    - name: load
      query: 'node_load1{instance="{{ labels.instance }}"}'`;

function files(out: string, prometheusUrl: string | null): Record<string, string> {
  return {
    ...(prometheusUrl ? { 'homeostat.yaml': `apiVersion: homeostat/v1\nkind: Settings\nspec:\n  prometheus: { url: '${prometheusUrl}', timeout: 2s }\n` } : {}),
    'scripts/record.sh': RECORD_SCRIPT,
    'rules/loaded-host.yaml': scriptPolicy('loaded-host', `  match: { alertname: HighCPUUsage }
${ENRICH_LOAD}
  when:
    all:
      - { fact: prometheus, params: { name: load }, operator: greaterThan, value: 4 }
  target: '{{ labels.instance }}'`, "['{{ labels.instance }}', '{{ enrichment.load }}']", out),
    'rules/watch-query.yaml': scriptPolicy('watch-query', `  match: { alertname: HighCPUUsage, probe: 'true' }
${ENRICH_LOAD}`, "['watched', '{{ labels.alertname }}']", out),
    'rules/plain.yaml': scriptPolicy('plain', '  match: { alertname: Plain }', "['plain', '{{ labels.alertname }}']", out),
  };
}

let exporter: Exporter;
let prometheus: TestPrometheus;
let tmp: string;
let t: TestEngine | undefined;
let startsAt = Date.parse('2026-11-21T09:00:00Z');

beforeAll(async () => {
  ({ exporter, prometheus } = await startScraped('node_load1', 9));
  tmp = mkdtempSync(join(tmpdir(), 'homeostat-enrich-'));
}, 60_000);

afterAll(async () => {
  await prometheus?.stop();
  await exporter?.close();
  rmSync(tmp, { recursive: true, force: true });
});

afterEach(async () => (t = await closeTestEngine(t)));

/** A new alert each time (its own startsAt): never a duplicate of the one before. */
function alert(labels: Record<string, string>) {
  startsAt += 60_000;
  return payload(labels, { startsAt: new Date(startsAt).toISOString() });
}

function entriesOf(engine: TestEngine, policy: string): AuditEntry[] {
  const files = engine.git('ls-tree', '-r', '--name-only', 'main', 'actions').split('\n').filter(Boolean);
  return files.map((f) => JSON.parse(engine.git('show', `main:${f}`)) as AuditEntry).filter((e) => e.policy === policy);
}

function lines(out: string): string[] {
  return existsSync(out) ? readFileSync(out, 'utf8').split('\n').filter(Boolean) : [];
}

describe('enrichment from a real Prometheus', () => {
  it('decides `when` on the queried value both ways, and renders the value into the script argv', async () => {
    const out = join(tmp, 'both-ways.txt');
    t = await startTestEngine({ files: files(out, prometheus.url) });
    const query = `node_load1{instance="${exporter.instance}"}`;

    const loaded = await t.post(alert({ alertname: 'HighCPUUsage', instance: exporter.instance }));
    expect(loaded.statusCode).toBe(202);
    expect(loaded.json()).toMatchObject({ decisions: 1, actions: 1 });
    await waitFor(() => lines(out).length === 1, 'the script to run');
    expect(lines(out)).toEqual([`${exporter.instance}|9`]);
    const engine = t;
    const [entry] = await waitFor(() => {
      const found = entriesOf(engine, 'loaded-host');
      return found.length === 1 && found[0]!.outcome === 'succeeded' && found;
    }, 'the outcome in the audit');
    expect(entry).toMatchObject({ verdict: 'run', target: exporter.instance, params: { args: [exporter.instance, '9'] }, enrichment: [{ name: 'load', query, value: 9 }] });

    exporter.set('node_load1', 1);
    await prometheus.untilValue(query, 1);
    const idle = await t.post(alert({ alertname: 'HighCPUUsage', instance: exporter.instance }));
    expect(idle.statusCode).toBe(202);
    expect(idle.json()).toMatchObject({ decisions: 0, actions: 0 });

    exporter.set('node_load1', 7.5);
    await prometheus.untilValue(query, 7.5);
    const again = await t.post(alert({ alertname: 'HighCPUUsage', instance: exporter.instance }));
    expect(again.json()).toMatchObject({ decisions: 1, actions: 1 });
    await waitFor(() => lines(out).length === 2, 'the second run');
    expect(lines(out)).toEqual([`${exporter.instance}|9`, `${exporter.instance}|7.5`]);
    exporter.set('node_load1', 9);
    await prometheus.untilValue(query, 9);
  });

  it('keeps a hostile label inside its string: the query is the one written, and finds no series', async () => {
    const out = join(tmp, 'hostile.txt');
    t = await startTestEngine({ files: files(out, prometheus.url) });
    // Unescaped, the second would make the query `… or vector(100) or …`: load 100, and an action.
    const hostile = ['"} or vector(1) or {"', '"} or vector(100) or node_load1{instance="x'];
    for (const instance of hostile) {
      const response = await t.post(alert({ alertname: 'HighCPUUsage', instance, probe: 'true' }));
      expect(response.statusCode).toBe(202);
      expect(response.json()).toMatchObject({ decisions: 1, actions: 1 }); // watch-query only: loaded-host does not match
    }
    const engine = t;
    const watched = await waitFor(() => {
      const found = entriesOf(engine, 'watch-query');
      return found.length === 2 && found;
    }, 'both decisions in the audit');
    const byQuery = (a: AuditEntry['enrichment'], b: AuditEntry['enrichment']) => (a![0]!.query < b![0]!.query ? -1 : 1);
    expect(watched.map((e) => e.enrichment).sort(byQuery)).toEqual([
      [{ name: 'load', query: 'node_load1{instance="\\"} or vector(1) or {\\""}', value: null }],
      [{ name: 'load', query: 'node_load1{instance="\\"} or vector(100) or node_load1{instance=\\"x"}', value: null }],
    ]);
    expect(entriesOf(engine, 'loaded-host')).toEqual([]);
    await waitFor(() => lines(out).length === 2, 'the watch actions to run');
    expect(lines(out)).toEqual(['watched|HighCPUUsage', 'watched|HighCPUUsage']);
  });

  it('fails closed when Prometheus does not answer in time, and alerts that need no query never ask it', async () => {
    const silent = await startSilentServer();
    try {
      const out = join(tmp, 'silent.txt');
      // homeostat.yaml names the real Prometheus; --prometheus-url (prometheusUrl) overrides it.
      t = await startTestEngine({ files: files(out, prometheus.url), config: { prometheusUrl: `http://${silent.address}` } });
      const plain = await t.post(alert({ alertname: 'Plain' }));
      expect(plain.json()).toMatchObject({ decisions: 1, actions: 1 });
      expect(silent.connections()).toBe(0);

      const response = await t.post(alert({ alertname: 'HighCPUUsage', instance: exporter.instance }));
      expect(response.statusCode).toBe(202);
      expect(response.json()).toMatchObject({ decisions: 1, actions: 0 });
      expect(silent.connections()).toBeGreaterThan(0);
      const engine = t;
      const [entry] = await waitFor(() => {
        const found = entriesOf(engine, 'loaded-host');
        return found.length === 1 && found;
      }, 'the refusal in the audit');
      expect(entry).toMatchObject({ verdict: 'refused', outcome: 'refused', guards: { refusedBy: 'enrichment' }, enrichment: [{ name: 'load', query: `node_load1{instance="${exporter.instance}"}` }] });
      expect(entry!.reason).toMatch(new RegExp(`^enrichment load: Prometheus POST http://${silent.address.replace(/\./g, '\\.')}: no answer within \\d+ ms; no action \\(fails closed\\)`));
      const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(metrics).toMatch(/homeostat_enrichment_queries_total\{result="timeout"\} 1/);
      expect(metrics).toMatch(/homeostat_enrichment_refusals_total 1/);
      await waitFor(() => lines(out).length === 1, 'the plain action');
      expect(lines(out)).toEqual(['plain|Plain']);
    } finally {
      await silent.close();
    }
  });

  it('simulate --prometheus-url asks it; simulate without says that no Prometheus was asked', async () => {
    const dir = join(tmp, 'simulate');
    writeRepo(dir, files(join(tmp, 'never-run.txt'), null));
    const alerts = join(dir, 'alerts.json');
    writeFileSync(alerts, JSON.stringify(alert({ alertname: 'HighCPUUsage', instance: exporter.instance })));
    const cli = async (...argv: string[]) => {
      let stdout = '';
      const code = await run(argv, { stdout: (text) => void (stdout += text), stderr: () => undefined, cwd: tmp });
      expect(code).toBe(0);
      return JSON.parse(stdout) as Record<string, unknown>;
    };
    const simulate = async (...extra: string[]) => (await cli('simulate', dir, '--alerts', alerts, '--format', 'json', ...extra)).decisions as Record<string, unknown>[];
    const asked = await simulate('--prometheus-url', prometheus.url);
    expect(asked).toMatchObject([
      { policy: 'loaded-host', verdict: 'run', params: { args: [exporter.instance, '9'] }, enrichment: [{ name: 'load', query: `node_load1{instance="${exporter.instance}"}`, value: 9 }] },
    ]);
    const offline = await simulate();
    expect(offline).toMatchObject([{ policy: 'loaded-host', verdict: 'refused', refusedBy: 'enrichment' }]);
    expect(offline[0]!.reason).toMatch(/^enrichment load: no Prometheus to query: .*--prometheus-url/);
    expect(existsSync(join(tmp, 'never-run.txt'))).toBe(false);
    const explained = await cli('explain', dir, '--alerts', alerts, '--policy', 'loaded-host', '--format', 'json', '--prometheus-url', prometheus.url);
    expect(explained.alerts).toMatchObject([{ policies: [{ policy: 'loaded-host', matched: true, enrichment: [{ name: 'load', value: 9 }] }] }]);
  });

  it('fails closed when Prometheus is stopped: no action, the reason audited and counted', async () => {
    const out = join(tmp, 'stopped.txt');
    t = await startTestEngine({ files: files(out, prometheus.url) });
    await prometheus.stop();
    const response = await t.post(alert({ alertname: 'HighCPUUsage', instance: exporter.instance }));
    expect(response.statusCode).toBe(202);
    expect(response.json()).toMatchObject({ decisions: 1, actions: 0 });
    const engine = t;
    const [entry] = await waitFor(() => {
      const found = entriesOf(engine, 'loaded-host');
      return found.length === 1 && found;
    }, 'the refusal in the audit');
    expect(entry).toMatchObject({ verdict: 'refused', outcome: 'refused', execution: null, guards: { refusedBy: 'enrichment' } });
    expect(entry!.reason).toContain(`enrichment load: Prometheus POST ${prometheus.url}: `);
    expect(entry!.reason).toContain('ECONNREFUSED');
    expect(entry!.enrichment![0]!.error).toContain('ECONNREFUSED');
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/homeostat_enrichment_queries_total\{result="error"\} 1/);
    expect(lines(out)).toEqual([]);
  });
});

/** A listener on 127.0.0.1 that accepts connections and never answers: a Prometheus hung. */
async function startSilentServer(): Promise<{ address: string; connections(): number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let count = 0;
  const server: Server = createServer((socket) => {
    count++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    address: `127.0.0.1:${port}`,
    connections: () => count,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
