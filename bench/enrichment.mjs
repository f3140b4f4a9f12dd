/**
 * The enrichment benchmark (`npm run build && node bench/enrichment.mjs`): webhook throughput
 * with enrichment on — every alert one instant query to a real Prometheus — next to the same
 * load with enrichment off, in the same run, against the same engine build.
 *
 * A real Prometheus (Debian `prometheus`, its own tsdb in a temp dir, 127.0.0.1 on a free port)
 * scrapes a tiny exporter served here on 127.0.0.1 (node_load1 = 9). The engine
 * (bench/webhook-server.mjs: the real journal and git audit repository) loads one policy:
 *   on   enrich: node_load1{instance="{{ labels.instance }}"}, when: load < 4 (it is 9)
 *   off  the same policy with no enrich, its when on a label that never holds
 * so no alert is decided in either: the figures are intake + evaluation, and with enrichment
 * the query each alert waits for. Payloads of PAYLOAD_ALERTS alerts with unique labels are
 * posted back to back, CONCURRENCY in flight, for PHASE_SECONDS each. Prometheus's own
 * request counter checks that every alert asked one query.
 *
 * A benchmark, not a test: it exits 0 whatever the figures; it exits 1 only when the setup is
 * wrong (Prometheus does not start, an answer is not 202, the query count does not add up).
 */
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmt, line, loadText, machineBusy, msSince, now, quantile } from './stats.mjs';
import { startServer } from './webhook.mjs';

const CONCURRENCY = 4;
const PAYLOAD_ALERTS = 20;
const WARMUP_SECONDS = 1;
const PHASE_SECONDS = 4;
const LOAD = 9;

const out = (text = '') => process.stdout.write(text + '\n');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function listen(server) {
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server.address().port;
}

async function freePort() {
  const server = createServer();
  const port = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function startPrometheus(dir, target) {
  try {
    execFileSync('sh', ['-c', 'command -v prometheus']);
  } catch {
    throw new Error('prometheus is not installed: install the Debian package prometheus (apt-get install prometheus)');
  }
  const port = await freePort();
  writeFileSync(join(dir, 'prometheus.yml'), `global: { scrape_interval: 1s }\nscrape_configs:\n  - job_name: node\n    static_configs:\n      - targets: ['${target}']\n`);
  const child = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  const query = async (q) => (await (await fetch(`${url}/api/v1/query?query=${encodeURIComponent(q)}`)).json()).data.result;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const [sample] = await query(`node_load1{instance="${target}"}`);
      if (sample && Number(sample.value[1]) === LOAD) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`Prometheus at ${url} did not scrape node_load1 from ${target} within 60 s`);
    await sleep(100);
  }
  return { url, query, stop: () => child.kill('SIGTERM') };
}

/** Instant queries Prometheus has answered so far, by its own counter on its /metrics. */
async function queriesAnswered(prometheus) {
  const text = await (await fetch(`${prometheus.url}/metrics`)).text();
  let total = 0;
  for (const m of text.matchAll(/^prometheus_http_requests_total\{[^}]*handler="\/api\/v1\/query"[^}]*\} (\S+)$/gm)) total += Number(m[1]);
  return total;
}

function writeRepo(dir, { enrich, prometheusUrl }) {
  mkdirSync(join(dir, 'rules'), { recursive: true });
  mkdirSync(join(dir, 'scripts'), { recursive: true });
  writeFileSync(join(dir, 'scripts/noop.sh'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  if (prometheusUrl) writeFileSync(join(dir, 'homeostat.yaml'), `apiVersion: homeostat/v1\nkind: Settings\nspec:\n  prometheus: { url: '${prometheusUrl}', timeout: 2s }\n`);
  const decide = enrich
    ? `  enrich:\n    - { name: load, query: 'node_load1{instance="{{ labels.instance }}"}' }\n  when: { all: [{ fact: prometheus, params: { name: load }, operator: lessThan, value: 4 }] }\n`
    : `  when: { all: [{ fact: labels, path: severity, operator: equal, value: never }] }\n`;
  writeFileSync(join(dir, 'rules/bench.yaml'), `apiVersion: homeostat/v1\nkind: Policy\nmetadata: { name: bench-load }\nspec:\n  match: { alertname: BenchLoad }\n${decide}  actions:\n    - name: noop\n      script: { path: scripts/noop.sh }\n`);
}

let serial = 0;
function nextPayload(instance) {
  const alerts = Array.from({ length: PAYLOAD_ALERTS }, () => ({
    status: 'firing',
    labels: { alertname: 'BenchLoad', instance, n: String(serial++), severity: 'warning' },
    annotations: {},
    startsAt: '2026-11-21T09:00:00Z',
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus:9090/graph',
  }));
  return Buffer.from(JSON.stringify({ version: '4', groupKey: '{}:{alertname="BenchLoad"}', truncatedAlerts: 0, status: 'firing', receiver: 'homeostat', groupLabels: { alertname: 'BenchLoad' }, commonLabels: { alertname: 'BenchLoad' }, commonAnnotations: {}, externalURL: 'http://alertmanager:9093', alerts }));
}

function post(agent, port, body) {
  return new Promise((resolve, reject) => {
    const req = request({ agent, host: '127.0.0.1', port, method: 'POST', path: '/api/v1/alerts', headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** CONCURRENCY workers post back to back for `seconds`; every answer must be 202 deciding nothing. */
async function drive(port, instance, seconds) {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const latencies = [];
  let alerts = 0;
  const end = now() + BigInt(Math.round(seconds * 1e9));
  const t0 = now();
  async function worker() {
    while (now() < end) {
      const body = nextPayload(instance);
      const sent = now();
      const res = await post(agent, port, body);
      if (res.status !== 202) throw new Error(`answered ${res.status}: ${res.text.slice(0, 300)}`);
      const answer = JSON.parse(res.text);
      if (answer.alerts !== PAYLOAD_ALERTS || answer.decisions !== 0) throw new Error(`answered ${res.text}; expected ${PAYLOAD_ALERTS} alerts and no decision`);
      latencies.push(Number(now() - sent));
      alerts += PAYLOAD_ALERTS;
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const wall = Number(now() - t0) / 1e9;
  agent.destroy();
  const ms = (q) => quantile(Float64Array.from(latencies).sort(), q) / 1e6;
  return { alerts, seconds: wall, alertsPerSecond: alerts / wall, p50Ms: ms(0.5), p99Ms: ms(0.99) };
}

async function phase(label, dir, instance, prometheus) {
  const server = await startServer(['--mode', 'engine', '--policies', join(dir, 'repo'), '--data', join(dir, 'data')], label);
  try {
    await drive(server.port, instance, WARMUP_SECONDS);
    const before = await queriesAnswered(prometheus);
    const result = await drive(server.port, instance, PHASE_SECONDS);
    const queries = (await queriesAnswered(prometheus)) - before;
    return { ...result, queries };
  } finally {
    await server.stop();
  }
}

async function main() {
  out(`enrichment benchmark — node ${process.version}, ${cpus().length} CPUs; load average ${loadText()}${machineBusy() ? '  (machine busy: wall-clock figures are inflated)' : ''}`);
  const tmp = mkdtempSync(join(tmpdir(), 'homeostat-bench-enrich-'));
  const exporter = createServer((req, res) => res.end(`# TYPE node_load1 gauge\nnode_load1 ${LOAD}\n`));
  const instance = `127.0.0.1:${await listen(exporter)}`;
  let prometheus = null;
  try {
    const t0 = now();
    prometheus = await startPrometheus(tmp, instance);
    out(line('Prometheus up and scraped (not timed below)', `${fmt(msSince(t0))} ms`));
    for (const [name, enrich] of [['on', true], ['off', false]]) {
      mkdirSync(join(tmp, name), { recursive: true });
      writeRepo(join(tmp, name, 'repo'), { enrich, prometheusUrl: enrich ? prometheus.url : null });
    }
    const on = await phase('enrichment on', join(tmp, 'on'), instance, prometheus);
    const off = await phase('enrichment off', join(tmp, 'off'), instance, prometheus);
    if (on.queries !== on.alerts) throw new Error(`enrichment on: ${on.alerts} alerts but ${on.queries} queries answered by Prometheus`);
    if (off.queries !== 0) throw new Error(`enrichment off: Prometheus answered ${off.queries} queries`);
    out(`webhook throughput, ${PAYLOAD_ALERTS}-alert payloads, ${CONCURRENCY} in flight, ${PHASE_SECONDS} s each; no alert decided (the policy's when does not hold)`);
    out('  on: every alert one query to the real Prometheus; off: none');
    for (const [label, r] of [['on', on], ['off', off]]) {
      out(line(`enrichment ${label}: throughput`, `${fmt(r.alertsPerSecond)} alerts/s`));
      out(line(`enrichment ${label}: time to 202 p50 / p99`, `${fmt(r.p50Ms, 1)} / ${fmt(r.p99Ms, 1)} ms`));
      out(line(`enrichment ${label}: alerts / queries Prometheus answered`, `${fmt(r.alerts)} / ${fmt(r.queries)}`));
    }
    out(line('enrichment on / off throughput', `${fmt(on.alertsPerSecond / off.alertsPerSecond, 2)}×`));
  } finally {
    prometheus?.stop();
    exporter.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`bench/enrichment: ${error.stack ?? error}\n`);
  process.exit(1);
});
