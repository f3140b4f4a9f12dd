/**
 * The audit commit benchmark (`node bench/audit-commit.mjs`, after `npm run build`): how fast
 * audit entries get into git.
 *
 *   (a) naive baseline: a repository with a working tree, one `git add` + `git commit` per
 *       entry, through simple-git as a first implementation would, and through plain git
 *   (b) AuditRepo (fast-import, one commit per batch) on a new audit repository
 *   (c) the same on an audit repository already holding 20,000 entries, spread over 200 past
 *       days as a real one would be, and (c') all 20,000 in today's directory
 *
 * For (b) and (c) the producer works like the engine: an action's intent must be committed
 * before the action runs, its outcome is written when it ends (here at once), and the writer
 * commits whatever accumulated while the previous commit ran. Two loads: `steady`, CONCURRENCY
 * actions in flight at any time (each needs two commits in sequence, so per-commit latency
 * shows; also at the engine's default concurrency, where batches are small enough to be
 * written a commit per write); `storm`, all N decided at once (one webhook of N alerts).
 *
 * A benchmark, not a test: it exits 0 whatever the timings and prints "goal met" / "goal
 * MISSED". It exits 1 only when an entry is missing or wrong at the end of a run.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { simpleGit } from 'simple-git';
import { fmt, line, median, quantile } from './stats.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (path) => import(join(ROOT, 'dist/engine', path));
const { AuditRepo } = await dist('audit/repo.js');
const { entryPath, newEntryId, serializeEntry } = await dist('audit/entry.js');
const { blobId } = await dist('git/objects.js');

const N = 2_000;
const NAIVE_WRITES = 100;
const PREFILL = 20_000;
const PAST_DAYS = 200;
const CONCURRENCY = 16;
const DEFAULT_CONCURRENCY = 4;
const GOALS = { actionsPerSecond: 200, naiveRatio: 10, sizeRatio: 0.8 };
const DAY_MS = 86_400_000;

const out = (text = '') => process.stdout.write(text + '\n');
const seconds = (t0) => Number(process.hrtime.bigint() - t0) / 1e9;
const loadText = () => `${loadavg().map((l) => l.toFixed(2)).join(' ')}${loadavg()[0] > cpus().length ? ' (machine busy: figures are inflated and noisy)' : ''}`;

/** An action entry the size of a real one: alert labels, rendered parameters, output tail. */
function entry(id, outcome, at = Date.now()) {
  const host = `web-${id.slice(-3)}`;
  return {
    apiVersion: 'homeostat.dev/v1', kind: 'action', id, at: new Date(at).toISOString(), revision: '3f9c2e1a7b4d',
    alert: { fingerprint: id.slice(-16), alertname: 'InstanceDown', status: 'firing', startsAt: new Date(at).toISOString(), labels: { alertname: 'InstanceDown', instance: `${host}:9100`, job: 'node', severity: 'critical', team: 'platform' }, receiver: 'homeostat' },
    policy: 'restart-node-exporter', action: 'restart', type: 'ansible', phase: 'actions', target: host,
    params: { playbook: 'playbooks/restart-service.yml', extraVars: { service: 'node_exporter', host } }, description: `run playbooks/restart-service.yml on ${host}`,
    verdict: 'run', reason: null, guards: { passed: ['maintenance', 'cooldown', 'rate-limit', 'blast-radius'], refusedBy: null }, approval: null, outcome,
    execution: outcome === null ? null : {
      startedAt: new Date(at).toISOString(), endedAt: new Date(at + 2300).toISOString(), durationMs: 2300, exitCode: 0, signal: null, pgid: 4242, dryRun: false,
      command: ['ansible-playbook', '-i', `${host},`, 'playbooks/restart-service.yml'],
      output: `PLAY [restart] ***\nTASK [restart node_exporter] ***\nchanged: [${host}]\nPLAY RECAP ***\n${host} : ok=2 changed=1 unreachable=0 failed=0\n`, outputTruncated: false,
    },
  };
}

function write(e) {
  const word = e.outcome === null ? 'intent:' : `${e.outcome}:`;
  return {
    id: e.id, content: serializeEntry(e),
    message: `${word} ${e.policy}/${e.action} (${e.type}) on ${e.target}, for ${e.alert.alertname} ${e.alert.status} [${e.alert.fingerprint}]`,
    trailers: { 'Homeostat-Revision': e.revision, 'Homeostat-Policy': e.policy, 'Homeostat-Target': e.target, 'Homeostat-Alert': e.alert.fingerprint, 'Homeostat-Outcome': e.outcome ?? 'pending' },
  };
}

/** (a) One file write, one `git add` and one `git commit` per entry, in a repository with a working tree. */
async function naive(dir, viaSimpleGit) {
  const run = (...args) => spawnSync('git', ['-C', dir, ...args], { encoding: 'utf8' });
  spawnSync('git', ['init', '-q', '-b', 'main', dir]);
  run('config', 'user.name', 'homeostat');
  run('config', 'user.email', 'homeostat@localhost');
  run('config', 'commit.gpgSign', 'false');
  const sg = simpleGit({ baseDir: dir });
  const ids = Array.from({ length: NAIVE_WRITES / 2 }, () => newEntryId(Date.now()));
  const writes = [...ids.map((id) => write(entry(id, null))), ...ids.map((id) => write(entry(id, 'succeeded')))];
  const t0 = process.hrtime.bigint();
  for (const w of writes) {
    const path = entryPath(w.id);
    mkdirSync(join(dir, dirname(path)), { recursive: true });
    writeFileSync(join(dir, path), w.content);
    if (viaSimpleGit) {
      await sg.add(path);
      await sg.commit(w.message);
    } else {
      run('add', path);
      run('commit', '-q', '-m', w.message);
    }
  }
  const s = seconds(t0);
  return { writesPerSecond: writes.length / s, actionsPerSecond: writes.length / 2 / s };
}

/** Fills an audit repository with `count` finished entries in one fast-import stream, a commit per day. */
function prefill(dir, count, dayOf) {
  const byDay = new Map();
  for (let i = 0; i < count; i++) {
    const at = dayOf(i);
    const day = new Date(at).toISOString().slice(0, 10);
    if (!byDay.has(day)) byDay.set(day, []);
    byDay.get(day).push(write(entry(newEntryId(at), 'succeeded', at)));
  }
  let stream = '';
  let first = true;
  for (const [day, writes] of [...byDay.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const msg = `audit: ${writes.length} entries (prefilled ${day})\n`;
    stream += `commit refs/heads/main\ncommitter homeostat <homeostat@localhost> ${Math.floor(Date.parse(day) / 1000)} +0000\ndata ${Buffer.byteLength(msg)}\n${msg}`;
    if (first) stream += 'from refs/heads/main^0\n';
    first = false;
    for (const w of writes) stream += `M 100644 inline ${entryPath(w.id)}\ndata ${Buffer.byteLength(w.content)}\n${w.content}\n`;
    stream += '\n';
  }
  const r = spawnSync('git', ['--git-dir', dir, 'fast-import', '--quiet', '--done'], { input: stream + 'done\n', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`prefill failed: ${r.stderr}`);
}

/**
 * Runs N actions through an AuditRepo the way the engine does: intent committed, then the
 * outcome; a writer loop commits whatever accumulated. `inFlight`: actions decided at once.
 */
async function produce(repo, n, inFlight) {
  const queue = [];
  const latencies = [];
  const batchSizes = [];
  let writer = null;
  let started = 0;
  function enqueue(w) {
    return new Promise((resolve, reject) => {
      queue.push({ w, resolve, reject });
      writer ??= drain();
    });
  }
  async function drain() {
    await Promise.resolve(); // let the producer's synchronous burst land first
    while (queue.length) {
      const batch = queue.splice(0);
      const t0 = process.hrtime.bigint();
      try {
        await repo.commit(batch.map((b) => b.w));
      } catch (error) {
        for (const b of batch) b.reject(error);
        throw error;
      }
      latencies.push(seconds(t0) * 1000);
      batchSizes.push(batch.length);
      for (const b of batch) b.resolve();
    }
    // Cleared before the resolved writers run, so that their next write starts a new loop.
    writer = null;
  }
  async function action() {
    const id = newEntryId(Date.now());
    await enqueue(write(entry(id, null)));
    await enqueue(write(entry(id, 'succeeded')));
    return id;
  }
  const ids = [];
  async function worker() {
    while (started < n) {
      started++;
      ids.push(await action());
    }
  }
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: Math.min(inFlight, n) }, worker));
  const s = seconds(t0);
  latencies.sort((a, b) => a - b);
  return { ids, seconds: s, actionsPerSecond: n / s, commits: latencies.length, meanBatch: median(batchSizes), p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) };
}

/** Nothing lost: every action's file is at the head, holding its outcome. */
async function check(repo, ids, before) {
  const listed = await repo.list();
  const byId = new Map(listed.map((e) => [e.id, e.blob]));
  const wrong = ids.filter((id) => byId.get(id) === undefined);
  if (listed.length !== before + ids.length || wrong.length) throw new Error(`entries lost: ${listed.length} at head, expected ${before + ids.length}; missing ${wrong.length}`);
  const sample = ids.filter((_, i) => i % 97 === 0);
  for (const id of sample) {
    const content = await repo.read(id);
    if (JSON.parse(content).outcome !== 'succeeded' || byId.get(id) !== blobId(content)) throw new Error(`entry ${id} does not hold its outcome`);
  }
  return listed.length;
}

/** An audit repository holding PREFILL finished entries, built once and copied for each run. */
async function template(tmp, label, dayOf) {
  const repo = await AuditRepo.open({ dir: join(tmp, `template-${label}`), branch: 'main' });
  const t0 = process.hrtime.bigint();
  prefill(repo.dir, PREFILL, dayOf);
  return { dir: repo.dir, fillSeconds: seconds(t0) };
}

async function scenario(tmp, label, from, n, inFlight) {
  const dir = join(tmp, `${label}-${inFlight}`, 'audit');
  if (from) cpSync(from.dir, dir, { recursive: true });
  const repo = await AuditRepo.open({ dir, branch: 'main' });
  const before = (await repo.list()).length;
  const r = await produce(repo, n, inFlight);
  r.atHead = await check(repo, r.ids, before);
  await repo.close(); // a background repack must not weigh on the next run
  r.n = n;
  return r;
}

function best(results) {
  const top = results.reduce((a, r) => (r.actionsPerSecond > a.actionsPerSecond ? r : a));
  return results.length > 1 ? { ...top, of: results.length } : top;
}

function printRun(label, r) {
  out(line(`${label}: throughput (${fmt(r.n)} actions${r.of ? `, best of ${r.of}` : ''})`, `${fmt(r.actionsPerSecond)} actions/s`));
  out(line(`${label}: commits, median batch (writes)`, `${fmt(r.commits)}, ${fmt(r.meanBatch)}`));
  out(line(`${label}: commit latency p50 / p99`, `${fmt(r.p50, 1)} / ${fmt(r.p99, 1)} ms`));
  out(line(`${label}: entries at head (all present)`, fmt(r.atHead)));
}

async function main() {
  out(`audit commit benchmark — node ${process.version}, ${cpus().length} CPUs, ${spawnSync('git', ['--version'], { encoding: 'utf8' }).stdout.trim()}`);
  out(`load average at start: ${loadText()}`);
  const tmp = mkdtempSync(join(tmpdir(), 'homeostat-bench-audit-'));
  const started = process.hrtime.bigint();
  try {
    out();
    out(`(a) Naive baseline: ${NAIVE_WRITES} entries (${NAIVE_WRITES / 2} actions), write + \`git add\` + \`git commit\` each, working tree`);
    const viaSg = await naive(join(tmp, 'naive-sg'), true);
    out(line('through simple-git', `${fmt(viaSg.writesPerSecond, 1)} entries/s`));
    const viaCli = await naive(join(tmp, 'naive-cli'), false);
    out(line('through plain git processes', `${fmt(viaCli.writesPerSecond, 1)} entries/s`));

    // Warm-up: the first commits of a process pay for loading modules and JIT compiling.
    await scenario(tmp, 'warm-up', null, 200, CONCURRENCY);
    const now = Date.now();
    out();
    const spread = await template(tmp, 'spread', (i) => now - (1 + (i % PAST_DAYS)) * DAY_MS + i);
    const today = await template(tmp, 'today', (i) => now - 3_600_000 + i);
    out(line(`prefill ${fmt(PREFILL)} entries, one fast-import: over ${PAST_DAYS} days / in one day`, `${fmt(spread.fillSeconds, 2)} / ${fmt(today.fillSeconds, 2)} s`));
    const runs = {};
    for (const [load, inFlight] of [['steady', CONCURRENCY], ['storm', N]]) {
      out();
      out(`${load === 'steady' ? `Steady: ${CONCURRENCY} actions in flight` : 'Storm: all actions decided at once'}; each action = an intent and an outcome write`);
      // The one-day case rewrites a 1.3 MB tree per commit: fewer actions keep the run short.
      const dayN = load === 'steady' ? N / 8 : N;
      // Steady runs are latency-bound and so the noisiest: best of three, interleaved.
      const tries = load === 'steady' ? 3 : 1;
      const bs = [];
      const cs = [];
      for (let i = 0; i < tries; i++) {
        bs.push(await scenario(tmp, `b${i}`, null, N, inFlight));
        cs.push(await scenario(tmp, `c${i}`, spread, N, inFlight));
      }
      runs[load] = { b: best(bs), c: best(cs), cDay: await scenario(tmp, 'c-day', today, dayN, inFlight) };
      const { b, c, cDay } = runs[load];
      printRun('(b) new repository', b);
      printRun(`(c) ${fmt(PREFILL)} entries over ${PAST_DAYS} days`, c);
      printRun(`(c') ${fmt(PREFILL)} entries in today's directory`, cDay);
      if (load === 'steady') {
        // The engine's default concurrency: batches stay small, so each write is its own commit.
        const low = await scenario(tmp, 'b-low', null, N / 4, DEFAULT_CONCURRENCY);
        printRun(`(b) ${DEFAULT_CONCURRENCY} in flight (a commit per write)`, low);
      }
    }

    const { b, c, cDay } = runs.steady;
    out();
    out(`Goals (steady load, the conservative one)`);
    out(line('(b) actions/s', fmt(b.actionsPerSecond), `>= ${GOALS.actionsPerSecond}`, b.actionsPerSecond >= GOALS.actionsPerSecond));
    const ratio = b.actionsPerSecond / viaSg.actionsPerSecond;
    out(line('(b) / (a) through simple-git', `${fmt(ratio, 1)}×`, `>= ${GOALS.naiveRatio}×`, ratio >= GOALS.naiveRatio));
    const ratioCli = b.actionsPerSecond / viaCli.actionsPerSecond;
    out(line('(b) / (a) through plain git', `${fmt(ratioCli, 1)}×`, `>= ${GOALS.naiveRatio}×`, ratioCli >= GOALS.naiveRatio));
    const size = c.actionsPerSecond / b.actionsPerSecond;
    out(line('(c) / (b): 20,000 entries over past days', `${fmt(size, 2)}×`, `>= ${GOALS.sizeRatio}`, size >= GOALS.sizeRatio));
    out(line('(b) / (c) commit latency p50 (informational)', `${fmt(b.p50 / c.p50, 2)}×`));
    out(line("(c') / (b): 20,000 entries in one day (informational)", `${fmt(cDay.actionsPerSecond / b.actionsPerSecond, 2)}×`));
    out();
    out(line('whole benchmark', `${fmt(seconds(started), 1)} s`));
    out(`load average at end: ${loadText()}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`bench: ${error.stack ?? error}\n`);
  process.exit(1);
});
