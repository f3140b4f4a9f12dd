/**
 * Recovery metrics: how long after an alert started its remediation ended, and whether the
 * alert resolved within a window after a policy's action succeeded — the figure that says
 * which policies heal. Counted once per alert (fingerprint and startsAt) and policy, from the
 * first of the policy's actions that succeeded; live actions of a policy's `actions` only (a
 * dry run heals nothing, an onResolved runs after the fact).
 *
 * Memory is bounded: an alert is remembered while a policy's action for it waits or runs, and
 * after its success until the window (and a grace for Alertmanager's late delivery) has
 * passed; then it is counted and forgotten. A resolution re-sent by Alertmanager finds nothing
 * left to count. What is remembered lives in memory only: a restart forgets it, uncounted.
 */
import type { Logger } from 'pino';
import type { Alert } from '../alerts/payload.js';
import type { AuditEntry } from '../audit/entry.js';
import type { Metrics } from './metrics.js';

/**
 * A resolution is judged by the alert's endsAt, but Alertmanager sends it up to a
 * group_interval later (5m by default): an alert is counted as not healed only after this too
 * (or after the window again, when the window is shorter).
 */
export const RESOLUTION_GRACE_MS = 5 * 60_000;
/** Pairs of alert and policy remembered at most; past it new ones are not counted (and logged). */
export const MAX_TRACKED = 100_000;

export interface RemediationOptions {
  windowMs: number;
  metrics: Metrics;
  log: Logger;
  clock: () => number;
  maxTracked?: number;
}

interface Tracked {
  policy: string;
  /** Its actions for this alert queued or running. */
  runs: number;
  /** When its first action for this alert succeeded. */
  succeededAt: number | null;
  /** When the alert resolved (its endsAt), if it did while the actions ran. */
  resolvedAt: number | null;
}

export class RemediationTracker {
  /** By alert (fingerprint|startsAt), then by policy. */
  private readonly alerts = new Map<string, Map<string, Tracked>>();
  private size = 0;
  private warned = false;

  constructor(private readonly options: RemediationOptions) {}

  get tracked(): number {
    return this.size;
  }

  /** A live action of a policy's `actions` was queued for the alert. */
  started(entry: AuditEntry): void {
    if (!counts(entry) || entry.verdict !== 'run') return;
    const key = alertKey(entry.alert!);
    const tracked = this.alerts.get(key)?.get(entry.policy!) ?? this.track(key, entry);
    if (tracked) tracked.runs++;
  }

  private track(key: string, entry: AuditEntry): Tracked | null {
    if (this.size >= (this.options.maxTracked ?? MAX_TRACKED)) {
      this.full(entry);
      return null;
    }
    let policies = this.alerts.get(key);
    if (!policies) this.alerts.set(key, (policies = new Map()));
    const tracked: Tracked = { policy: entry.policy!, runs: 0, succeededAt: null, resolvedAt: null };
    policies.set(tracked.policy, tracked);
    this.size++;
    return tracked;
  }

  /** An action ended: its time from the alert's start, and what the policy's success awaits. */
  ended(entry: AuditEntry): void {
    const outcome = entry.outcome;
    if (!counts(entry) || !entry.execution || entry.execution.dryRun || !outcome) return;
    const endedAt = Date.parse(entry.execution.endedAt ?? '');
    const startsAt = Date.parse(entry.alert!.startsAt);
    if (Number.isFinite(endedAt) && Number.isFinite(startsAt) && endedAt >= startsAt) {
      this.options.metrics.timeToRemediation.observe({ policy: entry.policy!, type: entry.type!, outcome }, (endedAt - startsAt) / 1000);
    }
    const key = alertKey(entry.alert!);
    const succeeded = outcome === 'succeeded';
    let tracked = this.alerts.get(key)?.get(entry.policy!) ?? null;
    if (tracked) tracked.runs = Math.max(0, tracked.runs - 1);
    // An action queued without started() (one run after an approval) is judged from its success.
    else if (succeeded) tracked = this.track(key, entry);
    if (!tracked) return;
    if (succeeded && tracked.succeededAt === null) tracked.succeededAt = Number.isFinite(endedAt) ? endedAt : this.options.clock();
    if (tracked.succeededAt !== null && tracked.resolvedAt !== null) this.settle(key, tracked, true);
    else if (tracked.succeededAt === null && tracked.runs === 0) this.forget(key, tracked); // nothing succeeded: nothing to judge
  }

  /** The alert was reported resolved: each policy that healed it in time is counted once. */
  resolved(alert: Alert): void {
    const policies = this.alerts.get(alertKey(alert));
    if (!policies) return;
    const resolvedAt = resolutionTime(alert, this.options.clock());
    for (const tracked of [...policies.values()]) {
      if (tracked.succeededAt === null) {
        tracked.resolvedAt ??= resolvedAt; // judged when an action succeeds
        continue;
      }
      this.settle(alertKey(alert), tracked, resolvedAt <= tracked.succeededAt + this.options.windowMs);
    }
  }

  /** Counts as not healed every success whose window (and grace) has passed without a resolution. */
  sweep(now = this.options.clock()): void {
    const expired = this.options.windowMs + Math.min(RESOLUTION_GRACE_MS, this.options.windowMs);
    for (const [key, policies] of this.alerts) {
      for (const tracked of [...policies.values()]) {
        if (tracked.succeededAt !== null && now - tracked.succeededAt > expired) this.settle(key, tracked, false);
      }
    }
    this.options.metrics.remediationTracked.set(this.size);
  }

  private settle(key: string, tracked: Tracked, healed: boolean): void {
    const { metrics } = this.options;
    (healed ? metrics.remediationEffective : metrics.remediationIneffective).inc({ policy: tracked.policy });
    this.forget(key, tracked);
  }

  private forget(key: string, tracked: Tracked): void {
    const policies = this.alerts.get(key);
    if (!policies?.delete(tracked.policy)) return;
    this.size--;
    if (policies.size === 0) this.alerts.delete(key);
  }

  private full(entry: AuditEntry): void {
    if (this.warned) return;
    this.warned = true;
    this.options.log.warn({ tracked: this.size, policy: entry.policy }, 'remediation metrics: too many alerts awaiting resolution; new ones are not counted');
  }
}

/** An action of a policy's `actions` (not an onResolved), with its alert. */
function counts(entry: AuditEntry): boolean {
  return entry.kind === 'action' && entry.phase === 'actions' && !!entry.alert && !!entry.policy && !!entry.type;
}

function alertKey(alert: { fingerprint: string; startsAt: string }): string {
  return `${alert.fingerprint}|${alert.startsAt}`;
}

/** The alert's endsAt when it is a date no later than now; else now (it was just reported). */
function resolutionTime(alert: Alert, now: number): number {
  const endsAt = Date.parse(alert.endsAt);
  return Number.isFinite(endsAt) && endsAt > 0 && endsAt <= now ? endsAt : now;
}
