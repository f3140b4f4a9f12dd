/**
 * The pending approvals: held when a payload is decided (hold), cancelled when their alert
 * resolves (cancelResolved), answered through the API (answer), expired by a timer after their
 * ttl and again when answered late. Each change is a state change under `approval/ID` journaled
 * in one write with the audit entry that records it, in a turn of the engine, so that an
 * approval is answered once: a second approve finds it answered (409).
 */
import type { Alert } from '../alerts/payload.js';
import type { AuditEntry } from '../audit/entry.js';
import { isEntryId } from '../audit/entry.js';
import type { StateChange } from '../state/store.js';
import { alertKey, ANSWERED_RETENTION_MS, answered, APPROVAL_PREFIX, approvalKey, approvalView, closedEntry, ENGINE } from './approval.js';
import type { ApprovalView, PendingApproval, StoredApproval } from './approval.js';
import { approve } from './approve.js';
import type { ApprovalHost, ApprovedJob, Held } from './host.js';

/** Node's timers hold at most 2^31-1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** After an expiry could not be journaled (not ready, overloaded): try again this soon. */
const RETRY_MS = 1_000;
/** Answered approvals are forgotten at a sweep at least this often. */
const PRUNE_EVERY_MS = 3600_000;

export interface AnswerResult {
  status: 200 | 202 | 404 | 409 | 410;
  body: Record<string, unknown>;
}

export class ApprovalService {
  /** Pending approval ids by their alert (fingerprint|startsAt): what a resolution cancels. */
  private readonly byAlert = new Map<string, Set<string>>();
  private timer: NodeJS.Timeout | null = null;
  /** When the timer fires. */
  private armedAt = Infinity;
  private stopped = false;

  constructor(private readonly host: ApprovalHost) {}

  /** Indexes what a restart read back and sets the expiry timer (what expired meanwhile expires at once). */
  start(): void {
    for (const [, value] of this.stored()) if (value.state === 'pending') this.index(value);
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  get pending(): number {
    let n = 0;
    for (const ids of this.byAlert.values()) n += ids.size;
    return n;
  }

  /** Pending approvals (all: answered ones too, for ANSWERED_RETENTION_MS), oldest first. */
  list(all = false): ApprovalView[] {
    return this.stored()
      .filter(([, v]) => all || v.state === 'pending')
      .map(([, v]) => approvalView(v))
      .sort((a, b) => a.requestedAt.localeCompare(b.requestedAt) || a.id.localeCompare(b.id));
  }

  /** A payload's held decisions as state changes, for the engine to journal with its entries. */
  hold(held: readonly Held[], now: number): StateChange[] {
    const changes: StateChange[] = [];
    let soonest = Infinity;
    for (const { entry, alert, ttlMs } of held) {
      soonest = Math.min(soonest, now + ttlMs);
      const expiresAt = new Date(now + ttlMs).toISOString();
      const value: PendingApproval = { state: 'pending', entry, alert, requestedAt: new Date(now).toISOString(), expiresAt };
      changes.push([approvalKey(entry.id), value]);
      this.index(value);
    }
    // Not schedule(): the engine stages these changes only once they are returned.
    if (soonest < this.armedAt) this.arm(soonest - this.host.clock());
    return changes;
  }

  /** The approvals of alerts that resolved in this payload, cancelled: their entries and state changes. */
  cancelResolved(alerts: readonly Alert[], now: number): { entries: AuditEntry[]; changes: StateChange[] } {
    const entries: AuditEntry[] = [];
    const changes: StateChange[] = [];
    if (this.byAlert.size === 0) return { entries, changes };
    const at = new Date(now).toISOString();
    for (const alert of alerts) {
      if (alert.status !== 'resolved') continue;
      for (const id of [...(this.byAlert.get(alertKey(alert)) ?? [])]) {
        const pending = this.host.state.get<StoredApproval>(approvalKey(id));
        if (pending?.state !== 'pending') continue;
        const answer = { by: ENGINE, at, reason: `alert ${alert.alertname} [${alert.fingerprint}] resolved before an answer; not run` };
        entries.push(closedEntry(pending, 'cancelled', answer));
        changes.push([approvalKey(id), answered(pending, 'cancelled', answer)]);
        this.unindex(pending);
      }
    }
    if (entries.length) this.host.log.info({ cancelled: entries.map((e) => e.id) }, 'approvals cancelled: their alerts resolved');
    return { entries, changes };
  }

  /**
   * Approves or denies a pending approval, once: approved, its guards are checked again now
   * and, passing, the action is queued like any decided one (audited before and after it runs).
   */
  async answer(id: string, what: 'approve' | 'deny', by: string, reason: string): Promise<AnswerResult> {
    if (!isEntryId(id)) return { status: 404, body: { error: `${id}: not an approval id (they read like 20261121T101500123Z-1a2b3c4d); list them with homeostat approvals` } };
    let result: AnswerResult = { status: 404, body: { error: `no approval ${id}: list the pending ones with homeostat approvals` } };
    const facts = what === 'approve' ? await this.factsFor(id) : undefined;
    let run: { job: ApprovedJob; root: string } | null = null;
    const committed = await this.host.decide((ledger, now) => {
      const key = approvalKey(id);
      const stored = this.host.state.get<StoredApproval>(key);
      if (!stored) return { entries: [], seen: [] };
      if (stored.state !== 'pending') {
        const a = stored.answer;
        result = { status: stored.state === 'expired' ? 410 : 409, body: { error: `approval ${id} was already ${stored.state} by ${a.by} at ${a.at}: ${a.reason}`, approval: approvalView(stored) } };
        return { entries: [], seen: [] };
      }
      const at = new Date(now).toISOString();
      if (now >= Date.parse(stored.expiresAt)) {
        const closed = this.close(stored, 'expired', { by: ENGINE, at, reason: expiredReason(stored) });
        result = { status: 410, body: { error: `approval ${id} expired at ${stored.expiresAt} (the policy's approval ttl); not run`, approval: approvalView(closed.value) } };
        return { entries: [closed.entry], seen: [], changes: [[key, closed.value]] };
      }
      const answer = { by, at, reason };
      if (what === 'deny') {
        const closed = this.close(stored, 'denied', answer);
        result = { status: 200, body: { approval: approvalView(closed.value), entry: { id, outcome: 'denied' } } };
        return { entries: [closed.entry], seen: [], changes: [[key, closed.value]] };
      }
      const active = this.host.active()!;
      const approved = approve(stored, { set: active.set, ledger, now, pause: this.host.pause(), ...(facts ? { facts } : {}), dryRun: this.host.dryRun, by, reason });
      if (!approved.ok) {
        result = { status: 409, body: { error: approved.error, ...(approved.guard ? { guard: approved.guard } : {}), approval: approvalView(stored) } };
        return { entries: [], seen: [] };
      }
      this.unindex(stored);
      const value = answered(stored, 'approved', answer);
      run = { job: approved.job, root: active.root };
      result = { status: 202, body: { approval: approvalView(value), entry: { id, verdict: approved.entry.verdict, description: approved.entry.description } } };
      return { entries: [approved.entry], seen: [], changes: [[key, value]] };
    });
    const queued = run as { job: ApprovedJob; root: string } | null;
    if (queued) this.host.submit(queued.job, committed.get(id)!, queued.root);
    this.host.log.info({ id, answer: what, by, status: result.status }, 'approval answered');
    this.schedule();
    return result;
  }

  /** The node guards' facts for a pending approval's policy phase in the active revision (none to read: undefined). */
  private async factsFor(id: string) {
    const stored = this.host.state.get<StoredApproval>(approvalKey(id));
    const policy = stored?.state === 'pending' ? this.host.active()?.set.policies.find((p) => p.name === stored.entry.policy) : undefined;
    if (!stored || stored.state !== 'pending' || !policy || !this.host.facts) return undefined;
    return this.host.facts(stored.entry.phase === 'onResolved' ? policy.onResolved : policy.actions);
  }

  private close(pending: PendingApproval, state: 'denied' | 'expired', answer: { by: string; at: string; reason: string }) {
    this.unindex(pending);
    return { entry: closedEntry(pending, state, answer), value: answered(pending, state, answer) };
  }

  /** Expires what is due and forgets answers past their retention, in one turn of the engine. */
  private async sweep(): Promise<void> {
    this.timer = null;
    this.armedAt = Infinity;
    if (this.stopped) return;
    try {
      await this.host.decide((_ledger, now) => {
        const entries: AuditEntry[] = [];
        const changes: StateChange[] = [];
        for (const [key, value] of this.stored()) {
          if (value.state === 'pending' && now >= Date.parse(value.expiresAt)) {
            const closed = this.close(value, 'expired', { by: ENGINE, at: new Date(now).toISOString(), reason: expiredReason(value) });
            entries.push(closed.entry);
            changes.push([key, closed.value]);
          } else if (value.state !== 'pending' && now - Date.parse(value.answer.at) > ANSWERED_RETENTION_MS) changes.push([key, null]);
        }
        if (entries.length) this.host.log.info({ expired: entries.map((e) => e.id) }, 'approvals expired unanswered');
        return { entries, seen: [], changes };
      });
    } catch (error) {
      this.host.log.warn({ err: error }, 'approvals not expired yet: the engine cannot decide now; trying again');
      this.arm(RETRY_MS);
      return;
    }
    this.schedule();
  }

  /** Sets the timer for the next expiry (and a regular forgetting of old answers). */
  private schedule(): void {
    if (this.stopped) return;
    const now = this.host.clock();
    let next = Infinity;
    for (const [, value] of this.stored()) next = Math.min(next, value.state === 'pending' ? Date.parse(value.expiresAt) : now + PRUNE_EVERY_MS);
    if (next !== Infinity) this.arm(next - now);
  }

  private arm(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, delayMs));
    this.armedAt = this.host.clock() + delay;
    this.timer = setTimeout(() => void this.sweep(), delay);
    this.timer.unref();
  }

  private stored(): [string, StoredApproval][] {
    return this.host.state.list<StoredApproval>(APPROVAL_PREFIX);
  }

  private index(pending: PendingApproval): void {
    const key = alertKey(pending.entry.alert!);
    let ids = this.byAlert.get(key);
    if (!ids) this.byAlert.set(key, (ids = new Set()));
    ids.add(pending.entry.id);
  }

  private unindex(pending: PendingApproval): void {
    const key = alertKey(pending.entry.alert!);
    const ids = this.byAlert.get(key);
    ids?.delete(pending.entry.id);
    if (ids?.size === 0) this.byAlert.delete(key);
  }
}

function expiredReason(pending: PendingApproval): string {
  return `no answer before ${pending.expiresAt} (the policy's approval ttl); not run`;
}
