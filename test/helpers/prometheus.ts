/**
 * A real Prometheus (Debian `prometheus`) for tests: its own config and tsdb in a temp dir,
 * listening on a free port of 127.0.0.1, scraping every second a tiny exporter the test serves
 * on 127.0.0.1, whose samples (node_load1 and the like) the test sets.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, requireCommand, spawnLogged, untilHttpOk } from './processes.js';
import type { Spawned } from './processes.js';
import { waitFor } from './wait.js';

/** An exporter on 127.0.0.1: GET /metrics answers the samples set, in the text format. */
export interface Exporter {
  /** host:port, which is also the `instance` label Prometheus gives its series. */
  instance: string;
  set(metric: string, value: number): void;
  close(): Promise<void>;
}

export async function startExporter(): Promise<Exporter> {
  const samples = new Map<string, number>();
  const server: Server = createServer((request, response) => {
    const body = [...samples].map(([name, value]) => `# TYPE ${name} gauge\n${name} ${value}\n`).join('');
    response.writeHead(request.url === '/metrics' ? 200 : 404, { 'content-type': 'text/plain; version=0.0.4' });
    response.end(request.url === '/metrics' ? body : 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    instance: `127.0.0.1:${port}`,
    set: (metric, value) => samples.set(metric, value),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export interface TestPrometheus {
  url: string;
  /** The value of an instant query, as Prometheus answers it now (null: no series). */
  value(query: string): Promise<number | null>;
  /** Waits until the query gives this value (Prometheus has scraped the exporter since it was set). */
  untilValue(query: string, value: number): Promise<void>;
  stop(): Promise<void>;
  output(): string;
}

export async function startPrometheus(targets: readonly string[]): Promise<TestPrometheus> {
  const binary = requireCommand('prometheus', 'prometheus');
  const dir = mkdtempSync(join(tmpdir(), 'homeostat-prometheus-'));
  const port = await freePort();
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global: { scrape_interval: 1s, evaluation_interval: 1s }\nscrape_configs:\n  - job_name: node\n    static_configs:\n      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]\n`,
  );
  const url = `http://127.0.0.1:${port}`;
  let process: Spawned | null = spawnLogged(binary, [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
  ]);
  const spawned = process;
  try {
    await untilHttpOk(`${url}/-/ready`, 'Prometheus to be ready', 30_000);
  } catch (error) {
    spawned.child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\n${spawned.output()}`);
  }
  async function value(query: string): Promise<number | null> {
    const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(query)}`);
    const answer = (await response.json()) as { data: { result: { value: [number, string] }[] } };
    const series = answer.data.result;
    return series.length ? Number(series[0]!.value[1]) : null;
  }
  return {
    url,
    value,
    untilValue: (query, expected) => waitFor(async () => (await value(query)) === expected, `Prometheus to answer ${expected} to ${query}`, 30_000).then(() => undefined),
    async stop() {
      if (!process) return;
      const running = process;
      process = null;
      running.child.kill('SIGTERM');
      await running.exited;
      rmSync(dir, { recursive: true, force: true });
    },
    output: () => spawned.output(),
  };
}

/** An exporter with one sample set, and a Prometheus that has scraped it. */
export async function startScraped(metric: string, value: number): Promise<{ exporter: Exporter; prometheus: TestPrometheus }> {
  const exporter = await startExporter();
  exporter.set(metric, value);
  const prometheus = await startPrometheus([exporter.instance]);
  await prometheus.untilValue(`${metric}{instance="${exporter.instance}"}`, value);
  return { exporter, prometheus };
}
