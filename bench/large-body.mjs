/**
 * The large-body benchmark (`npm run build && node bench/large-body.mjs`): what one 32 MiB
 * webhook body costs everyone else, against the built `homeostat serve`.
 *
 * While one POST of a body just under the 32 MiB limit is sent and answered, a probe sends a
 * tiny webhook POST (one alert that matches nothing) every PROBE_PAUSE_MS, one after the other,
 * and times each: the largest of those times is how long the event loop was held. The peak RSS
 * is the server process's VmHWM once the large POST is answered. For serve, the probe then goes
 * on until the audit has caught up (GET /api/v1/status: no entry waits for git): what the
 * journal, the audit commit and a compaction that follow the answer cost everyone else.
 *
 *   Baseline  a bare fastify 5 server (bench/webhook-server.mjs --mode ceiling, bodyLimit
 *             32 MiB) that parses the body with fastify's own JSON parser on its event loop and
 *             answers 202: what parsing in line costs, measured in the same run
 *   Idle      the built serve, the probe alone: the floor of a probe's time
 *   Intake    the built serve (bundled policies, --dry-run), 141,000 alerts none of which
 *             matches a policy: parse, validation, split, evaluation; no decision
 *   Storm     the same with 135,000 InstanceDown alerts that the bundled policies match (two
 *             decisions each, most refused by the blast radius and audited): the engine's
 *             decisions, journal and audit on top of the intake
 *
 * A benchmark, not a test: it exits 0 whatever the figures and prints "goal met" / "goal
 * MISSED"; it exits 1 only when the setup is wrong (a server does not start, a POST is not
 * answered 202).
 */
import { fork, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, line, loadText, machineBusy, mb, msSince, now, quantile } from './stats.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const MAX_BODY = 32 * 1024 * 1024;
const TOKEN = 'bench-large-body-token-0123456789';
const PROBE_PAUSE_MS = 10;
const GOALS = { heldMs: 500, peakRssMb: 400 };

const out = (text = '') => process.stdout.write(text + '\n');

class SetupError extends Error {}

/** A webhook body of `alert(i)` alerts, just under the 32 MiB limit. */
function body(alert) {
  const alerts = [];
  let size = 1024;
  for (let i = 0; size < MAX_BODY - 4096; i++) {
    const text = JSON.stringify(alert(i));
    alerts.push(text);
    size += text.length + 1;
  }
  const group = { version: '4', groupKey: '{}:{alertname="Bench"}', truncatedAlerts: 0, status: 'firing', receiver: 'homeostat', groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: '' };
  return { bytes: Buffer.from(`${JSON.stringify(group).slice(0, -1)},"alerts":[${alerts.join(',')}]}`), alerts: alerts.length };
}

const firing = (labels, summary) => ({ status: 'firing', labels, annotations: { summary }, startsAt: '2026-11-21T07:10:19Z', endsAt: '0001-01-01T00:00:00Z', generatorURL: '' });
const unmatched = (i) => firing({ alertname: 'BenchLargeBody', instance: `node-${i}:9100`, job: 'fleet', severity: 'info' }, `node-${i} is part of a large group`);
const storm = (i) => firing({ alertname: 'InstanceDown', instance: `node-${i}:9100`, job: 'fleet', severity: 'critical' }, `node-${i} down`);
const PROBE = Buffer.from(JSON.stringify({ version: '4', status: 'firing', receiver: 'probe', groupKey: '{}:probe', alerts: [firing({ alertname: 'BenchProbe', instance: 'probe:9100' }, 'probe')] }));

async function post(port, bytes) {
  const t0 = now();
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` };
  const response = await fetch(`http://127.0.0.1:${port}/api/v1/alerts`, { method: 'POST', headers, body: bytes });
  const body = await response.text();
  return { status: response.status, body, ms: msSince(t0) };
}

const peakRssKb = (pid) => Number(/^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);

/** Probes one after the other until `until` settles; each probe's time in ms. */
async function probeWhile(port, until) {
  const times = [];
  let done = false;
  void until.finally(() => (done = true));
  while (!done) {
    const r = await post(port, PROBE);
    if (r.status !== 202) throw new SetupError(`a probe was answered ${r.status}: ${r.body}`);
    times.push(r.ms);
    await new Promise((resolve) => setTimeout(resolve, PROBE_PAUSE_MS));
  }
  return times;
}

/** One large POST with the probe running beside it. */
async function measure(server, bytes) {
  const rssBeforeKb = peakRssKb(server.pid);
  const large = post(server.port, bytes);
  const probes = await probeWhile(server.port, large);
  const answer = await large;
  if (answer.status !== 202) throw new SetupError(`the large body was answered ${answer.status}: ${answer.body.slice(0, 300)}`);
  const sorted = [...probes].sort((a, b) => a - b);
  return { answer, probes: probes.length, heldMs: sorted.at(-1) ?? 0, p50Ms: quantile(sorted, 0.5), rssBeforeKb, peakRssKb: peakRssKb(server.pid) };
}

/** After the answer: probes until serve's audit has caught up, the slowest, and the peak RSS then. */
async function measureAfter(server) {
  const t0 = now();
  const caughtUp = (async () => {
    for (;;) {
      const status = await (await fetch(`http://127.0.0.1:${server.port}/api/v1/status`)).json();
      if (status.audit.backlog === 0) return;
      if (msSince(t0) > 120_000) throw new SetupError('the audit did not catch up within 2 minutes');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  const probes = await probeWhile(server.port, caughtUp);
  await caughtUp;
  return { ms: msSince(t0), heldMs: Math.max(0, ...probes), peakRssKb: peakRssKb(server.pid) };
}

async function startCeiling() {
  const child = fork(join(ROOT, 'bench/webhook-server.mjs'), ['--mode', 'ceiling'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const { port } = await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new SetupError(`the baseline server exited (${code})`)));
  });
  return { pid: child.pid, port, stop: () => child.kill('SIGKILL') };
}

async function startServe(tmp, label) {
  const dataDir = join(tmp, `data-${label}`);
  const tokenFile = join(tmp, 'webhook.token');
  writeFileSync(tokenFile, TOKEN);
  const listen = `127.0.0.1:0`;
  const child = spawn(process.execPath, [join(ROOT, 'dist/engine/cli/main.js'), 'serve', '--policies', ROOT, '--data-dir', dataDir, '--listen', listen, '--webhook-token-file', tokenFile, '--dry-run', '--log-level', 'info'], {
    cwd: tmp,
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  let log = '';
  const port = await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      log += d;
      const m = /"address":"http:\/\/127\.0\.0\.1:(\d+)"/.exec(log);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new SetupError(`serve exited (${code}) before listening:\n${log}`)));
  });
  child.stdout.resume();
  // The data directory is thrown away: no graceful stop (its audit may still be committing).
  return { pid: child.pid, port, stop: () => process.kill(-child.pid, 'SIGKILL') };
}

function report(heading, r, goals) {
  out(`  ${heading}`);
  out(line('  time to 202', `${fmt(r.answer.ms)} ms`));
  out(line('  probes answered meanwhile (median time)', `${fmt(r.probes)} (${fmt(r.p50Ms, 1)} ms)`));
  out(line('  event loop held (slowest probe)', `${fmt(r.heldMs)} ms`, goals ? `< ${GOALS.heldMs} ms` : null, r.heldMs < GOALS.heldMs));
  out(line('  peak RSS (before the body)', `${mb(r.peakRssKb)} (${mb(r.rssBeforeKb)})`, goals ? `< ${GOALS.peakRssMb} MB` : null, r.peakRssKb / 1024 < GOALS.peakRssMb));
}

async function main() {
  out(`== Large body: one webhook body just under 32 MiB, a tiny webhook POST every ${PROBE_PAUSE_MS} ms beside it — load average ${loadText()}${machineBusy() ? ' (machine busy)' : ''}`);
  const tmp = mkdtempSync(join(tmpdir(), 'homeostat-large-body-'));
  const intake = body(unmatched);
  const stormBody = body(storm);
  try {
    const ceiling = await startCeiling();
    try {
      const r = await measure(ceiling, intake.bytes);
      report(`baseline: bare fastify parsing in line, ${fmt(intake.alerts)} alerts`, r, false);
    } finally {
      ceiling.stop();
    }
    for (const [label, payload] of [['intake', intake], ['storm', stormBody]]) {
      const serve = await startServe(tmp, label);
      try {
        if (label === 'intake') {
          const idle = await probeWhile(serve.port, new Promise((resolve) => setTimeout(resolve, 1_000)));
          out('  serve idle');
          out(line('  slowest probe of 1 s of probes alone', `${fmt(Math.max(...idle), 1)} ms`));
        }
        const r = await measure(serve, payload.bytes);
        const answer = JSON.parse(r.answer.body);
        if (answer.alerts !== payload.alerts) throw new SetupError(`serve decided ${answer.alerts} alerts of ${payload.alerts}`);
        report(`serve ${label}: ${fmt(payload.alerts)} alerts, ${fmt(answer.decisions)} decisions`, r, true);
        const after = await measureAfter(serve);
        out(line('  then until the audit caught up', `${fmt(after.ms)} ms`));
        out(line('  event loop held meanwhile (slowest probe)', `${fmt(after.heldMs)} ms`, `< ${GOALS.heldMs} ms`, after.heldMs < GOALS.heldMs));
        out(line('  peak RSS by then', mb(after.peakRssKb), `< ${GOALS.peakRssMb} MB`, after.peakRssKb / 1024 < GOALS.peakRssMb));
      } finally {
        serve.stop();
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`large-body bench: ${error.stack ?? error}\n`);
  process.exit(1);
});
