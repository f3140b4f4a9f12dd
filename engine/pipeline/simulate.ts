/**
 * The one pipeline the CLI shares with the engine: split payloads into alerts, evaluate each
 * against a policy set, then plan and guard in arrival order, each alert at the time of its
 * payload, through the guard code and ledger the engine decides with (plan/decide.ts,
 * guards.ts, ledger.ts). Nothing here runs an action. A guard belongs in plan/, where both
 * reach it: one the engine alone applied would make simulate say what serve does not do
 * (test/e2e/simulate-timeline.test.ts compares the two on one sequence).
 */
import type { Alert, SplitPayload } from '../alerts/payload.js';
import type { TimedPayload } from '../alerts/timeline.js';
import { StormBreaker } from '../breaker/breaker.js';
import { decide } from '../plan/decide.js';
import type { Decision } from '../plan/decide.js';
import type { GuardLedger } from '../plan/ledger.js';
import { IndexedLedger } from '../plan/ledger.js';
import { Evaluator } from '../policy/evaluate.js';
import type { Match } from '../policy/evaluate.js';
import type { EnrichmentSource } from '../policy/enrichment.js';
import type { PolicySet } from '../policy/types.js';
import type { GuardFacts } from '../plan/node-guards.js';
import { TimeSlices } from '../util/time-slice.js';

/** Alerts that await enrichment, evaluated concurrently at a time. */
const EVALUATION_SLICE = 32;

export interface SimulationOptions {
  /** The clock of every payload that carries no time (`at`); the CLI gives every payload one. */
  now: number;
  dryRun?: boolean;
  ledger?: GuardLedger;
  enrichment?: EnrichmentSource | null;
  /** What the node guards know, or how to read it for these matches (engine/health/); without it they know nothing and say so. */
  facts?: GuardFacts | ((matches: readonly Match[][]) => Promise<GuardFacts>);
}

export interface Simulation {
  revision: string;
  alerts: number;
  truncatedAlerts: number;
  decisions: Decision[];
  /** When each of `decisions` was made (ms), in the same order: the time of its payload. */
  times: number[];
  /** Per alert, in order: the names of the policies that matched it (diff compares these). */
  matched: string[][];
  /** Per alert, in order: its decisions (the same objects as `decisions`). */
  decisionsByAlert: Decision[][];
}

/**
 * Evaluates a payload's alerts. Those whose candidates query no Prometheus are decided in one
 * synchronous pass (Evaluator.matchNow: no promise per alert), cut into time slices so that
 * the event loop still answers meanwhile; the others await their queries, EVALUATION_SLICE at
 * a time, under one deadline for the whole payload. Guards then see the alerts in arrival order.
 */
export async function evaluateAll(evaluator: Evaluator, alerts: readonly Alert[]): Promise<Match[][]> {
  const deadline = evaluator.deadline();
  const matches = new Array<Match[]>(alerts.length);
  const waiting: number[] = [];
  const slices = new TimeSlices();
  for (let i = 0; i < alerts.length; i++) {
    if (slices.due()) await slices.turn();
    const now = evaluator.matchNow(alerts[i]!);
    if (now === null) waiting.push(i);
    else matches[i] = now;
  }
  for (let k = 0; k < waiting.length; k += EVALUATION_SLICE) {
    // Without enrichment (a `when` on json-rules-engine) these promises are settled at once.
    if (slices.due()) await slices.turn();
    const slice = waiting.slice(k, k + EVALUATION_SLICE);
    const decided = await Promise.all(slice.map((i) => evaluator.evaluate(alerts[i]!, deadline)));
    slice.forEach((i, j) => (matches[i] = decided[j]!));
  }
  return matches;
}

/** A payload, or a payload of a timeline with the time it was sent. */
export type SimulatedPayload = SplitPayload | TimedPayload;

function timed(p: SimulatedPayload): TimedPayload {
  return 'payload' in p ? p : { payload: p };
}

export async function simulate(set: PolicySet, payloads: readonly SimulatedPayload[], options: SimulationOptions): Promise<Simulation> {
  const evaluator = new Evaluator(set, options.enrichment ?? null);
  const ledger = options.ledger ?? new IndexedLedger();
  const sent = payloads.map(timed);
  const alerts = sent.flatMap((p) => p.payload.alerts);
  const clock = sent.flatMap((p) => p.payload.alerts.map(() => p.at ?? options.now));
  const matches = await evaluateAll(evaluator, alerts);
  const facts = typeof options.facts === 'function' ? await options.facts(matches) : options.facts;
  // The storm breaker sees each payload as it arrives, as the engine's does (engine/breaker/).
  const storm = set.settings.stormBreaker;
  const breaker = storm ? new StormBreaker(null, () => 'simulated') : null;
  const decisionsByAlert: Decision[][] = [];
  for (const p of sent) {
    const now = p.at ?? options.now;
    breaker?.observe(p.payload.alerts, storm, now);
    const watch = breaker?.watch(storm, now) ?? null;
    for (const alert of p.payload.alerts) {
      const i = decisionsByAlert.length;
      decisionsByAlert.push(decide(set, alert, matches[i]!, { now: clock[i]!, dryRun: options.dryRun ?? false, ledger, storm: watch, facts }));
    }
  }
  return {
    revision: set.revision,
    alerts: alerts.length,
    truncatedAlerts: sent.reduce((n, p) => n + p.payload.group.truncatedAlerts, 0),
    decisions: decisionsByAlert.flat(),
    times: decisionsByAlert.flatMap((decisions, i) => decisions.map(() => clock[i]!)),
    matched: matches.map((m) => m.map((match) => match.policy.name)),
    decisionsByAlert,
  };
}
