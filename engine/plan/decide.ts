/**
 * From matches to decisions: each action of a matching policy becomes a plan with its target
 * and rendered parameters, and a verdict after the guards. Pure but for the ledger it is given.
 *
 * What is remembered of an alert (its fingerprint and startsAt) goes into the ledger as seen
 * keys, which the engine journals and restores at start-up: which policy phases were decided
 * (dedup), that the alert was seen resolved (a later firing is late), and which policies'
 * actions were decided to run (their onResolved answers them).
 */
import { ACTION_TYPES } from '../actions/registry.js';
import type { Alert } from '../alerts/payload.js';
import type { Match, Phase } from '../policy/evaluate.js';
import type { EnrichmentRecord, EnrichmentResult } from '../policy/enrichment.js';
import { scopeOf } from '../policy/evaluate.js';
import type { CompiledAction, CompiledNotify, CompiledPolicy, PolicySet } from '../policy/types.js';
import { renderTemplate, TemplateRenderError } from '../template/template.js';
import { ANSWER_GUARDS, checkGuards, GUARDS } from './guards.js';
import type { RuntimePause, StormView } from './guards.js';
import type { GuardLedger } from './ledger.js';
import { renderParams } from './render.js';
import { nodeMark, touchedNames } from './node-guards.js';
import type { GuardFacts } from './node-guards.js';

export type Verdict = 'run' | 'dry-run' | 'awaiting-approval' | 'refused' | 'failed';

export interface Decision {
  alert: { fingerprint: string; alertname: string; status: string; startsAt: string };
  policy: string;
  action: string;
  type: string;
  phase: Phase;
  target: string | null;
  params: Record<string, unknown> | null;
  verdict: Verdict;
  reason: string | null;
  /** A guard's refusal: when that guard stops refusing, as far as is known (ISO 8601); null otherwise. */
  until: string | null;
  /** The guard that refused, or 'duplicate', 'resolved', 'enrichment', 'params' or 'template'; null when none did. */
  refusedBy: string | null;
  /** The policy's Prometheus queries for this alert, with their values or errors; null when it has none. */
  enrichment: EnrichmentRecord[] | null;
  /**
   * An onResolved decision that answers actions decided to run for the same alert and policy:
   * only ANSWER_GUARDS hold it (a lost recovery is never re-sent).
   */
  answers: boolean;
  /** What the action does, in one line (what a dry run prints). */
  description: string | null;
  revision: string;
  /** The action's notify actions, decided when it ends (simulate lists them). */
  notify: readonly CompiledNotify[];
}

/** What decide tells the storm breaker (engine/breaker/), and asks of it, for one payload. */
export interface StormWatch {
  /** A decision for a firing alert has this target. */
  target(target: string): void;
  /** Open: what the guard says; null when closed. */
  view(): StormView | null;
}

export interface DecideOptions {
  now: number;
  /** Every action in dry-run, whatever the policies say (simulate, `serve --dry-run`). */
  dryRun: boolean;
  ledger: GuardLedger;
  /** The pause thrown through the engine's API, if any (the paused guard). */
  pause?: RuntimePause | null;
  /** The storm breaker, told each target decided for and asked whether it is open; absent: none. */
  storm?: StormWatch | null;
  /** What the node guards know of the nodes, read before deciding (engine/health/); absent: nothing read. */
  facts?: GuardFacts;
}

/** A policy phase decided for an alert: a re-send is a duplicate. */
export function dedupKey(alert: Alert, policy: string, phase: Phase): string {
  return `${alert.fingerprint}|${alert.startsAt}|${alert.status}|${policy}|${phase}`;
}

/** The alert was seen resolved: a firing of it that comes later is late, never remediated. */
export function resolvedKey(alert: Alert): string {
  return `${alert.fingerprint}|${alert.startsAt}|resolved`;
}

/** A policy's `actions` were decided to run for the alert: its `onResolved` answers them. */
export function ranKey(alert: Alert, policy: string): string {
  return `${alert.fingerprint}|${alert.startsAt}|ran|${policy}`;
}

export function decide(set: PolicySet, alert: Alert, matches: readonly Match[], options: DecideOptions): Decision[] {
  // Whatever matches now: a late firing may match a policy that this resolution did not.
  if (alert.status === 'resolved') markOnce(options.ledger, resolvedKey(alert));
  const late = alert.status === 'firing' && options.ledger.seen(resolvedKey(alert));
  const decisions: Decision[] = [];
  for (const match of matches) {
    for (const phase of match.phases) decisions.push(...decidePhase(set, alert, match.policy, phase, late, options, match.enrichment ?? null));
  }
  return decisions;
}

function decidePhase(set: PolicySet, alert: Alert, policy: CompiledPolicy, phase: Phase, late: boolean, options: DecideOptions, enrichment: EnrichmentResult | null): Decision[] {
  const actions = phase === 'actions' ? policy.actions : policy.onResolved;
  const answers = phase === 'onResolved' && options.ledger.seen(ranKey(alert, policy.name));
  const about = { fingerprint: alert.fingerprint, alertname: alert.alertname, status: alert.status, startsAt: alert.startsAt };
  // Every field written out, in one shape: the webhook makes one of these per alert.
  const make = (action: CompiledAction, rest: Partial<Decision> & Pick<Decision, 'verdict'>): Decision => ({
    alert: about,
    policy: policy.name,
    action: action.name,
    type: action.type,
    phase,
    target: rest.target ?? null,
    params: rest.params ?? null,
    verdict: rest.verdict,
    reason: rest.reason ?? null,
    until: rest.until ?? null,
    refusedBy: rest.refusedBy ?? null,
    enrichment: enrichment?.records ?? null,
    answers,
    description: rest.description ?? null,
    revision: set.revision,
    notify: action.notify,
  });

  const scope = enrichment ? { ...scopeOf(alert), enrichment: enrichment.values } : scopeOf(alert);
  let target: string | null = null;
  let targetError: string | null = null;
  try {
    target = policy.target ? renderTemplate(policy.target, scope) : alert.fingerprint;
  } catch (error) {
    targetError = `target: ${reasonOf(error)}`;
  }
  // The storm breaker counts the targets disruptive actions are decided for, re-sends included,
  // whether or not they are then refused (a notification's target, often the fingerprint, is not counted).
  const disruptive = actions.some((a) => ACTION_TYPES.get(a.type)!.disruptive);
  if (target !== null && disruptive && phase === 'actions' && alert.status === 'firing') options.storm?.target(target);

  const key = dedupKey(alert, policy.name, phase);
  if (options.ledger.seen(key)) {
    return actions.map((a) => make(a, { target, verdict: 'refused', refusedBy: 'duplicate', reason: `duplicate: alert ${alert.fingerprint} (startsAt ${alert.startsAt}) was already decided for ${policy.name}` }));
  }
  // A guard's refusal passes (a cooldown ends, a window opens): that alert is decided again
  // when Alertmanager re-sends it. Every other outcome is final for this alert.
  const decided = (result: Decision[]) => {
    options.ledger.markSeen(key);
    return result;
  };
  if (late) {
    const reason = `resolved: alert ${alert.fingerprint} (startsAt ${alert.startsAt}) was already seen resolved; a firing that arrives after its resolution (a lagging Alertmanager peer, an old group re-sent) is never remediated again`;
    return decided(actions.map((a) => make(a, { target, verdict: 'refused', refusedBy: 'resolved', reason })));
  }
  if (enrichment?.error) {
    // Fail closed, and not final: Prometheus may answer when Alertmanager re-sends the alert.
    return actions.map((a) => make(a, { target, verdict: 'refused', refusedBy: 'enrichment', reason: `${enrichment.error}; no action (fails closed), decided again when Alertmanager re-sends the alert` }));
  }
  if (target === null) return decided(actions.map((a) => make(a, { verdict: 'failed', refusedBy: 'template', reason: targetError })));

  const withTarget = { ...scope, target };
  const dryRunOf = (action: CompiledAction): boolean => options.dryRun || set.settings.dryRun || policy.dryRun || action.dryRun;

  const planned = actions.map((action) => {
    const type = ACTION_TYPES.get(action.type)!;
    let params: Record<string, unknown>;
    try {
      params = renderParams(action, withTarget);
    } catch (error) {
      return make(action, { target, verdict: 'failed', refusedBy: 'template', reason: reasonOf(error) });
    }
    const refusal = type.refuse?.(params, action.raw, target, set.settings) ?? null;
    if (refusal) return make(action, { target, params, verdict: 'refused', refusedBy: 'params', reason: refusal });
    return make(action, { target, params, verdict: 'run', description: type.describe(params, target, dryRunOf(action)) });
  });

  const runnable = planned.filter((d) => d.verdict === 'run');
  if (runnable.length === 0) return decided(planned);
  const nodeDisruptive = actions.some((a) => a.disruptsNode);
  const touches = runnable.flatMap((d) => touchedNames(d.type, d.params!));
  const context = { policy, phase, target, disruptive, nodeDisruptive, touches, facts: options.facts, settings: set.settings, ledger: options.ledger, now: options.now, pause: options.pause ?? null, storm: options.storm?.view() ?? null };
  const refusal = checkGuards(context, answers ? ANSWER_GUARDS : GUARDS);
  if (refusal) {
    // Not decided: the alert is decided again if Alertmanager re-sends it, which it never does for a resolution.
    const reason = answers ? `${refusal.reason}; this onResolved answers actions that ran and a resolved alert is not re-sent: do it by hand` : refusal.reason;
    const until = refusal.until === null ? null : new Date(refusal.until).toISOString();
    for (const d of runnable) Object.assign(d, { verdict: 'refused', refusedBy: refusal.guard, reason, until });
    return planned;
  }
  if (policy.guards.approval.required) {
    // Held, not decided to run: nothing is counted against the guards until a human approves,
    // when they are checked again and the action counted (engine/approvals/). A dry run (serve
    // --dry-run) is held too, so that the approval is rehearsed; approved, it runs dry.
    for (const d of runnable) Object.assign(d, { verdict: 'awaiting-approval', reason: 'approval required' });
    return decided(planned);
  }
  options.ledger.record({ policy: policy.name, phase, target, disruptive, ...nodeMark(nodeDisruptive, touches), at: options.now });
  if (phase === 'actions') markOnce(options.ledger, ranKey(alert, policy.name));
  for (const d of runnable) {
    const action = actions.find((a) => a.name === d.action)!;
    if (dryRunOf(action)) d.verdict = 'dry-run';
  }
  return decided(planned);
}

/** A re-mark would only journal the key again. */
function markOnce(ledger: GuardLedger, key: string): void {
  if (!ledger.seen(key)) ledger.markSeen(key);
}

function reasonOf(error: unknown): string {
  return error instanceof TemplateRenderError ? error.message : String((error as Error).message ?? error);
}
