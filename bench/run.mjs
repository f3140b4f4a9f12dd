/**
 * The homeostat benchmark (`npm run bench`): cold load of large generated policy
 * repositories, evaluation throughput and latency on the InstanceDown storm fixtures at 1,000
 * and 10,000 policies, and a plain json-rules-engine baseline measured in the same run.
 *
 * A benchmark, not a test: it exits 0 whatever the timings, and prints "goal met" / "goal
 * MISSED" next to each figure. It exits 1 only when the setup is wrong (lint does not accept
 * the generated repository, a phase crashes, the storm alerts match the wrong policies).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeRepository, STORM_MATCHES } from './generate.mjs';
import { coldLint } from './cold-load.mjs';
import { fmt, line, loadText, machineBusy, mb, median } from './stats.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SIZES = [1_000, 10_000];
// A tiny repository: what a cold lint costs before the policies (node start-up, schema compile).
const FLOOR_SIZE = 5;
// Cold lint runs per repository (10k is the slow one: fewer runs keep the bench near 2 minutes).
const LINT_RUNS = { floor: 3, 1000: 3, 10000: 2 };
const EVAL_SECONDS = 2;

const GOALS = {
  lint10kSeconds: 4,
  alertsPerSecond1k: 20_000,
  p99Ms: 1,
  costRatio: 1.5,
  baselineRatio: 50,
};

const out = (text = '') => process.stdout.write(text + '\n');
const busy = machineBusy;

function runPhase(dir, policies, mode) {
  const child = spawnSync(process.execPath, [join(ROOT, 'bench/eval-phase.mjs'), '--dir', dir, '--policies', String(policies), '--mode', mode, '--seconds', String(EVAL_SECONDS)], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (child.status !== 0) throw new Error(`${mode} phase at ${policies} policies failed (exit ${child.status}):\n${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').pop());
}

function lintSeries(dir, policies, count) {
  const runs = Array.from({ length: count }, () => coldLint(ROOT, dir, policies));
  const walls = runs.map((r) => r.wallSeconds);
  const cpu = runs.every((r) => r.cpuSeconds !== null) ? median(runs.map((r) => r.cpuSeconds)) : null;
  return { median: median(walls), min: Math.min(...walls), cpu, files: runs[0].report.files };
}

function gcText(r) {
  const kinds = Object.entries(r.gc).filter(([kind]) => kind === 'minor' || kind === 'major');
  const total = Object.values(r.gc).reduce((n, g) => n + g.totalMs, 0);
  const parts = kinds.map(([kind, g]) => `${g.count} ${kind} (max ${fmt(g.maxMs, 1)} ms)`);
  return `${parts.join(', ') || 'none'}; ${fmt((100 * total) / (r.seconds * 1000), 1)}% of wall`;
}

function printEval(label, r, { throughputGoal }) {
  const l = r.latency;
  out(line(`${label}: load in-process: read / loadRepository`, `${fmt(r.load.readMs)} / ${fmt(r.load.loadRepositoryMs)} ms`));
  out(line(`${label}: throughput (wall)`, `${fmt(r.alertsPerSecond)} alerts/s`, throughputGoal ? `>= ${fmt(throughputGoal)}/s` : null, r.alertsPerSecond >= throughputGoal));
  out(line(`${label}: latency p50`, `${fmt(l.p50Us, 1)} µs`));
  out(line(`${label}: latency p99`, `${fmt(l.p99Us, 1)} µs`, `< ${GOALS.p99Ms} ms`, l.p99Us < GOALS.p99Ms * 1000));
  out(line(`${label}: latency mean / p99.9 / max`, `${fmt(l.meanUs, 1)} / ${fmt(l.p999Us)} / ${fmt(l.maxUs)} µs`));
  out(line(`${label}: CPU per alert (all threads)`, `${fmt(r.cpuUsPerAlert, 1)} µs`));
  out(line(`${label}: alerts evaluated, wall time`, `${fmt(r.alerts)} in ${fmt(r.seconds, 2)} s`));
  out(line(`${label}: GC pauses while measuring`, gcText(r)));
  out(line(`${label}: first evaluate() call (cold)`, `${fmt(r.firstCallMs, 2)} ms`));
  out(line(`${label}: simulate() of the storm, one cold call`, `${fmt(r.simulate.ms)} ms`));
}

async function main() {
  out(`homeostat benchmark — node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model?.trim() ?? 'unknown'})`);
  out(`load average at start: ${loadText()}${busy() ? '  (machine busy: wall-clock figures are inflated; CPU figures are printed alongside)' : ''}`);
  const tmp = mkdtempSync(join(tmpdir(), 'homeostat-bench-'));
  const dirs = {};
  try {
    out();
    out(`Generating repositories under ${tmp} (one policy per file; ${STORM_MATCHES} policies match each storm alert; ~1% catch-alls)`);
    dirs.floor = join(tmp, `repo-${FLOOR_SIZE}`);
    writeRepository(dirs.floor, FLOOR_SIZE);
    for (const size of SIZES) {
      const t0 = process.hrtime.bigint();
      dirs[size] = join(tmp, `repo-${size}`);
      writeRepository(dirs[size], size);
      out(line(`${fmt(size)} policies written`, `${fmt(Number(process.hrtime.bigint() - t0) / 1e6)} ms`));
    }

    out();
    out(`1. Cold load + validate + compile: fresh \`node dist/engine/cli/main.js lint DIR --format json\``);
    const floor = lintSeries(dirs.floor, FLOOR_SIZE, LINT_RUNS.floor);
    out(line(`floor: ${FLOOR_SIZE} files (node start-up, schema compile)`, `${fmt(floor.median, 2)} s`));
    const lint = {};
    for (const size of SIZES) {
      lint[size] = lintSeries(dirs[size], size, LINT_RUNS[size]);
      const l = lint[size];
      const goal = size === 10_000 ? `< ${GOALS.lint10kSeconds} s` : null;
      out(line(`${fmt(size)} files: wall, median of ${LINT_RUNS[size]} (min)`, `${fmt(l.median, 2)} s (${fmt(l.min, 2)})`, goal, l.median < GOALS.lint10kSeconds));
      out(line(`${fmt(size)} files: CPU user+sys, median`, l.cpu === null ? 'n/a' : `${fmt(l.cpu, 2)} s`));
      out(line(`${fmt(size)} files: per file (wall, minus floor)`, `${fmt(((l.median - floor.median) / size) * 1e6)} µs`));
    }
    out(line('ratio wall 10k / 1k (linear would be 10)', `${fmt(lint[10_000].median / lint[1_000].median, 2)}×`));
    out('  (the in-process split, read / loadRepository, is printed at the top of sections 2 and 3)');

    const evals = {};
    SIZES.forEach((size, i) => {
      out();
      out(`${i + 2}. Evaluation at ${fmt(size)} policies: the storm fixtures (908 InstanceDown alerts), \`await evaluator.evaluate(alert)\` in sequence, ≥ ${EVAL_SECONDS} s`);
      evals[size] = runPhase(dirs[size], size, 'homeostat');
      printEval(`${fmt(size)} policies`, evals[size], { throughputGoal: size === 1_000 ? GOALS.alertsPerSecond1k : null });
    });
    const cost = (e) => 1 / e.alertsPerSecond;
    const ratio = cost(evals[10_000]) / cost(evals[1_000]);
    out(line('cost per alert 10k / 1k (wall)', `${fmt(ratio, 2)}×`, `<= ${GOALS.costRatio}`, ratio <= GOALS.costRatio));
    out(line('cost per alert 10k / 1k (CPU)', `${fmt(evals[10_000].cpuUsPerAlert / evals[1_000].cpuUsPerAlert, 2)}×`));

    out();
    out('4. Baseline: one plain json-rules-engine Engine with all 1,000 rules, default JSONPath resolver, `await engine.run(facts)` per alert');
    const base = runPhase(dirs[1_000], 1_000, 'baseline');
    out(line('baseline: throughput (wall)', `${fmt(base.alertsPerSecond, 1)} alerts/s`));
    out(line('baseline: latency p50 / p99', `${fmt(base.latency.p50Us / 1000, 1)} / ${fmt(base.latency.p99Us / 1000, 1)} ms`));
    out(line('baseline: CPU per alert (all threads)', `${fmt(base.cpuUsPerAlert / 1000, 2)} ms`));
    out(line('baseline: GC pauses while measuring', gcText(base)));
    out(line('baseline: alerts run, wall time', `${fmt(base.alerts)} in ${fmt(base.seconds, 2)} s`));
    const speedup = evals[1_000].alertsPerSecond / base.alertsPerSecond;
    out(line('homeostat / baseline at 1,000 policies (wall)', `${fmt(speedup, 1)}×`, `>= ${GOALS.baselineRatio}×`, speedup >= GOALS.baselineRatio));
    out(line('homeostat / baseline at 1,000 policies (CPU)', `${fmt(base.cpuUsPerAlert / evals[1_000].cpuUsPerAlert, 1)}×`));

    out();
    out('5. Peak RSS (VmHWM of the phase process: each phase in its own process, so the peak includes its load)');
    for (const size of SIZES) {
      const e = evals[size];
      out(line(`${fmt(size)} policies: after load / after evaluation`, `${mb(e.rssAfterLoadKb)} / ${mb(e.maxRssAfterKb)}`));
    }
    out(line('baseline 1,000 rules: after load / after evaluation', `${mb(base.rssAfterLoadKb)} / ${mb(base.maxRssAfterKb)}`));
    out();
    out(`load average at end: ${loadText()}${busy() ? '  (machine busy)' : ''}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  // The engine's own benchmarks, each in a process of its own.
  for (const script of ['bench/webhook.mjs', 'bench/audit-commit.mjs', 'bench/gitops.mjs', 'bench/bounds.mjs', 'bench/large-body.mjs', 'bench/enrichment.mjs', 'bench/kube.mjs', 'bench/schedules.mjs', 'bench/run-history.mjs', 'bench/diff.mjs', 'bench/guards.mjs', 'bench/node-guards.mjs', 'bench/decide.mjs', 'bench/refusals.mjs']) {
    out();
    const child = spawnSync(process.execPath, [join(ROOT, script)], { stdio: 'inherit' });
    if (child.status !== 0) throw new Error(`${script} failed (exit ${child.status})`);
  }
}

main().catch((error) => {
  process.stderr.write(`bench: ${error.stack ?? error}\n`);
  process.exit(1);
});
