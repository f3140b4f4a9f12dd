/**
 * Deciding alerts with compiled conditions against the json-rules-engine path they replaced,
 * at 100 to 10,000 policies (bench/generate.mjs's repositories, the 908 captured storm alerts,
 * 5 matching policies per alert at every size). Each size and path runs in a process of its
 * own (bench/decide-phase.mjs): alerts/s and p50/p99 per alert on one core, the batch
 * (evaluateAll) throughput, cold load and peak RSS, side by side. A benchmark: exits 0
 * whatever the figures ("goal met" / "goal MISSED"), 1 only when the setup is wrong.
 *
 *   node bench/decide.mjs            (npm run build first; npm run bench runs it too)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeRepository } from './generate.mjs';
import { fmt, line, loadText, machineBusy, mb } from './stats.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SIZES = [100, 1_000, 2_000, 4_000, 10_000];
const SECONDS = Number(process.env.HOMEOSTAT_BENCH_SECONDS ?? 2);
const GOALS = { alertsPerSecond1k: 100_000, p99Us10k: 50, costRatio: 1.3 };
const out = (text = '') => process.stdout.write(text + '\n');

function phase(dir, policies, mode) {
  const child = spawnSync(process.execPath, [join(ROOT, 'bench/decide-phase.mjs'), '--dir', dir, '--policies', String(policies), '--mode', mode, '--seconds', String(SECONDS)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (child.status !== 0) throw new Error(`${mode} at ${policies} policies failed (exit ${child.status}):\n${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').pop());
}

const row = (cells, widths) => '  ' + cells.map((c, i) => String(c).padStart(widths[i])).join(' ');

const tmp = mkdtempSync(join(tmpdir(), 'homeostat-bench-decide-'));
try {
  out(`== Deciding alerts: compiled conditions against json-rules-engine — node ${process.version}, ${cpus().length} CPUs`);
  out(`load average at start: ${loadText()}${machineBusy() ? '  (machine busy: wall-clock figures are inflated; CPU figures alongside)' : ''}`);
  const results = {};
  for (const size of SIZES) {
    const dir = join(tmp, `repo-${size}`);
    writeRepository(dir, size);
    results[size] = { compiled: phase(dir, size, 'compiled'), engine: phase(dir, size, 'json-rules-engine') };
    rmSync(dir, { recursive: true, force: true });
  }

  out();
  out('Per alert, one core, in sequence (908 storm alerts, pass after pass): compiled = matchNow(alert); json-rules-engine = await evaluate(alert)');
out('  alerts/s of the median pass; p50/p99 of single calls; CPU µs per alert (all threads, GC included)');
  const widths = [8, 11, 8, 8, 8, 11, 8, 8, 8, 7];
  out(row(['policies', 'compiled/s', 'p50 µs', 'p99 µs', 'CPU µs', 'engine/s', 'p50 µs', 'p99 µs', 'CPU µs', 'ratio'], widths));
  for (const size of SIZES) {
    const { compiled: c, engine: e } = results[size];
    out(row([fmt(size), fmt(c.single.alertsPerSecond), fmt(c.single.latency.p50Us, 1), fmt(c.single.latency.p99Us, 1), fmt(c.single.cpuUsPerAlert, 1), fmt(e.single.alertsPerSecond), fmt(e.single.latency.p50Us, 1), fmt(e.single.latency.p99Us, 1), fmt(e.single.cpuUsPerAlert, 1), `${fmt(c.single.alertsPerSecond / e.single.alertsPerSecond, 1)}×`], widths));
  }
  out();
  out('Whole storm payloads through evaluateAll (one synchronous pass in 10 ms slices, against a promise per alert)');
  for (const size of SIZES) {
    const { compiled: c, engine: e } = results[size];
    out(line(`${fmt(size)} policies: compiled / json-rules-engine`, `${fmt(c.batch.alertsPerSecond)} / ${fmt(e.batch.alertsPerSecond)} alerts/s`));
  }

  out();
  out('Goals (compiled path)');
  const c1k = results[1_000].compiled.single;
  const c10k = results[10_000].compiled.single;
  out(line('alerts/s at 1,000 policies, one core', fmt(c1k.alertsPerSecond), `>= ${fmt(GOALS.alertsPerSecond1k)}`, c1k.alertsPerSecond >= GOALS.alertsPerSecond1k));
  out(line('p99 per alert at 10,000 policies', `${fmt(c10k.latency.p99Us, 1)} µs`, `< ${GOALS.p99Us10k} µs`, c10k.latency.p99Us < GOALS.p99Us10k));
  const wallRatio = c1k.alertsPerSecond / c10k.alertsPerSecond;
  out(line('cost per alert 10k / 1k (wall, median pass)', `${fmt(wallRatio, 2)}×`, `<= ${GOALS.costRatio}`, wallRatio <= GOALS.costRatio));
  out(line('cost per alert 10k / 1k (wall, mean over all passes)', `${fmt(c1k.meanAlertsPerSecond / c10k.meanAlertsPerSecond, 2)}×`));
  out(line('alerts/s at 1,000 policies (mean over all passes)', fmt(c1k.meanAlertsPerSecond)));
  out(line('cost per alert 10k / 1k (p50)', `${fmt(c10k.latency.p50Us / c1k.latency.p50Us, 2)}×`));
  out(line('cost per alert 10k / 1k (CPU, all threads)', `${fmt(c10k.cpuUsPerAlert / c1k.cpuUsPerAlert, 2)}×`));

  out();
  out('Cold load and peak RSS, each path in its own process (cold: node start to policy set ready; peak: VmHWM after load and deciding the storm twice)');
  for (const size of SIZES) {
    const { compiled: c, engine: e } = results[size];
    out(line(`${fmt(size)} policies: cold load compiled / json-rules-engine`, `${fmt(c.load.coldMs)} / ${fmt(e.load.coldMs)} ms`));
    out(line(`${fmt(size)} policies: of loadRepository, compiling the whens`, `${fmt(c.load.whenCompileMs, 1)} of ${fmt(c.load.loadRepositoryMs)} ms`));
    out(line(`${fmt(size)} policies: peak RSS compiled / json-rules-engine`, `${mb(c.peakRssKb)} / ${mb(e.peakRssKb)}`));
  }
  out(line('regex results cached at 10,000 policies (compiled)', fmt(results[10_000].compiled.regexResultsCached)));
  out(`load average at end: ${loadText()}${machineBusy() ? '  (machine busy)' : ''}`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
