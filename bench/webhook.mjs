/**
 * The webhook benchmark (`npm run build && node bench/webhook.mjs`): `homeostat serve`'s
 * intake over real HTTP, from the first byte of a POST to its 202.
 *
 *   Ceiling  a bare fastify 5 server (bodyLimit 32 MiB) whose one POST route only parses the
 *            JSON body and answers 202: what HTTP + JSON.parse cost alone on this machine
 *   (a)      the engine (real journal, real git audit repository) with the bundled policies,
 *            each given a matcher no alert has, fed the Alertmanager fixtures (storms included):
 *            nothing matches, so this is intake without decisions
 *   (b)      1,000 generated policies (alertname Bench0..Bench999, a script action, dry-run,
 *            cooldown 0s, the bundled blast radius of 20 actions in 10 minutes), 500-alert
 *            payloads whose alerts each match one policy, unique labels per request: every alert
 *            is decided and journaled (fsynced) before its 202; past the first 20 the blast
 *            radius refuses, as it would in a real storm, and those refusals are audited.
 *            Time to 2xx is measured at the goal's rate (10,000 alerts/s, open loop) and at
 *            saturation (CONCURRENCY in flight, back to back)
 *   (c)      one 10,000-alert webhook (~4 MB) at the same 1,000 policies: time to 202, every
 *            alert decided in it, and how long until the audit repository has caught up
 *   RSS      10,000 generated policies under (b)-style load: the engine process's peak RSS,
 *            first at (b)'s goal rate (10,000 alerts/s, open loop), which the goal applies to,
 *            then, in a fresh engine, at saturation (CONCURRENCY in flight, back to back),
 *            where the backlogs fill to their limits
 *
 * Each server runs in a child process (bench/webhook-server.mjs); this process drives it with
 * keep-alive HTTP (node:http), CONCURRENCY requests in flight, for a fixed time, the ceiling
 * and the engine alike. A benchmark, not a test: it exits 0 whatever the figures and prints
 * "goal met" / "goal MISSED"; it exits 1 only when the setup is wrong (a request not answered
 * 202, decisions that do not add up, a server that does not start).
 *
 * Importable: `webhookBench({ out, phases })` runs it and returns the figures; nothing else is
 * exported. Environment: WEBHOOK_BENCH_PHASES=ceiling,a,b,c,rss runs only those (a needs the
 * ceiling, which it then runs too); WEBHOOK_BENCH_PROF=DIR has each server write a CPU profile
 * (node --cpu-prof) into DIR; WEBHOOK_BENCH_HEAP=DIR has each server write a heap snapshot
 * into DIR when stopped, after a full collection; WEBHOOK_BENCH_NODE_FLAGS='--flag ...' starts
 * the servers with those node flags.
 */
import { fork } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fmt, line, loadText, machineBusy, mb, msSince, now, quantile } from './stats.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SERVER = join(ROOT, 'bench/webhook-server.mjs');
const FIXTURES = join(ROOT, 'test/fixtures/alertmanager');
const STORM_FIXTURES = ['storm-first-408.json', 'storm-repeat-500.json'];

const CONCURRENCY = 4;
const WARMUP_SECONDS = 1;
const PHASE_SECONDS = 4;
const RSS_SECONDS = 4;
const PAYLOAD_ALERTS = 500;
const BIG_ALERTS = 10_000;
const POLICIES = 1_000;
const RSS_POLICIES = 10_000;
/** How long (c) waits for the audit repository to take the intents, and for the dry-run actions to end. */
const DRAIN_LIMIT_MS = 30_000;
const ACTIONS_LIMIT_MS = 5_000;
const TOKEN = 'bench-webhook-token-0123456789abcdef';
/** How long a client waits before it sends a payload the engine answered 503 (overloaded) again. */
const RETRY_PAUSE_MS = 20;

const GOALS = {
  ceilingShare: 0.25,
  matchedAlertsPerSecond: 10_000,
  matchedP99Ms: 100,
  bigTo2xxMs: 2_000,
  bigDecidedMs: 5_000,
  rssMb: 250,
};

class SetupError extends Error {}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// Policy repositories

/** The bundled rules/ (tests left out), each given a matcher no alert carries. */
function writeNoMatchRepository(dir) {
  mkdirSync(join(dir, 'rules'), { recursive: true });
  mkdirSync(join(dir, 'playbooks'), { recursive: true });
  copyFileSync(join(ROOT, 'homeostat.yaml'), join(dir, 'homeostat.yaml'));
  for (const f of readdirSync(join(ROOT, 'playbooks'))) copyFileSync(join(ROOT, 'playbooks', f), join(dir, 'playbooks', f));
  let count = 0;
  for (const f of readdirSync(join(ROOT, 'rules')).filter((f) => /\.ya?ml$/.test(f) && !/\.test\.ya?ml$/.test(f))) {
    const text = readFileSync(join(ROOT, 'rules', f), 'utf8');
    const changed = text.replace(/^( {2}match:\n)/m, "$1    bench_never: 'true'\n");
    if (changed === text) throw new SetupError(`rules/${f}: no '  match:' line to add the never-matching matcher to`);
    writeFileSync(join(dir, 'rules', f), changed);
    count++;
  }
  return count;
}

const BENCH_SETTINGS = `apiVersion: homeostat/v1
kind: Settings
spec:
  dryRun: true                                  # nothing runs for real: the script is only described
  blastRadius: { max: 20, per: 10m }            # the bundled default: a storm runs 20 actions, the rest are refused and audited
  defaults:
    guards: { cooldown: 0s, concurrency: 1 }
`;

function benchPolicy(i, width) {
  const id = String(i).padStart(width, '0');
  return `apiVersion: homeostat/v1
kind: Policy
metadata:
  name: bench-${id}
  description: 'Generated webhook-bench policy #${i}: restart what Bench${i} names.'
  owner: team-bench
spec:
  match:
    alertname: Bench${i}
    job: bench
    severity: [warning, critical]
  target: '{{ labels.instance | host }}'
  actions:
    - name: restart
      script:
        path: scripts/bench-restart.sh
        args: ['{{ target }}', '{{ labels.alertname }}']
      timeout: 1m
  guards:
    cooldown: 0s
`;
}

/**
 * What (c) warms the engine up with: alerts BenchWarmUp are decided like the others, but the
 * rate limit refuses all but the first, so they leave no actions queued behind them.
 */
const WARM_UP_POLICY = `apiVersion: homeostat/v1
kind: Policy
metadata:
  name: bench-warm-up
  description: 'Warm-up for the webhook bench: decided, journaled and audited, but run once at most.'
  owner: team-bench
spec:
  match:
    alertname: BenchWarmUp
    job: bench
  target: '{{ labels.instance | host }}'
  actions:
    - name: restart
      script:
        path: scripts/bench-restart.sh
        args: ['{{ target }}', '{{ labels.alertname }}']
  guards:
    cooldown: 0s
    rateLimit: { max: 1, per: 1h }
`;

/** N policies, one per file: policy i matches alertname Bench<i> (job=bench); plus the warm-up policy. */
export function writeBenchRepository(dir, count) {
  mkdirSync(join(dir, 'rules'), { recursive: true });
  mkdirSync(join(dir, 'scripts'), { recursive: true });
  writeFileSync(join(dir, 'homeostat.yaml'), BENCH_SETTINGS);
  writeFileSync(join(dir, 'scripts/bench-restart.sh'), '#!/bin/sh\necho "restart $1 for $2"\n');
  chmodSync(join(dir, 'scripts/bench-restart.sh'), 0o755);
  const width = String(count - 1).length;
  for (let i = 0; i < count; i++) writeFileSync(join(dir, 'rules', `bench-${String(i).padStart(width, '0')}.yaml`), benchPolicy(i, width));
  writeFileSync(join(dir, 'rules', 'warm-up.yaml'), WARM_UP_POLICY);
  return count + 1;
}

// ---------------------------------------------------------------------------------------------
// Payloads

/**
 * An Alertmanager payload (version 4) of `count` alerts, alert k naming Bench<(first+k) % policies>,
 * labels unique to (batch, k): nothing in it was seen before. ~400 bytes an alert, as a real
 * node_exporter alert with summary and description.
 */
function benchPayload(batch, count, policies, nameOf = (k) => `Bench${(batch * count + k) % policies}`) {
  const parts = [];
  for (let k = 0; k < count; k++) {
    const name = nameOf(k);
    const host = `b${batch}-h${k}`;
    const fp = ((batch * 1_000_003 + k) >>> 0).toString(16).padStart(8, '0') + (batch >>> 0).toString(16).padStart(8, '0');
    parts.push(
      `{"status":"firing","labels":{"alertname":"${name}","instance":"${host}:9100","job":"bench","severity":"${k % 3 ? 'warning' : 'critical'}","team":"sre"},` +
        `"annotations":{"summary":"${name} on ${host}","description":"${host}:9100 of job bench has been failing for more than 5 minutes (value 1)."},` +
        `"startsAt":"2026-11-21T09:00:00.000Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prometheus:9090/graph?g0.expr=up%3D%3D0&g0.tab=1","fingerprint":"${fp.slice(-16)}"}`,
    );
  }
  const body =
    `{"receiver":"homeostat","status":"firing","alerts":[${parts.join(',')}],"groupLabels":{"job":"bench"},"commonLabels":{"job":"bench","team":"sre"},` +
    `"commonAnnotations":{},"externalURL":"http://alertmanager:9093","version":"4","groupKey":"{}:{job=\\"bench\\"}","truncatedAlerts":0}`;
  return { body: Buffer.from(body), alerts: count, storm: true };
}

/** Every fixture, as the bytes Alertmanager sent; storms first so short runs still send them. */
function fixturePayloads() {
  const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.json'));
  const ordered = [...STORM_FIXTURES, ...files.filter((f) => !STORM_FIXTURES.includes(f)).sort()];
  return ordered.map((f) => {
    const body = readFileSync(join(FIXTURES, f));
    const alerts = JSON.parse(body.toString('utf8')).alerts.length;
    return { file: f, body, alerts, storm: STORM_FIXTURES.includes(f) };
  });
}

// ---------------------------------------------------------------------------------------------
// Server children

export async function startServer(args, label) {
  // WEBHOOK_BENCH_PROF=DIR: each server writes a CPU profile into DIR (node --cpu-prof).
  const prof = process.env.WEBHOOK_BENCH_PROF;
  const execArgv = prof ? ['--cpu-prof', '--cpu-prof-dir', prof, '--cpu-prof-name', `${label.replace(/\W+/g, '_')}.cpuprofile`] : [];
  // WEBHOOK_BENCH_HEAP=DIR: each server writes a heap snapshot into DIR when stopped, after a full GC.
  if (process.env.WEBHOOK_BENCH_HEAP) execArgv.push('--expose-gc');
  if (process.env.WEBHOOK_BENCH_NODE_FLAGS) execArgv.push(...process.env.WEBHOOK_BENCH_NODE_FLAGS.split(' '));
  // detached: the server leads a process group of its own, so that stopping it also ends the
  // git processes its audit repository may still be running.
  const child = fork(SERVER, args, { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], execArgv, detached: true });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const waiters = new Map();
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  child.on('message', (m) => {
    const w = waiters.get(m.type);
    if (w) {
      waiters.delete(m.type);
      w(m);
    }
  });
  const next = (type, timeoutMs = 120_000) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new SetupError(`${label}: no '${type}' message from the server within ${timeoutMs} ms\n${stderr}`)), timeoutMs);
      waiters.set(type, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      void exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new SetupError(`${label}: the server exited (${code ?? signal}) before '${type}'\n${stderr}`));
      });
    });
  const t0 = now();
  const listening = await next('listening');
  const server = {
    port: listening.port,
    startupMs: msSince(t0),
    atStart: listening,
    async status() {
      child.send({ type: 'status' });
      return next('status', 30_000);
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return null;
      child.send({ type: 'stop' });
      const stopped = await next('stopped', 30_000).catch(() => null);
      // The server exits by itself (writing its CPU profile if asked); then what is left of its
      // process group (git) is ended.
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // nothing left
      }
      return stopped;
    },
  };
  return server;
}

// ---------------------------------------------------------------------------------------------
// Load

/** One POST; resolves with status, body text and nanoseconds from the first byte sent to the last received. */
function post(agent, port, body, auth) {
  return new Promise((resolve, reject) => {
    const t0 = now();
    const req = request(
      {
        agent, host: '127.0.0.1', port, method: 'POST', path: '/api/v1/alerts',
        headers: { 'content-type': 'application/json', 'content-length': body.length, 'user-agent': 'Alertmanager/0.25.0', ...(auth ? { authorization: `Bearer ${TOKEN}` } : {}) },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8'), ns: Number(now() - t0) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Open loop at a fixed rate: one payload every PAYLOAD_ALERTS / alertsPerSecond seconds, sent
 * on time whatever the answers before it (as Alertmanager's groups arrive), for `seconds`.
 * Time to 2xx at a given load, where drive() measures it at saturation.
 */
async function drivePaced({ port, auth, seconds, next, check, alertsPerSecond }) {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const intervalNs = (1e9 * PAYLOAD_ALERTS) / alertsPerSecond;
  const t0 = now();
  const end = t0 + BigInt(Math.round(seconds * 1e9));
  const latencies = [];
  const sent = [];
  let alerts = 0;
  for (let k = 0; ; k++) {
    const due = t0 + BigInt(Math.round(k * intervalNs));
    if (due >= end) break;
    const waitMs = Number(due - now()) / 1e6;
    if (waitMs > 0) await sleep(waitMs);
    const payload = next();
    if (!payload) break;
    sent.push(post(agent, port, payload.body, auth).then((res) => {
      check(payload, res);
      latencies.push(res.ns);
      alerts += payload.alerts;
    }));
  }
  await Promise.all(sent);
  const wall = Number(now() - t0) / 1e9;
  agent.destroy();
  const ms = (q) => quantile(Float64Array.from(latencies).sort(), q) / 1e6;
  return { requests: latencies.length, alerts, seconds: wall, alertsPerSecond: alerts / wall, p50Ms: ms(0.5), p99Ms: ms(0.99), maxMs: ms(1) };
}

/**
 * `concurrency` workers post `next()` payloads back to back for `seconds` (or until next()
 * runs out); `check(payload, response)` throws on a wrong answer.
 */
async function drive({ port, auth, seconds, next, check, concurrency = CONCURRENCY }) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies = [];
  const stormLatencies = [];
  let alerts = 0;
  let requests = 0;
  let shed = 0;
  const deadline = now() + BigInt(Math.round(seconds * 1e9));
  const t0 = now();
  async function worker() {
    for (;;) {
      if (now() >= deadline) return;
      const payload = next();
      if (!payload) return;
      // Back-pressure: past its backlog limit the engine answers 503, and Alertmanager sends the
      // same payload again after a pause. Time to 2xx counts from the first attempt.
      const first = now();
      let res = await post(agent, port, payload.body, auth);
      while (res.status === 503 && res.text.includes('overloaded') && now() < deadline) {
        shed += payload.alerts;
        await sleep(RETRY_PAUSE_MS);
        res = await post(agent, port, payload.body, auth);
      }
      if (res.status === 503 && res.text.includes('overloaded')) return;
      res.ns = Number(now() - first);
      check(payload, res);
      latencies.push(res.ns);
      if (payload.storm) stormLatencies.push(res.ns);
      alerts += payload.alerts;
      requests++;
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  const wall = Number(now() - t0) / 1e9;
  agent.destroy();
  const ms = (arr, q) => quantile(Float64Array.from(arr).sort(), q) / 1e6;
  return {
    requests, alerts, shed, seconds: wall,
    alertsPerSecond: alerts / wall, requestsPerSecond: requests / wall,
    p50Ms: ms(latencies, 0.5), p99Ms: ms(latencies, 0.99), maxMs: ms(latencies, 1),
    stormP50Ms: stormLatencies.length ? ms(stormLatencies, 0.5) : NaN,
    stormP99Ms: stormLatencies.length ? ms(stormLatencies, 0.99) : NaN,
    stormRequests: stormLatencies.length,
  };
}

function expect202(label) {
  return (payload, res) => {
    if (res.status !== 202) throw new SetupError(`${label}: ${payload.file ?? 'payload'} answered ${res.status}: ${res.text.slice(0, 300)}`);
  };
}

/** The engine's answer: 202, and as many decisions as `decisions(payload)` says. */
function expectDecided(label, decisions) {
  const is202 = expect202(label);
  return (payload, res) => {
    is202(payload, res);
    const r = JSON.parse(res.text);
    const want = decisions(payload);
    if (r.alerts !== payload.alerts || r.decisions !== want || r.duplicates !== 0) {
      throw new SetupError(`${label}: ${payload.file ?? 'payload'} of ${payload.alerts} alerts answered ${res.text}; expected ${want} decisions, no duplicates`);
    }
  };
}

const rotation = (payloads) => {
  let i = 0;
  return () => payloads[i++ % payloads.length];
};

/** Fresh 500-alert payloads, each used once; null when the pool runs dry. */
function freshPool(count, policies, firstBatch, nameOf = undefined) {
  const pool = Array.from({ length: count }, (_, j) => benchPayload(firstBatch + j, PAYLOAD_ALERTS, policies, nameOf));
  let i = 0;
  return { next: () => (i < pool.length ? pool[i++] : null), used: () => i, size: pool.length };
}

/** Polls the server until `done(status)` or `limitMs`; resolves with the ms it took (null on time-out) and the last status. */
async function pollUntil(server, done, limitMs, t0 = now()) {
  let last;
  for (;;) {
    last = await server.status();
    if (done(last)) return { ms: msSince(t0), last };
    if (msSince(t0) > limitMs) return { ms: null, last };
    await sleep(20);
  }
}

// ---------------------------------------------------------------------------------------------

/** Runs `fn()` between two status reads of the server; adds the server's CPU use to its result. */
async function measured(server, fn) {
  const before = await server.status();
  const result = await fn();
  const after = await server.status();
  const selfS = after.cpu.selfS - before.cpu.selfS;
  const gitS = after.cpu.childrenS === null || before.cpu.childrenS === null ? null : after.cpu.childrenS - before.cpu.childrenS;
  return { ...result, cpu: { selfS, gitS, usPerAlert: (selfS * 1e6) / result.alerts, busy: selfS / result.seconds }, after };
}

function cpuText(r) {
  const git = r.cpu.gitS === null ? '' : ` (+ git ${fmt(r.cpu.gitS, 2)} s)`;
  return `${fmt(r.cpu.usPerAlert, 1)} µs/alert; ${fmt(r.cpu.selfS, 2)} s${git}`;
}

export async function webhookBench({ out = (text = '') => process.stdout.write(text + '\n'), phases = process.env.WEBHOOK_BENCH_PHASES?.split(',') ?? null } = {}) {
  const want = (phase) => phases === null || phases.includes(phase);
  const started = now();
  const busy = () => (machineBusy() ? `  (load average ${loadText()}: the machine is busy, wall-clock figures are inflated; CPU figures are printed alongside)` : '');
  out(`homeostat webhook benchmark — node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model?.trim() ?? 'unknown'})`);
  out(`load average at start: ${loadText()}`);
  out(`Load: keep-alive HTTP (node:http) from this process, ${CONCURRENCY} requests in flight unless said, ${PHASE_SECONDS} s a phase after a warm-up;`);
  out(`each server in a process of its own; time to 2xx = first byte of the POST sent to last byte of the answer received.`);
  out(`Engine CPU = user+sys of the engine process (all threads) over the phase, per alert; "+ git" = its git processes.`);
  const tmp = mkdtempSync(join(tmpdir(), 'homeostat-bench-webhook-'));
  const servers = [];
  const start = async (args, label, policies = null) => {
    const s = await startServer(args, label);
    servers.push(s);
    if (policies !== null) {
      const { status } = await s.status();
      if (!status.ready || status.policies.count !== policies) throw new SetupError(`${label}: ${status.policies.count} policies active (expected ${policies}), ready: ${status.ready} ${status.notReady.join('; ')}`);
    }
    return s;
  };
  const engineArgs = (name, policies) => ['--mode', 'engine', '--policies', policies, '--data', join(tmp, `data-${name}`), '--token', TOKEN, '--log', join(tmp, `${name}.log`)];
  const onePerAlert = expectDecided('(b)', (p) => p.alerts);
  const results = {};
  try {
    // --- setup
    const repos = { none: join(tmp, 'repo-none'), k1: join(tmp, 'repo-1k'), k10: join(tmp, 'repo-10k') };
    const noMatchPolicies = writeNoMatchRepository(repos.none);
    const t0 = now();
    const k1Policies = writeBenchRepository(repos.k1, POLICIES);
    const k10Policies = want('rss') ? writeBenchRepository(repos.k10, RSS_POLICIES) : null;
    const fixtures = fixturePayloads();
    const fixtureAlerts = fixtures.reduce((n, f) => n + f.alerts, 0);
    const stormAlerts = fixtures.filter((f) => f.storm).reduce((n, f) => n + f.alerts, 0);
    const sample = benchPayload(0, PAYLOAD_ALERTS, POLICIES);
    const big = benchPayload(9_000_000, BIG_ALERTS, POLICIES);
    out();
    out(`Setup under ${tmp} (${fmt(msSince(t0))} ms to write the generated repositories)`);
    out(`  fixtures: the ${fixtures.length} files of test/fixtures/alertmanager in turn, ${fmt(fixtureAlerts)} alerts a round (${fmt(stormAlerts)} in the two storms)`);
    out(`  (a): the ${noMatchPolicies} bundled policies of rules/, each given the matcher bench_never: 'true' (no alert has it)`);
    out(`  (b), (c), RSS: policy i matches alertname Bench<i>, job bench (+1 warm-up policy); a script action; homeostat.yaml: dryRun, cooldown 0s,`);
    out(`  blast radius 10^9/1m; ${PAYLOAD_ALERTS}-alert payloads = ${fmt(sample.body.length / 1024)} KiB, labels never seen before; (c): ${fmt(BIG_ALERTS)} alerts = ${fmt(big.body.length / 1048576, 1)} MiB`);

    // --- ceiling
    let ceiling = null;
    let ceilingBench = null;
    if (want('ceiling') || want('a')) {
      out();
      const fastifyVersion = JSON.parse(readFileSync(join(ROOT, 'node_modules/fastify/package.json'), 'utf8')).version;
      out(`1. Ceiling: bare fastify ${fastifyVersion}, bodyLimit 32 MiB, one POST route that parses the JSON body and answers 202${busy()}`);
      const server = await start(['--mode', 'ceiling'], 'ceiling');
      await drive({ port: server.port, auth: true, seconds: WARMUP_SECONDS, next: rotation(fixtures), check: expect202('ceiling warm-up') });
      ceiling = await measured(server, () => drive({ port: server.port, auth: true, seconds: PHASE_SECONDS, next: rotation(fixtures), check: expect202('ceiling') }));
      const payloads = Array.from({ length: 20 }, (_, j) => benchPayload(1_000_000 + j, PAYLOAD_ALERTS, POLICIES));
      ceilingBench = await measured(server, () => drive({ port: server.port, auth: true, seconds: PHASE_SECONDS / 2, next: rotation(payloads), check: expect202('ceiling, 500-alert payloads') }));
      await server.stop();
      results.ceiling = ceiling;
      results.ceilingBench = ceilingBench;
      out(line('fixtures: throughput', `${fmt(ceiling.alertsPerSecond)} alerts/s`));
      out(line('fixtures: requests/s', fmt(ceiling.requestsPerSecond)));
      out(line('fixtures: time to 2xx p50 / p99 (all requests)', `${fmt(ceiling.p50Ms, 2)} / ${fmt(ceiling.p99Ms, 2)} ms`));
      out(line('fixtures: time to 2xx p99 (the storm payloads)', `${fmt(ceiling.stormP99Ms, 2)} ms`));
      out(line('fixtures: server CPU', cpuText(ceiling)));
      out(line(`${PAYLOAD_ALERTS}-alert payloads of (b): throughput`, `${fmt(ceilingBench.alertsPerSecond)} alerts/s`));
      out(line(`${PAYLOAD_ALERTS}-alert payloads of (b): time to 2xx p50 / p99`, `${fmt(ceilingBench.p50Ms, 2)} / ${fmt(ceilingBench.p99Ms, 2)} ms`));
    }

    // --- (a)
    if (want('a')) {
      out();
      out(`2. (a) Engine, no policy matches: ${noMatchPolicies} bundled-style policies, the fixtures in turn${busy()}`);
      const server = await start(engineArgs('none', repos.none), '(a) engine', noMatchPolicies);
      const noDecision = expectDecided('(a)', () => 0);
      await drive({ port: server.port, auth: true, seconds: WARMUP_SECONDS, next: rotation(fixtures), check: noDecision });
      const a = await measured(server, () => drive({ port: server.port, auth: true, seconds: PHASE_SECONDS, next: rotation(fixtures), check: noDecision }));
      await server.stop();
      results.a = a;
      const share = a.alertsPerSecond / ceiling.alertsPerSecond;
      out(line('engine start-up (spawn to listening)', `${fmt(server.startupMs)} ms`));
      out(line('throughput', `${fmt(a.alertsPerSecond)} alerts/s`));
      out(line('share of the ceiling (alerts/s)', `${fmt(100 * share, 1)}%`, `>= ${100 * GOALS.ceilingShare}%`, share >= GOALS.ceilingShare));
      out(line('time to 2xx p50 / p99 (all requests)', `${fmt(a.p50Ms, 2)} / ${fmt(a.p99Ms, 2)} ms`));
      out(line('time to 2xx p99 (the storm payloads)', `${fmt(a.stormP99Ms, 2)} ms`));
      out(line('engine CPU', cpuText(a)));
      out(line('CPU per alert, engine / ceiling', `${fmt(a.cpu.usPerAlert / ceiling.cpu.usPerAlert, 2)}×`));
      out(line('requests, alerts (every answer 202 with 0 decisions)', `${fmt(a.requests)}, ${fmt(a.alerts)}`));
      out(line('peak RSS of the engine process', mb(a.after.rss.maxRssKb)));
    }

    // --- (b)
    if (want('b')) {
      out();
      out(`3. (b) Engine, ${fmt(POLICIES)} policies, every alert matches one and is decided and journaled before the 202${busy()}`);
      const server = await start(engineArgs('k1', repos.k1), '(b) engine', k1Policies);
      const pool = freshPool(700, POLICIES, 0);
      await drive({ port: server.port, auth: true, seconds: WARMUP_SECONDS / 2, next: pool.next, check: onePerAlert });
      const one = await measured(server, () => drive({ port: server.port, auth: true, seconds: 1.5, next: pool.next, check: onePerAlert, concurrency: 1 }));
      const paced = await measured(server, () => drivePaced({ port: server.port, auth: true, seconds: PHASE_SECONDS, next: pool.next, check: onePerAlert, alertsPerSecond: GOALS.matchedAlertsPerSecond }));
      const b = await measured(server, () => drive({ port: server.port, auth: true, seconds: PHASE_SECONDS, next: pool.next, check: onePerAlert }));
      await server.stop();
      results.b = { ...b, oneInFlight: one, paced };
      if (pool.used() >= pool.size) out(`  (the pool of ${pool.size} fresh payloads ran out: the phase was cut short)`);
      const s = b.after;
      out(line('engine start-up (spawn to listening)', `${fmt(server.startupMs)} ms`));
      out(line(`at ${fmt(GOALS.matchedAlertsPerSecond)} alerts/s (a payload every ${fmt((1000 * PAYLOAD_ALERTS) / GOALS.matchedAlertsPerSecond)} ms): alerts/s answered`, `${fmt(paced.alertsPerSecond)}`));
      out(line(`at ${fmt(GOALS.matchedAlertsPerSecond)} alerts/s: time to 2xx p99`, `${fmt(paced.p99Ms, 1)} ms`, `< ${GOALS.matchedP99Ms} ms`, paced.p99Ms < GOALS.matchedP99Ms));
      out(line(`at ${fmt(GOALS.matchedAlertsPerSecond)} alerts/s: time to 2xx p50 / max`, `${fmt(paced.p50Ms, 1)} / ${fmt(paced.maxMs, 1)} ms`));
      out(line(`at ${fmt(GOALS.matchedAlertsPerSecond)} alerts/s: engine CPU`, cpuText(paced)));
      out(line(`saturation, ${CONCURRENCY} in flight: throughput (accepted with 202)`, `${fmt(b.alertsPerSecond)} alerts/s`, `>= ${fmt(GOALS.matchedAlertsPerSecond)}/s`, b.alertsPerSecond >= GOALS.matchedAlertsPerSecond));
      out(line(`alerts answered 503 by back-pressure (sent again after ${RETRY_PAUSE_MS} ms)`, `${fmt(b.shed)}`));
      out(line(`saturation: time to 2xx p50 / p99 / max`, `${fmt(b.p50Ms, 1)} / ${fmt(b.p99Ms, 1)} / ${fmt(b.maxMs, 1)} ms`));
      out(line(`  floor at ${CONCURRENCY} in flight: ${CONCURRENCY} × ${PAYLOAD_ALERTS} alerts / throughput`, `${fmt((1000 * CONCURRENCY * PAYLOAD_ALERTS) / b.alertsPerSecond)} ms mean`));
      out(line('time to 2xx p50 / p99, 1 in flight (before the above)', `${fmt(one.p50Ms, 1)} / ${fmt(one.p99Ms, 1)} ms`));
      out(line('throughput, 1 in flight', `${fmt(one.alertsPerSecond)} alerts/s`));
      out(line('engine CPU', cpuText(b)));
      out(line('engine process busy (CPU s / wall s)', `${fmt(b.cpu.busy, 2)}`));
      if (ceilingBench) out(line('share of the ceiling on the same payloads', `${fmt((100 * b.alertsPerSecond) / ceilingBench.alertsPerSecond, 1)}%`));
      out(line('requests, alerts (each answer: decisions = alerts)', `${fmt(b.requests)}, ${fmt(b.alerts)}`));
      out(line('verdicts since start (warm-up included)', verdictText(s.decisions)));
      out(line('at the end: audit backlog (entries not in git)', fmt(s.status.audit.backlog)));
      out(line('at the end: actions waiting / running / ended', `${fmt(s.status.queue.waiting)} / ${fmt(s.status.queue.running)} / ${fmt(s.actionsEnded)}`));
      out(line('peak RSS of the engine process', mb(s.rss.maxRssKb)));
    }

    // --- (c)
    if (want('c')) {
      out();
      out(`4. (c) One webhook of ${fmt(BIG_ALERTS)} alerts (${fmt(big.body.length / 1048576, 1)} MiB), ${fmt(POLICIES)} policies, a fresh engine, nothing else in flight${busy()}`);
      const server = await start(engineArgs('k1c', repos.k1), '(c) engine', k1Policies);
      // Warm-up: 2,000 alerts BenchWarmUp, decided, journaled and audited (one run, the rest
      // refused by the rate limit, so no queue of actions is left); then wait until idle.
      const warm = freshPool(4, POLICIES, 2_000_000, () => 'BenchWarmUp');
      await drive({ port: server.port, auth: true, seconds: 30, next: warm.next, check: onePerAlert, concurrency: 1 });
      const idle = (st) => st.status.audit.backlog === 0 && st.status.queue.waiting === 0 && st.status.queue.running === 0;
      const settled = await pollUntil(server, idle, DRAIN_LIMIT_MS);
      if (settled.ms === null) out('  (the warm-up did not settle: its actions are still queued)');
      const endedBefore = settled.last.actionsEnded;
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      const tBig = now();
      const res = await post(agent, server.port, big.body, true);
      const to2xxMs = res.ns / 1e6;
      agent.destroy();
      expectDecided('(c)', (p) => p.alerts)(big, res);
      const answer = JSON.parse(res.text);
      // The intents leave the audit backlog in one commit; the outcomes of the dry runs follow.
      const intents = await pollUntil(server, (st) => st.status.audit.backlog < BIG_ALERTS, DRAIN_LIMIT_MS, tBig);
      const drained = await pollUntil(server, idle, ACTIONS_LIMIT_MS, tBig);
      const last = drained.last;
      await server.stop();
      const ended = last.actionsEnded - endedBefore;
      results.c = { to2xxMs, decisions: answer.decisions, actions: answer.actions, intentsCommittedMs: intents.ms, drainedMs: drained.ms, actionsEnded: ended };
      out(line('time to 2xx', `${fmt(to2xxMs)} ms`, `< ${fmt(GOALS.bigTo2xxMs)} ms`, to2xxMs < GOALS.bigTo2xxMs));
      out(line(`every alert decided: ${fmt(answer.decisions)} decisions in the 202`, `${fmt(to2xxMs)} ms`, `< ${fmt(GOALS.bigDecidedMs)} ms`, answer.decisions === BIG_ALERTS && to2xxMs < GOALS.bigDecidedMs));
      out(line(`the ${fmt(BIG_ALERTS)} intents committed to git (backlog drained)`, intents.ms === null ? `not within ${DRAIN_LIMIT_MS / 1000} s` : `${fmt(intents.ms)} ms`));
      const actionsText = drained.ms === null
        ? `${fmt(ended)} of ${fmt(answer.actions)} in ${fmt(msSince(tBig) / 1000, 1)} s (${fmt(ended / (msSince(tBig) / 1000), 1)}/s)`
        : `all ${fmt(ended)} in ${fmt(drained.ms)} ms`;
      out(line('dry-run actions ended and their outcomes committed', actionsText));
      if (drained.ms === null) out(line('  actions still waiting / audit backlog when given up', `${fmt(last.status.queue.waiting)} / ${fmt(last.status.audit.backlog)}`));
      out(line('verdicts (warm-up included)', verdictText(last.decisions)));
      out(line('peak RSS of the engine process', mb(last.rss.maxRssKb)));
    }

    // --- RSS at 10,000 policies
    if (want('rss')) {
      out();
      out(`5. Peak RSS at ${fmt(RSS_POLICIES)} policies under (b)-style load: ${RSS_SECONDS} s of ${PAYLOAD_ALERTS}-alert payloads over all ${fmt(RSS_POLICIES)} policies, each load in a fresh engine${busy()}`);
      const pool = freshPool(400, RSS_POLICIES, 3_000_000);
      const loads = [
        { label: `at ${fmt(GOALS.matchedAlertsPerSecond)} alerts/s`, goal: true, drive: (server) => drivePaced({ port: server.port, auth: true, seconds: RSS_SECONDS, next: pool.next, check: onePerAlert, alertsPerSecond: GOALS.matchedAlertsPerSecond }) },
        { label: `at saturation (${CONCURRENCY} in flight)`, goal: false, drive: (server) => drive({ port: server.port, auth: true, seconds: RSS_SECONDS, next: pool.next, check: onePerAlert }) },
      ];
      results.rss = {};
      for (const [i, load] of loads.entries()) {
        const server = await start(engineArgs(`k10-${i}`, repos.k10), 'RSS engine', k10Policies);
        const r = await measured(server, () => load.drive(server));
        const stopped = await server.stop();
        const s = r.after;
        const peakKb = Math.max(s.rss.maxRssKb, stopped?.rss.maxRssKb ?? 0);
        results.rss[load.goal ? 'goalRate' : 'saturation'] = { peakKb, atStartKb: server.atStart.maxRssKb, load: r };
        out(`  ${load.label}:`);
        if (i === 0) out(line('    engine start-up (spawn to listening)', `${fmt(server.startupMs)} ms`));
        if (i === 0) out(line('    after start-up: peak RSS / RSS / heap used', `${mb(server.atStart.maxRssKb)} / ${mb(server.atStart.rssKb)} / ${mb(server.atStart.heapUsedKb)}`));
        out(load.goal ? line('    peak RSS after the load', mb(peakKb), `< ${GOALS.rssMb} MB`, peakKb / 1024 < GOALS.rssMb) : line('    peak RSS after the load', mb(peakKb)));
        out(line('    at the end: RSS / heap used / heap total', `${mb(s.rss.rssKb)} / ${mb(s.rss.heapUsedKb)} / ${mb(s.rss.heapTotalKb)}`));
        out(line('    at the end: actions waiting / audit backlog', `${fmt(s.status.queue.waiting)} / ${fmt(s.status.audit.backlog)}`));
        out(line('    during the load: throughput / time to 2xx p99', `${fmt(r.alertsPerSecond)} alerts/s / ${fmt(r.p99Ms, 1)} ms`));
        out(line('    during the load: engine CPU', cpuText(r)));
      }
    }

    out();
    out(`load average at end: ${loadText()}`);
    out(line('whole benchmark', `${fmt(msSince(started) / 1000, 1)} s`));
    return results;
  } finally {
    for (const s of servers) await s.stop().catch(() => undefined);
    try {
      rmSync(tmp, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    } catch (error) {
      out(`(could not remove ${tmp}: ${error.message})`);
    }
  }
}

function verdictText(decisions) {
  if (!decisions) return 'n/a';
  const entries = Object.entries(decisions).filter(([, n]) => n > 0);
  return entries.length ? entries.map(([v, n]) => `${v} ${fmt(n)}`).join(', ') : 'none';
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  webhookBench().catch((error) => {
    process.stderr.write(`bench: ${error instanceof SetupError ? error.message : error.stack ?? error}\n`);
    process.exit(1);
  });
}
