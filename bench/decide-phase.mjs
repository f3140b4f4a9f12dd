/**
 * One phase of bench/decide.mjs, in its own process so that its peak RSS, its load time and its
 * JIT state are its own. Loads a generated repository (bench/generate.mjs), then decides the
 * 908 captured storm alerts in sequence on one core, pass after pass, with one of:
 * - compiled: `evaluator.matchNow(alert)`, the synchronous path serve and simulate take when
 *   no candidate queries Prometheus, each call timed; then whole passes of evaluateAll (the
 *   batch: one synchronous pass in time slices);
 * - json-rules-engine: `await evaluator.evaluate(alert)` on an Evaluator made with
 *   `{ conditions: 'json-rules-engine' }`, the path the compiled predicates replaced (the
 *   pre-filter decides match, json-rules-engine each candidate's `when`, a promise per alert).
 * Prints one JSON object on stdout.
 *
 *   node bench/decide-phase.mjs --dir DIR --policies N --mode compiled|json-rules-engine --seconds S
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readRepository } from '../dist/engine/load/read-dir.js';
import { loadRepository } from '../dist/engine/load/repository.js';
import { splitPayload } from '../dist/engine/alerts/payload.js';
import { compileCondition } from '../dist/engine/policy/conditions.js';
import { Evaluator } from '../dist/engine/policy/evaluate.js';
import { evaluateAll } from '../dist/engine/pipeline/simulate.js';
import { cachedResultCount } from '../dist/engine/regex/re2.js';
import { STORM_MATCHES } from './generate.mjs';
import { latencySummary, median, peakRssKb } from './stats.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const STORM_FILES = ['storm-first-408.json', 'storm-repeat-500.json'].map((f) => join(ROOT, 'test/fixtures/alertmanager', f));

const { values: args } = parseArgs({ options: { dir: { type: 'string' }, policies: { type: 'string' }, mode: { type: 'string' }, seconds: { type: 'string', default: '2' } } });
const now = () => process.hrtime.bigint();

function fail(message) {
  process.stderr.write(`decide-phase: ${message}\n`);
  process.exit(1);
}

function stormAlerts() {
  return STORM_FILES.flatMap((file) => {
    const split = splitPayload(JSON.parse(readFileSync(file, 'utf8')));
    if (!split.ok) fail(`${file}: not a valid payload`);
    return split.payload.alerts;
  });
}

function load(dir, expected) {
  const t0 = performance.now();
  const repo = readRepository(dir);
  const t1 = performance.now();
  const result = loadRepository(repo);
  const t2 = performance.now();
  if (!result.policySet) fail(`${dir}: the repository has problems: ${JSON.stringify(result.diagnostics.slice(0, 3))}`);
  if (result.policySet.policies.length !== expected) fail(`${dir}: ${result.policySet.policies.length} policies, expected ${expected}`);
  // What compiling the `when` predicates adds to loadRepository: compiled again, timed alone.
  const t3 = performance.now();
  for (const p of result.policySet.policies) if (p.whenRule) compileCondition(p.whenRule.conditions.all[0]);
  const compileMs = performance.now() - t3;
  // Cold: from this process's start (node, modules) until the set is ready.
  return { set: result.policySet, load: { coldMs: t2, readMs: t1 - t0, loadRepositoryMs: t2 - t1, whenCompileMs: compileMs } };
}

function checkMatches(counts, label) {
  const wrong = counts.filter((n) => n !== STORM_MATCHES);
  if (wrong.length) fail(`${label}: ${wrong.length} storm alerts matched ${[...new Set(wrong)].join('/')} policies, expected ${STORM_MATCHES} each`);
}

/**
 * Runs `once` over the alerts, pass after pass, for `seconds`; each call timed, and each pass.
 * The median pass is what the code costs on a machine that others share: a pass during which
 * this process was not scheduled is an outlier there, not in the mean.
 */
async function perAlert(alerts, once, seconds, isAsync) {
  const latencies = [];
  const passes = [];
  const budget = BigInt(Math.round(seconds * 1e9));
  const cpu0 = process.cpuUsage();
  const start = now();
  let elapsed = 0n;
  while (elapsed < budget) {
    const p0 = now();
    for (const alert of alerts) {
      const t0 = now();
      if (isAsync) await once(alert);
      else once(alert);
      latencies.push(Number(now() - t0));
    }
    const p1 = now();
    passes.push(Number(p1 - p0) / alerts.length / 1e3);
    elapsed = p1 - start;
  }
  const cpu = process.cpuUsage(cpu0);
  const wall = Number(elapsed) / 1e9;
  const medianPassUs = median(passes);
  return {
    alerts: latencies.length,
    passes: passes.length,
    seconds: wall,
    alertsPerSecond: 1e6 / medianPassUs,
    meanAlertsPerSecond: latencies.length / wall,
    cpuUsPerAlert: (cpu.user + cpu.system) / latencies.length,
    latency: latencySummary(latencies),
  };
}

/** Whole storm payloads through evaluateAll, for `seconds`: the batch throughput. */
async function batches(evaluator, alerts, seconds) {
  const budget = seconds * 1000;
  const start = performance.now();
  let decided = 0;
  while (performance.now() - start < budget) {
    const matches = await evaluateAll(evaluator, alerts);
    decided += matches.length;
  }
  return { alerts: decided, alertsPerSecond: decided / ((performance.now() - start) / 1000) };
}

const expected = Number(args.policies);
const seconds = Number(args.seconds);
const alerts = stormAlerts();
const { set, load: loaded } = load(args.dir, expected);
const rssAfterLoadKb = peakRssKb();
const compiled = args.mode === 'compiled';
const evaluator = new Evaluator(set, null, { conditions: compiled ? 'compiled' : 'json-rules-engine' });

const firstCall = now();
const first = compiled ? evaluator.matchNow(alerts[0]) : await evaluator.evaluate(alerts[0]);
const firstCallMs = Number(now() - firstCall) / 1e6;
if (first === null) fail('the storm alert awaits: a candidate queries Prometheus');
const counts = [];
for (const alert of alerts) counts.push((compiled ? evaluator.matchNow(alert) : await evaluator.evaluate(alert)).length);
checkMatches(counts, args.mode);
for (const alert of alerts) compiled ? evaluator.matchNow(alert) : await evaluator.evaluate(alert); // warm-up
// The path's own peak: taken before the timing loop, whose samples are the benchmark's memory.
const rssDecidedKb = peakRssKb();

const single = compiled ? await perAlert(alerts, (a) => evaluator.matchNow(a), seconds, false) : await perAlert(alerts, (a) => evaluator.evaluate(a), seconds, true);
const batch = await batches(evaluator, alerts, seconds / 2);
process.stdout.write(
  JSON.stringify({
    mode: args.mode,
    policies: expected,
    stormAlerts: alerts.length,
    load: loaded,
    firstCallMs,
    single,
    batch,
    regexResultsCached: cachedResultCount(),
    rssAfterLoadKb,
    peakRssKb: rssDecidedKb,
  }) + '\n',
);
