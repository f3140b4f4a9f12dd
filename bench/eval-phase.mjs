/**
 * One evaluation phase of the benchmark, in its own process so that its peak RSS and its JIT
 * state are its own. Loads the repository in-process (timed: read / loadRepository), then
 * evaluates the storm alerts in sequence on one core, either with homeostat's Evaluator or
 * with the baseline (one plain json-rules-engine Engine holding every rule, default JSONPath
 * path resolver). Prints one JSON object on stdout.
 *
 *   node bench/eval-phase.mjs --dir DIR --policies N --mode homeostat|baseline --seconds S
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PerformanceObserver, constants as perf } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Engine, Rule } from 'json-rules-engine';
import { readRepository } from '../dist/engine/load/read-dir.js';
import { loadRepository } from '../dist/engine/load/repository.js';
import { splitPayload } from '../dist/engine/alerts/payload.js';
import { ruleOf } from '../dist/engine/policy/compile.js';
import { Evaluator, scopeOf } from '../dist/engine/policy/evaluate.js';
import { simulate } from '../dist/engine/pipeline/simulate.js';
import { CUSTOM as OPERATORS } from '../dist/engine/policy/operators.js'; // what evaluate.js registers: the baseline decides the same rules
import { STORM_MATCHES } from './generate.mjs';
import { latencySummary, peakRssKb } from './stats.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const STORM_FILES = ['storm-first-408.json', 'storm-repeat-500.json'].map((f) => join(ROOT, 'test/fixtures/alertmanager', f));
// The baseline is slow: it stops after EVAL seconds or BASELINE_ENOUGH_ALERTS, whichever
// comes first, but never before BASELINE_MIN_ALERTS (its ratio to homeostat is what matters).
const BASELINE_ENOUGH_ALERTS = 200;
const BASELINE_MIN_ALERTS = 20;

const { values: args } = parseArgs({
  options: { dir: { type: 'string' }, policies: { type: 'string' }, mode: { type: 'string' }, seconds: { type: 'string', default: '2' } },
});

const now = () => process.hrtime.bigint();
const ms = (from, to) => Number(to - from) / 1e6;
const maxRssKb = peakRssKb;

function fail(message) {
  process.stderr.write(`eval-phase: ${message}\n`);
  process.exit(1);
}

function loadStorm() {
  return STORM_FILES.map((file) => {
    const split = splitPayload(JSON.parse(readFileSync(file, 'utf8')));
    if (!split.ok) fail(`${file}: not a valid payload`);
    return split.payload;
  });
}

function loadPolicies(dir, expected) {
  const t0 = now();
  const repo = readRepository(dir);
  const t1 = now();
  const result = loadRepository(repo);
  const t2 = now();
  if (!result.policySet) fail(`${dir}: the repository has problems: ${JSON.stringify(result.diagnostics.slice(0, 3))}`);
  if (result.policySet.policies.length !== expected) fail(`${dir}: ${result.policySet.policies.length} policies, expected ${expected}`);
  return { set: result.policySet, load: { readMs: ms(t0, t1), loadRepositoryMs: ms(t1, t2) } };
}

const GC_KINDS = { [perf.NODE_PERFORMANCE_GC_MINOR]: 'minor', [perf.NODE_PERFORMANCE_GC_MAJOR]: 'major', [perf.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental', [perf.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb' };

/** Collects GC pauses while `fn` runs: count, total and longest pause per kind. */
async function withGcStats(fn) {
  const stats = {};
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = GC_KINDS[entry.detail?.kind] ?? 'other';
      const s = (stats[kind] ??= { count: 0, totalMs: 0, maxMs: 0 });
      s.count++;
      s.totalMs += entry.duration;
      s.maxMs = Math.max(s.maxMs, entry.duration);
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  const result = await fn();
  await new Promise((resolve) => setTimeout(resolve, 20)); // observers are called back asynchronously
  observer.disconnect();
  return { ...result, gc: stats };
}

/**
 * Runs `once(alert)` over the alerts in sequence, pass after pass, until `seconds` have passed
 * and `minAlerts` ran, or `enoughAlerts` ran.
 */
async function measure(alerts, once, { seconds, minAlerts = 0, enoughAlerts = Infinity }) {
  const latencies = [];
  const budget = BigInt(Math.round(seconds * 1e9));
  const cpuStart = process.cpuUsage();
  const start = now();
  let elapsed = 0n;
  outer: for (;;) {
    for (const alert of alerts) {
      const t0 = now();
      await once(alert);
      const t1 = now();
      latencies.push(Number(t1 - t0));
      elapsed = t1 - start;
      if ((elapsed >= budget && latencies.length >= minAlerts) || latencies.length >= enoughAlerts) break outer;
    }
  }
  const cpu = process.cpuUsage(cpuStart);
  const wall = Number(elapsed) / 1e9;
  return {
    alerts: latencies.length,
    seconds: wall,
    alertsPerSecond: latencies.length / wall,
    cpuUsPerAlert: (cpu.user + cpu.system) / latencies.length,
    latency: latencySummary(latencies),
  };
}

function checkStormMatches(counts, label) {
  const wrong = counts.filter((n) => n !== STORM_MATCHES);
  if (wrong.length) fail(`${label}: ${wrong.length} storm alerts matched ${[...new Set(wrong)].join('/')} policies, expected ${STORM_MATCHES} each`);
}

async function homeostat(set, payloads, alerts, seconds) {
  const evaluator = new Evaluator(set);
  const firstCall = now();
  const first = await evaluator.evaluate(alerts[0]);
  const firstCallMs = ms(firstCall, now());
  const strays = first.filter((m) => !m.policy.name.startsWith('storm-')).map((m) => m.policy.name);
  if (strays.length) fail(`homeostat: the first storm alert matched non-storm policies ${strays.join(', ')}`);
  const counts = [first.length];
  for (const alert of alerts.slice(1)) counts.push((await evaluator.evaluate(alert)).length);
  checkStormMatches(counts, 'homeostat');
  for (const alert of alerts) await evaluator.evaluate(alert); // second warm-up pass
  const rssBefore = maxRssKb();
  const run = await withGcStats(() => measure(alerts, (alert) => evaluator.evaluate(alert), { seconds }));
  const rssAfter = maxRssKb();
  const sim0 = now();
  const simulation = await simulate(set, payloads, { now: Date.parse('2026-11-21T09:00:00Z') });
  const simulateMs = ms(sim0, now());
  return { ...run, firstCallMs, matchesPerAlert: STORM_MATCHES, maxRssBeforeKb: rssBefore, maxRssAfterKb: rssAfter, simulate: { ms: simulateMs, decisions: simulation.decisions.length } };
}

/** A copy of a condition tree with every plain path `a.b` turned into JSONPath `$.a.b`. */
function toJsonPath(node) {
  if (Array.isArray(node)) return node.map(toJsonPath);
  if (typeof node !== 'object' || node === null) return node;
  const copy = {};
  for (const [key, value] of Object.entries(node)) copy[key] = key === 'path' && typeof value === 'string' ? `$.${value}` : toJsonPath(value);
  return copy;
}

async function baseline(set, alerts, seconds) {
  const engine = new Engine();
  for (const [name, fn] of Object.entries(OPERATORS)) engine.addOperator(name, fn);
  for (const policy of set.policies) {
    const rule = ruleOf(policy);
    engine.addRule(new Rule({ ...rule, conditions: toJsonPath(rule.conditions) }));
  }
  const runOnce = (alert) => engine.run(scopeOf(alert));
  const counts = [];
  for (const alert of alerts.slice(0, 5)) counts.push((await runOnce(alert)).events.length);
  checkStormMatches(counts, 'baseline');
  const rssBefore = maxRssKb();
  const run = await withGcStats(() => measure(alerts, runOnce, { seconds, minAlerts: BASELINE_MIN_ALERTS, enoughAlerts: BASELINE_ENOUGH_ALERTS }));
  return { ...run, rules: engine.rules.length, maxRssBeforeKb: rssBefore, maxRssAfterKb: maxRssKb() };
}

const expected = Number(args.policies);
const payloads = loadStorm();
const alerts = payloads.flatMap((p) => p.alerts);
const { set, load } = loadPolicies(args.dir, expected);
const rssAfterLoadKb = maxRssKb();
const seconds = Number(args.seconds);
const result = args.mode === 'baseline' ? await baseline(set, alerts, seconds) : await homeostat(set, payloads, alerts, seconds);
process.stdout.write(JSON.stringify({ mode: args.mode, policies: expected, stormAlerts: alerts.length, load, rssAfterLoadKb, ...result }) + '\n');
