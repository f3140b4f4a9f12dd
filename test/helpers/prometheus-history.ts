/**
 * Debian's Prometheus over a history written with `promtool tsdb create-blocks-from
 * openmetrics`, and a bare Alertmanager, for the replay tests: each on a free loopback port
 * with its own data folder, stopped (by its pid) after the file's tests.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { freePort, requireCommand, spawnLogged, untilHttpOk } from './processes.js';
import type { Spawned } from './processes.js';

export interface Running {
  url: string;
  process: Spawned;
}

const started: Spawned[] = [];
afterAll(async () => {
  for (const p of started) {
    if (p.child.exitCode === null) p.child.kill('SIGTERM');
    await p.exited;
  }
});

/** One OpenMetrics sample line: `ALERTS{…} 1 <seconds>`; label values escaped as the format wants. */
export function openMetricsSample(labels: Record<string, string>, seconds: number, value = '1'): string {
  const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
  return `ALERTS{${Object.entries(labels).map(([k, v]) => `${k}="${escape(v)}"`).join(',')}} ${value} ${seconds}`;
}

/**
 * Prometheus serving `samples` (OpenMetrics lines of the ALERTS gauge) backfilled into its tsdb
 * under `dir`. The lookback is 45s: backfilled series carry no staleness markers, which a real
 * Prometheus writes when an alert resolves; the samples are 30s apart, so a series is seen
 * exactly while it has samples, as a real one is seen until its marker.
 */
export async function startPrometheus(dir: string, samples: readonly string[]): Promise<Running> {
  const binary = requireCommand('prometheus', 'prometheus');
  requireCommand('promtool', 'prometheus');
  mkdirSync(dir, { recursive: true });
  const input = join(dir, 'alerts.om');
  const tsdb = join(dir, 'tsdb');
  writeFileSync(input, `# TYPE ALERTS gauge\n${samples.join('\n')}\n# EOF\n`);
  execFileSync('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', input, tsdb], { stdio: ['ignore', 'pipe', 'pipe'] });
  const config = join(dir, 'prometheus.yml');
  writeFileSync(config, 'global: { evaluation_interval: 1m }\nscrape_configs: []\n');
  const port = await freePort();
  const p = spawnLogged(binary, [
    `--config.file=${config}`, `--storage.tsdb.path=${tsdb}`, `--web.listen-address=127.0.0.1:${port}`,
    '--storage.tsdb.retention.time=30d', '--query.lookback-delta=45s',
  ]);
  started.push(p);
  const url = `http://127.0.0.1:${port}`;
  await untilHttpOk(`${url}/-/ready`, `prometheus ready\n${p.output().slice(-2000)}`, 30_000);
  return { url, process: p };
}

/** A bare Alertmanager (no cluster, a receiver nothing listens to), for its /api/v2/alerts. */
export async function startAlertmanager(dir: string): Promise<Running> {
  const binary = requireCommand('prometheus-alertmanager', 'prometheus-alertmanager');
  mkdirSync(dir, { recursive: true });
  const config = join(dir, 'alertmanager.yml');
  writeFileSync(config, "route: { receiver: none, group_wait: 1h }\nreceivers: [{ name: none }]\n");
  const port = await freePort();
  const p = spawnLogged(binary, [`--config.file=${config}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=']);
  started.push(p);
  const url = `http://127.0.0.1:${port}`;
  await untilHttpOk(`${url}/-/ready`, `alertmanager ready\n${p.output().slice(-2000)}`, 30_000);
  return { url, process: p };
}
