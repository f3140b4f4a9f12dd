/**
 * What the guards cost per decision (`npm run build && node bench/guards.mjs`): plan/decide.ts
 * from dist/, the code the engine's webhook and `simulate` both decide with, timed per decision
 * (render the target and parameters, dedup, the guards, the ledger's record) on pre-split
 * alerts, every one a new alert (its own startsAt) of one of 10,000 targets:
 *
 * - baseline: a policy without guards (no cooldown, rate limit or window; a blast radius no run
 *   reaches), its ledger empty at the start;
 * - the same decisions under every guard (window in a time zone, cooldown, rate limit, blast
 *   radius, a maintenance window list), the ledger empty at the start;
 * - the same with 10,000 targets tracked in the ledger (an action on each some 2 hours ago, and
 *   the dedup keys of their alerts), every decision passing the guards and recorded;
 * - the same ledger, every decision refused by the cooldown (nothing recorded);
 * and checkGuards alone, with the 10,000-target ledger and with an empty one.
 *
 * Each figure is the median of ROUNDS rounds, each on a ledger built afresh (not timed);
 * ratios are against the baseline of the same run. A scenario is one entry of SCENARIOS: a
 * dimension such as 1,000 pending approvals is added there, its state made in `setup`.
 * A benchmark, not a test: it exits 0 whatever the figures, 1 only when the setup is wrong
 * (the policies do not load, a decision's verdict is not the one the scenario expects).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fmt, line, loadText, machineBusy, median } from './stats.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (path) => import(pathToFileURL(join(ROOT, 'dist/engine', path)).href);
const { loadRepository } = await dist('load/repository.js');
const { decide, dedupKey } = await dist('plan/decide.js');
const { checkGuards, GUARDS } = await dist('plan/guards.js');
const { IndexedLedger } = await dist('plan/ledger.js');
const { payloadFromInline, splitPayload } = await dist('alerts/payload.js');

const TARGETS = 10_000;
const DECISIONS = 20_000;
const WARM_UP = 5_000;
const ROUNDS = Number(process.env.HOMEOSTAT_BENCH_RUNS ?? 5);
const CHECKS = 200_000;
const HOUR = 3_600_000;
/** A Wednesday, 10:00 UTC: inside the window below. */
const T0 = Date.parse('2026-11-25T10:00:00Z');

const out = (text = '') => process.stdout.write(text + '\n');

const SETTINGS = `apiVersion: homeostat/v1
kind: Settings
spec:
  blastRadius: { max: 1000000, per: 10m }
  maintenanceWindows:
    - { start: '2026-11-01T02:00:00Z', end: '2026-11-01T04:00:00Z', reason: past upgrade }
    - { start: '2026-12-24T00:00:00Z', end: '2026-12-27T00:00:00Z', reason: holidays }
`;

function policy(guards) {
  return `apiVersion: homeostat/v1
kind: Policy
metadata: { name: restart-service }
spec:
  match: { alertname: ServiceDown }
  target: '{{ labels.instance }}'
  actions:
    - name: restart
      script: { path: scripts/restart.sh, args: ['{{ target }}', '{{ labels.name }}'] }
  guards: ${guards}
`;
}

const UNGUARDED = policy('{ cooldown: 0s }');
/** Every guard on, none refusing the passing scenarios: rate limit and blast radius far off. */
const GUARDED = policy(`
    cooldown: 1s
    rateLimit: { max: 1000000, per: 1h }
    window: { days: [mon, tue, wed, thu, fri], between: '06:00-22:00', timezone: Europe/Berlin }`);
/** The same guards, with a cooldown longer than the run: every decision on a tracked target refused. */
const COOLING = GUARDED.replace('cooldown: 1s', 'cooldown: 1d');

function policySet(policyText) {
  const result = loadRepository({
    files: [{ path: 'homeostat.yaml', text: SETTINGS }, { path: 'rules/restart.yaml', text: policyText }],
    exists: (path) => path === 'scripts/restart.sh',
    revision: 'bench',
  });
  if (!result.policySet) throw new Error(`the bench policies do not load: ${JSON.stringify(result.diagnostics)}`);
  return result.policySet;
}

const target = (i) => `host-${i % TARGETS}`;

/** DECISIONS alerts, each new (its own startsAt), cycling over the TARGETS targets. */
function alerts() {
  const inline = Array.from({ length: DECISIONS }, (_, i) => ({
    labels: { alertname: 'ServiceDown', instance: target(i), name: 'nginx.service', severity: 'critical' },
    startsAt: new Date(T0 - HOUR + i * 1000).toISOString(),
  }));
  const split = splitPayload(payloadFromInline(inline, new Date(T0).toISOString()));
  if (!split.ok) throw new Error(`the bench payload does not validate: ${JSON.stringify(split.problems)}`);
  return split.payload.alerts;
}

let earlier = null;

/** A ledger tracking every target: an action on each some 2 hours ago, and the dedup key of its alert (a day older). */
function trackedLedger(set) {
  const ledger = new IndexedLedger(() => T0);
  earlier ??= alerts().slice(0, TARGETS).map((a) => ({ ...a, startsAt: new Date(T0 - 24 * HOUR).toISOString() }));
  for (const [i, alert] of earlier.entries()) {
    const at = T0 - 2 * HOUR - i * 100;
    ledger.record({ policy: set.policies[0].name, phase: 'actions', target: target(i), disruptive: true, at });
    ledger.markSeen(dedupKey(alert, set.policies[0].name, 'actions'), at);
  }
  return ledger;
}

/**
 * The scenarios, each decided on a fresh ledger per round: `setup` makes the state the
 * decisions meet, `verdict` is the one every decision must reach. The state is `{ ledger }`,
 * and for a dimension decide() reads more of (say, 1,000 pending approvals): `options`, added
 * to decide()'s, or `decideWith`, a function with decide()'s signature that replaces it.
 */
const SCENARIOS = [
  { name: 'baseline: no guards, ledger empty', policy: UNGUARDED, setup: () => ({ ledger: new IndexedLedger(() => T0) }), verdict: 'run' },
  { name: 'every guard, ledger empty', policy: GUARDED, setup: () => ({ ledger: new IndexedLedger(() => T0) }), verdict: 'run' },
  { name: `every guard, ${fmt(TARGETS)} targets tracked`, policy: GUARDED, setup: (set) => ({ ledger: trackedLedger(set) }), verdict: 'run' },
  { name: `every guard, ${fmt(TARGETS)} targets, refused by cooldown`, policy: COOLING, setup: (set) => ({ ledger: trackedLedger(set) }), verdict: 'refused' },
];

/** Nanoseconds per decision over `list`, the clock moving 1 ms a decision (a target comes back every 10 s). */
function decideAll(set, list, state, expected) {
  const matches = [{ policy: set.policies[0], phases: ['actions'] }];
  const t0 = process.hrtime.bigint();
  const decideOne = state.decideWith ?? decide;
  const extra = state.options ?? {};
  let last;
  for (let i = 0; i < list.length; i++) last = decideOne(set, list[i], matches, { ...extra, now: T0 + i, dryRun: false, ledger: state.ledger });
  const ns = Number(process.hrtime.bigint() - t0) / list.length;
  if (last[0].verdict !== expected) throw new Error(`expected ${expected}, the last decision is ${last[0].verdict}: ${last[0].reason}`);
  return ns;
}

/**
 * Nanoseconds per decision of each scenario, the median of ROUNDS rounds. The rounds of the
 * scenarios alternate, so that a machine whose load changes meanwhile weighs on all alike.
 */
function measureAll(scenarios, list) {
  const sets = scenarios.map((s) => policySet(s.policy));
  scenarios.forEach((s, i) => decideAll(sets[i], list.slice(0, WARM_UP), s.setup(sets[i]), s.verdict));
  const rounds = scenarios.map(() => []);
  for (let r = 0; r < ROUNDS; r++) scenarios.forEach((s, i) => rounds[i].push(decideAll(sets[i], list, s.setup(sets[i]), s.verdict)));
  return rounds.map(median);
}

/** checkGuards alone (`guards`: all, or one) for tracked targets, every guard passing: nanoseconds per call. */
function guardsAlone(ledger, set, guards = GUARDS) {
  const context = (i) => ({ policy: set.policies[0], phase: 'actions', target: target(i), disruptive: true, settings: set.settings, ledger, now: T0 + i });
  for (let i = 0; i < 10_000; i++) checkGuards(context(i), guards);
  const rounds = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    let refused = 0;
    for (let i = 0; i < CHECKS; i++) if (checkGuards(context(i), guards) !== null) refused++;
    rounds.push(Number(process.hrtime.bigint() - t0) / CHECKS);
    if (refused) throw new Error(`checkGuards (${guards.join(', ')}) refused ${refused} of ${CHECKS}`);
  }
  return median(rounds);
}

out(`Guards per decision: plan/decide.ts (dist/), ${fmt(DECISIONS)} new alerts over ${fmt(TARGETS)} targets, median of ${ROUNDS} rounds`);
out(`load average at start: ${loadText()}${machineBusy() ? '  (machine busy: figures inflated)' : ''}`);
const list = alerts();
const figures = measureAll(SCENARIOS, list);
const base = figures[0];
SCENARIOS.forEach((s, i) => out(line(s.name, `${fmt(figures[i] / 1000, 2)} µs`) + `   ×${fmt(figures[i] / base, 2)} baseline`));

out(`checkGuards alone, ${fmt(CHECKS)} calls over the targets, every guard passing:`);
const set = policySet(GUARDED);
const share = (label, ns) => out(line(label, `${fmt(ns, 0)} ns`) + `   ${fmt((100 * ns) / base, 1)}% of a baseline decision`);
share('all guards, ledger empty', guardsAlone(new IndexedLedger(() => T0), set));
const tracked = trackedLedger(set);
share(`all guards, ${fmt(TARGETS)} targets tracked`, guardsAlone(tracked, set));
for (const guard of GUARDS) share(`  ${guard} alone, ${fmt(TARGETS)} targets tracked`, guardsAlone(tracked, set, [guard]));
out(`load average at end: ${loadText()}${machineBusy() ? '  (machine busy)' : ''}`);
