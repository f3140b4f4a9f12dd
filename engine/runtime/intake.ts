/**
 * From a webhook payload to audit entries: every alert of the group is evaluated and decided
 * by the same evaluate → decide code the CLI runs, against one policy set (an alert is never
 * decided by two revisions). A payload is decided in slices of time (util/time-slice.ts), with a
 * turn of the event loop between slices, so that a storm does not stop the webhook from answering
 * everyone else; each alert's dedup check, guards and marks are one synchronous step. The
 * engine keeps two payloads that may touch the guards' memory from being decided at the same
 * time (engine.ts, IntakeQueue), so a concurrent re-send of the same alerts (an HA pair)
 * finds them already decided, and durably so.
 */
import { TimeSlices } from '../util/time-slice.js';
import type { Alert, SplitPayload } from '../alerts/payload.js';
import type { ActionSettings, ParentOutcome, ScheduleRunInfo, StormNotice } from '../actions/types.js';
import type { AuditEntry } from '../audit/entry.js';
import { newEntryId } from '../audit/entry.js';
import { redact } from '../exec/exec.js';
import type { Decision } from '../plan/decide.js';
import { decide } from '../plan/decide.js';
import type { GuardLedger, LedgerEntry, NodeDisruptions } from '../plan/ledger.js';
import type { Match } from '../policy/evaluate.js';
import { ANSWER_GUARDS, GUARDS } from '../plan/guards.js';
import type { RuntimePause } from '../plan/guards.js';
import type { Held } from '../approvals/host.js';
import { heldReason } from '../approvals/approval.js';
import { notificationsOf } from './notify.js';
import type { StormWatch } from '../plan/decide.js';
import type { GuardFacts } from '../plan/node-guards.js';
import type { CompiledAction, CompiledPolicy, OutboundSettings, PolicySet } from '../policy/types.js';

/** The checks of an alert before the guards, in the order decide makes them. */
const ALERT_CHECKS = ['duplicate', 'resolved'] as const;
/** `guards.passed` by the check that refused ('' for none): built once, shared by every entry. */
const PASSED_BEFORE = passedBefore([...ALERT_CHECKS, ...GUARDS]);
/** The same for an onResolved that answers actions that ran: fewer guards hold it. */
const ANSWER_PASSED_BEFORE = passedBefore([...ALERT_CHECKS, ...ANSWER_GUARDS]);

type Check = NonNullable<AuditEntry['guards']>['passed'][number];

function passedBefore(order: readonly Check[]): Map<string, readonly Check[]> {
  return new Map([['', order], ...order.map((g, i) => [g, order.slice(0, i)] as const)]);
}

export interface Job {
  entry: AuditEntry;
  /** Null for a routine job's run, which carries `run` instead. */
  alert: Alert | null;
  run?: ScheduleRunInfo;
  /** The storm breaker's summary notification: the storm it announces (alert is null). */
  storm?: StormNotice;
  action: CompiledAction;
  /** homeostat.yaml's outbound settings of the revision that decided it. */
  outbound?: OutboundSettings;
  /** A notify action's: how its parent ended (`outcome` in its templates, and its message). */
  parentOutcome?: ParentOutcome;
  /** The settings of the revision that decided it (what its run may not do); absent: the safe defaults. */
  settings?: ActionSettings;
}

export interface Intake {
  alerts: number;
  /** How many decisions were made. */
  decisions: number;
  /** Decisions by verdict, duplicates apart (a re-send is counted as 'duplicate'). */
  verdicts: Map<string, number>;
  /**
   * One per decision except duplicates (a re-send is counted, not audited again), but when a
   * guard refused more than REFUSALS_APART_MAX, one per REFUSALS_PER_ENTRY of its refusals.
   */
  entries: AuditEntry[];
  /** Entries whose action is to run (run and dry-run verdicts), in decision order. */
  jobs: Job[];
  /** What the decisions taught the guards, for the journal. */
  guard: { seen: string[]; ledger: LedgerEntry[] };
  /** Entries awaiting approval, with their alert and the policy's approval ttl (engine/approvals/). */
  held: Held[];
}

export interface IntakeOptions {
  /** How long deciding may hold the event loop between two turns (default SLICE_MS). */
  sliceMs?: number;
  now: number;
  dryRun: boolean;
  ledger: GuardLedger;
  secrets: readonly string[];
  /** `serve --external-url`, for the links notify actions carry. */
  externalUrl?: string | null;
  /** The pause thrown through the engine's API, if any. */
  pause?: RuntimePause | null;
  /** The storm breaker's watch for this payload (engine/breaker/); absent: none. */
  storm?: StormWatch | null;
  /** What the node guards know of the nodes (engine/health/), read before deciding. */
  facts?: GuardFacts;
  /** Called with every decision as it is made (the intake itself keeps only what it audits). */
  onDecision?(decision: Decision): void;
}


/** What a guard refused of one policy in a payload: the first few in full, then only what the audit lists. */
interface RefusedGroup {
  guard: string;
  policy: string;
  apart: { decision: Decision; alert: Alert }[];
  items: Refusal[];
  /** Each distinct reason, once (intern()). */
  reasons: Map<string, string>;
}

function intern(seen: Map<string, string>, text: string): string {
  const kept = seen.get(text);
  if (kept !== undefined) return kept;
  seen.set(text, text);
  return text;
}

type Refusal = NonNullable<AuditEntry['refusals']>[number];

/**
 * Decides every alert of the payload in order, a slice of time at a time. The caller makes sure
 * that no other payload that may touch the ledger is decided meanwhile (engine.ts).
 */
export async function decidePayload(set: PolicySet, payload: SplitPayload, matches: readonly Match[][], options: IntakeOptions): Promise<Intake> {
  const recorder = new RecordingLedger(options.ledger);
  const result: Intake = { alerts: payload.alerts.length, decisions: 0, verdicts: new Map(), entries: [], jobs: [], guard: recorder.taught, held: [] };
  const at = new Date(options.now).toISOString();
  const refused = new Map<string, RefusedGroup>();
  const slices = new TimeSlices(options.sliceMs);
  for (const [i, alert] of payload.alerts.entries()) {
    if (i > 0 && slices.due()) await slices.turn();
    const decisions = decide(set, alert, matches[i]!, { now: options.now, dryRun: options.dryRun, ledger: recorder, storm: options.storm ?? null, facts: options.facts, pause: options.pause ?? null });
    // The audit's copy of the alert, shared by the refusals of its actions.
    let about: NonNullable<AuditEntry['alert']> | null = null;
    for (const decision of decisions) {
      options.onDecision?.(decision);
      result.decisions++;
      const verdict = decision.refusedBy === 'duplicate' ? 'duplicate' : decision.verdict;
      result.verdicts.set(verdict, (result.verdicts.get(verdict) ?? 0) + 1);
      if (decision.refusedBy === 'duplicate') continue;
      if (decision.verdict === 'refused' && decision.refusedBy !== null) {
        const key = `${decision.refusedBy}\0${decision.policy}`;
        let group = refused.get(key);
        if (!group) refused.set(key, (group = { guard: decision.refusedBy, policy: decision.policy, apart: [], items: [], reasons: new Map() }));
        // Past REFUSALS_APART_MAX the group becomes one 'refusals' entry: the decisions need not stay.
        if (group.apart.length <= REFUSALS_APART_MAX) group.apart.push({ decision, alert });
        // A guard gives each refusal its own copy of what is mostly one reason: keep one.
        const reason = intern(group.reasons, decision.reason ?? decision.refusedBy);
        // The alert's own label map, frozen, not a copy: 133,000 copies in a storm.
        group.items.push(refusalOf(decision, (about ??= alertOf(alert, alert.labels)), reason));
        continue;
      }
      const entry = toEntry(decision, alert, at, options.now, options.secrets);
      result.entries.push(entry);
      if (decision.verdict === 'run' || decision.verdict === 'dry-run') {
        result.jobs.push({ entry, alert, action: actionOf(set, decision), outbound: set.settings.outbound, settings: set.settings });
      } else if (decision.verdict === 'awaiting-approval') {
        const policy = policyOf(set, decision.policy);
        const ttlMs = policy.guards.approval.ttlMs;
        entry.reason = heldReason(entry.id, new Date(options.now + ttlMs).toISOString());
        result.held.push({ entry, alert, ttlMs });
        // Its notify actions with on: [awaiting-approval] tell someone to answer; dry when it would run dry.
        const action = actionOf(set, decision);
        notifyNow(set, decision, entry, alert, { ...options, dryRun: options.dryRun || set.settings.dryRun || policy.dryRun || action.dryRun }, result);
      } else notifyNow(set, decision, entry, alert, options, result);
    }
  }
  for (const group of refused.values()) {
    if (group.items.length > REFUSALS_APART_MAX) result.entries.push(...refusalsEntries(group, set.revision, at, options.now));
    else {
      for (const { decision, alert } of group.apart) {
        const entry = toEntry(decision, alert, at, options.now, options.secrets);
        result.entries.push(entry);
        notifyNow(set, decision, entry, alert, options, result);
      }
    }
  }
  return result;
}

/**
 * A decision refused or failed before it ran has its outcome already: its notify actions
 * (those with `on: [refused]` or `[failed]`) are decided with it; so are those with `on:
 * [awaiting-approval]` of an action held for approval. Refusals a storm puts in
 * 'refusals' entries are not notified one by one.
 */
function notifyNow(set: PolicySet, decision: Decision, entry: AuditEntry, alert: Alert, options: IntakeOptions, result: Intake): void {
  if (entry.outcome !== 'refused' && entry.outcome !== 'failed' && entry.verdict !== 'awaiting-approval') return;
  const action = actionOf(set, decision);
  if (action.notify.length === 0) return;
  const held = entry.verdict === 'awaiting-approval' ? { dryRun: options.dryRun } : {};
  const notified = notificationsOf(entry, action, alert, { now: options.now, secrets: options.secrets, externalUrl: options.externalUrl ?? null, outbound: set.settings.outbound, ...held });
  result.entries.push(...notified.entries);
  result.jobs.push(...notified.jobs);
}

/**
 * Up to this many actions of one policy in one webhook refused by the same guard are audited one file each;
 * more (a storm against the blast radius) go into files of kind 'refusals' that list them,
 * each with its alert and reason: the audit keeps up with the storm, and the repository is not
 * left with thousands of files saying the same thing.
 */
export const REFUSALS_APART_MAX = 8;

/**
 * Refused actions listed by one 'refusals' file at most (about 2.3 MB of JSON, 3.4 MB
 * indented). A storm's list in one file was 125 MB, held whole (as objects, journal text,
 * indented text and git blob) until it was committed, so that one webhook took the engine
 * past 900 MB; cut into files of this size the journal writes and git commits a few at a time.
 */
export const REFUSALS_PER_ENTRY = 5_000;

function refusalsEntries(group: RefusedGroup, revision: string, at: string, now: number): AuditEntry[] {
  const entries: AuditEntry[] = [];
  for (let i = 0; i < group.items.length; i += REFUSALS_PER_ENTRY) {
    entries.push(refusalsEntry(group, group.items.slice(i, i + REFUSALS_PER_ENTRY), revision, at, now));
  }
  return entries;
}

function refusalsEntry({ guard, policy }: RefusedGroup, items: Refusal[], revision: string, at: string, now: number): AuditEntry {
  // Each file names its own reasons: a reader of one file sees what it lists.
  const reasons = new Set(items.map((item) => item.reason));
  const first = items[0]!.reason;
  return {
    apiVersion: 'homeostat.dev/v1',
    kind: 'refusals',
    id: newEntryId(now),
    at,
    revision,
    policy,
    guard,
    count: items.length,
    verdict: 'refused',
    reason: reasons.size === 1 ? first : `${first} (and ${reasons.size - 1} other reason${reasons.size === 2 ? '' : 's'})`,
    outcome: 'refused',
    refusals: items,
  };
}

function refusalOf(decision: Decision, alert: NonNullable<AuditEntry['alert']>, reason: string): Refusal {
  return {
    policy: decision.policy,
    action: decision.action,
    type: decision.type,
    phase: decision.phase,
    target: decision.target,
    reason,
    alert,
    ...(decision.until === null ? {} : { until: decision.until }),
  };
}

function alertOf(alert: Alert, labels: Record<string, string> = { ...alert.labels }): NonNullable<AuditEntry['alert']> {
  return {
    fingerprint: alert.fingerprint,
    alertname: alert.alertname,
    status: alert.status,
    startsAt: alert.startsAt,
    labels,
    groupKey: alert.group.groupKey,
    receiver: alert.group.receiver,
  };
}

function toEntry(decision: Decision, alert: Alert, at: string, now: number, secrets: readonly string[]): AuditEntry {
  // params and template refusals come after the alert's checks, before the guards.
  const passed = [...((decision.answers ? ANSWER_PASSED_BEFORE : PASSED_BEFORE).get(decision.refusedBy ?? '') ?? ALERT_CHECKS)];
  const outcome = decision.verdict === 'refused' ? 'refused' : decision.verdict === 'failed' ? 'failed' : null;
  return {
    apiVersion: 'homeostat.dev/v1',
    kind: 'action',
    id: newEntryId(now),
    at,
    revision: decision.revision,
    alert: alertOf(alert),
    policy: decision.policy,
    action: decision.action,
    type: decision.type,
    phase: decision.phase,
    target: decision.target,
    params: redactParams(decision.params, secrets),
    ...(decision.enrichment ? { enrichment: decision.enrichment } : {}),
    description: decision.description,
    verdict: decision.verdict,
    reason: decision.reason,
    guards: { passed, refusedBy: decision.refusedBy, ...(decision.until === null ? {} : { until: decision.until }) },
    approval: null,
    outcome,
    execution: null,
  };
}

function redactParams(params: Record<string, unknown> | null, secrets: readonly string[]): Record<string, unknown> | null {
  if (!params || secrets.length === 0) return params;
  const text = JSON.stringify(params);
  const masked = redact(text, secrets);
  return masked === text ? params : (JSON.parse(masked) as Record<string, unknown>);
}

const byName = new WeakMap<PolicySet, Map<string, CompiledPolicy>>();

function policyOf(set: PolicySet, name: string): CompiledPolicy {
  let names = byName.get(set);
  if (!names) byName.set(set, (names = new Map(set.policies.map((p) => [p.name, p]))));
  return names.get(name)!;
}

function actionOf(set: PolicySet, decision: Decision): CompiledAction {
  const policy = policyOf(set, decision.policy);
  const actions = decision.phase === 'actions' ? policy.actions : policy.onResolved;
  return actions.find((a) => a.name === decision.action)!;
}

/** Passes every call through and keeps what was learnt, so that it can be journaled. */
export class RecordingLedger implements GuardLedger {
  readonly taught: { seen: string[]; ledger: LedgerEntry[] } = { seen: [], ledger: [] };

  constructor(private readonly inner: GuardLedger) {}

  seen(key: string): boolean {
    return this.inner.seen(key);
  }

  markSeen(key: string): void {
    this.inner.markSeen(key);
    this.taught.seen.push(key);
  }

  lastStart(policy: string, phase: string, target: string): number | undefined {
    return this.inner.lastStart(policy, phase, target);
  }

  lastOnTarget(target: string): number | undefined {
    return this.inner.lastOnTarget?.(target);
  }

  lastRunOnTarget(target: string): { schedule: string; at: number } | undefined {
    return this.inner.lastRunOnTarget?.(target);
  }

  countPolicy(policy: string, phase: string, since: number): number {
    return this.inner.countPolicy(policy, phase, since);
  }

  countDisruptive(since: number): number {
    return this.inner.countDisruptive(since);
  }

  nthLatestPolicy(policy: string, phase: string, n: number): number | undefined {
    return this.inner.nthLatestPolicy(policy, phase, n);
  }

  nthLatestDisruptive(n: number): number | undefined {
    return this.inner.nthLatestDisruptive(n);
  }

  nodeDisruptions(since: number): NodeDisruptions {
    return this.inner.nodeDisruptions?.(since) ?? { entries: [], from: 0 };
  }

  record(entry: LedgerEntry): void {
    this.inner.record(entry);
    this.taught.ledger.push(entry);
  }
}
