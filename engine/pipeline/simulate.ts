/**
 * The one pipeline the CLI shares with the engine: split payloads into alerts, evaluate each
 * against a policy set, then plan and guard in arrival order, each alert at the time of its
 * payload, through the guard code and ledger the engine decides with (plan/decide.ts,
 * guards.ts, ledger.ts). Nothing here runs an action. A guard belongs in plan/, where both
 * reach it: one the engine alone applied would make simulate say what serve does not do
 * (test/e2e/simulate-timeline.test.ts compares the two on one sequence).
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
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

const EVALUATION_SLICE = 32;
/**
 * Evaluation awaits only promises that are already settled (no enrichment), which never let
 * the event loop in: every so many alerts it is given a turn, so that a storm's evaluation
 * does not keep the webhook from answering others.
 */
const TURN_EVERY = 16 * EVALUATION_SLICE;

export interface SimulationOptions {
  /** The clock of every payload that carries no time (`at`); the CLI gives every payload one. */
  now: number;
  dryRun?: boolean;
  ledger?: GuardLedger;
  enrichment?: EnrichmentSource | null;
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
 * Evaluation is independent per alert and runs concurrently, in slices so that a storm does
 * not build an engine per alert; guards then see the alerts in arrival order.
 */
export async function evaluateAll(evaluator: Evaluator, alerts: readonly Alert[]): Promise<Match[][]> {
  const matches: Match[][] = [];
  const deadline = evaluator.deadline();
  for (let i = 0; i < alerts.length; i += EVALUATION_SLICE) {
    if (i > 0 && i % TURN_EVERY === 0) await nextTurn();
    matches.push(...(await Promise.all(alerts.slice(i, i + EVALUATION_SLICE).map((a) => evaluator.evaluate(a, deadline)))));
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
      decisionsByAlert.push(decide(set, alert, matches[i]!, { now: clock[i]!, dryRun: options.dryRun ?? false, ledger, storm: watch }));
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
