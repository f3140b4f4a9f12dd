/**
 * The one pipeline the CLI shares with the engine: split payloads into alerts, evaluate each
 * against a policy set, then plan and guard in arrival order. Nothing here runs an action.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Alert, SplitPayload } from '../alerts/payload.js';
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

export async function simulate(set: PolicySet, payloads: readonly SplitPayload[], options: SimulationOptions): Promise<Simulation> {
  const evaluator = new Evaluator(set, options.enrichment ?? null);
  const ledger = options.ledger ?? new IndexedLedger();
  const alerts = payloads.flatMap((p) => p.alerts);
  const matches = await evaluateAll(evaluator, alerts);
  const decisions = alerts.flatMap((alert, i) => decide(set, alert, matches[i]!, { now: options.now, dryRun: options.dryRun ?? false, ledger }));
  return {
    revision: set.revision,
    alerts: alerts.length,
    truncatedAlerts: payloads.reduce((n, p) => n + p.group.truncatedAlerts, 0),
    decisions,
  };
}
