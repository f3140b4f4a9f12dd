/**
 * Approvals (engine/approvals/): an action whose policy says `guards.approval.required` is held
 * as a pending approval instead of run, and a human approves or denies it through the API
 * (`homeostat approve|deny ID --reason …`); unanswered it expires after the policy's ttl, and
 * its alert resolving cancels it. This folder owns the approvals and the kill switch (pause.ts)
 * and keeps both in the engine's StateStore (engine/state/): it does not journal, commit, run
 * or listen itself — the engine does that for it (ApprovalHost), in the order it keeps for
 * every action (journal before answer, audit commit before action).
 *
 * This file: what is kept under `approval/ID` (ID: the audit entry's id of the held action),
 * and how the API shows it.
 */
import type { Alert } from '../alerts/payload.js';
import type { AuditEntry } from '../audit/entry.js';

export const APPROVAL_PREFIX = 'approval/';

export type Answer = 'approved' | 'denied' | 'expired' | 'cancelled';

export interface PendingApproval {
  state: 'pending';
  /** The held action's audit entry (verdict awaiting-approval): approved, it becomes the run's. */
  entry: AuditEntry;
  /** The alert that decided it: what the action and its notify actions are given when it runs. */
  alert: Alert;
  requestedAt: string;
  expiresAt: string;
}

/** What is kept of an answered approval (for ANSWERED_RETENTION_MS): enough to answer a second approve 409. */
export interface AnsweredApproval {
  state: Answer;
  id: string;
  policy: string;
  action: string;
  target: string | null;
  alert: { alertname: string; fingerprint: string };
  requestedAt: string;
  expiresAt: string;
  answer: { by: string; at: string; reason: string };
}

export type StoredApproval = PendingApproval | AnsweredApproval;

/** An answered approval is remembered this long (a late second approve gets 409, not 404). */
export const ANSWERED_RETENTION_MS = 7 * 24 * 3600_000;

/** Who answers for the engine itself (expired, cancelled). */
export const ENGINE = 'homeostat';

/** What a held action's entry says, and its notify actions see as `outcome.reason`. */
export function heldReason(id: string, expiresAt: string): string {
  return `approval required: expires at ${expiresAt} unless approved (homeostat approve ${id} --reason TEXT) or denied`;
}

export function approvalKey(id: string): string {
  return `${APPROVAL_PREFIX}${id}`;
}

export function alertKey(alert: { fingerprint: string; startsAt: string }): string {
  return `${alert.fingerprint}|${alert.startsAt}`;
}

export function answered(pending: PendingApproval, state: Answer, answer: AnsweredApproval['answer']): AnsweredApproval {
  const e = pending.entry;
  return {
    state,
    id: e.id,
    policy: e.policy!,
    action: e.action!,
    target: e.target ?? null,
    alert: { alertname: e.alert!.alertname, fingerprint: e.alert!.fingerprint },
    requestedAt: pending.requestedAt,
    expiresAt: pending.expiresAt,
    answer,
  };
}

/** The held entry, ended by an answer other than approved: outcome denied, expired or cancelled. */
export function closedEntry(pending: PendingApproval, state: Exclude<Answer, 'approved'>, answer: AnsweredApproval['answer']): AuditEntry {
  return {
    ...pending.entry,
    reason: state === 'denied' ? `denied by ${answer.by}: ${answer.reason}` : `${state}: ${answer.reason}`,
    approval: { by: answer.by, at: answer.at, answer: state, reason: answer.reason, requestedAt: pending.requestedAt, expiresAt: pending.expiresAt },
    outcome: state,
  };
}

/** One approval as GET /api/v1/approvals and `homeostat approvals` show it. */
export function approvalView(value: StoredApproval) {
  if (value.state !== 'pending') {
    return { ...value, type: null, phase: null, params: null, description: null, revision: null };
  }
  const e = value.entry;
  return {
    state: value.state,
    id: e.id,
    policy: e.policy!,
    action: e.action!,
    type: e.type ?? null,
    phase: e.phase ?? null,
    target: e.target ?? null,
    alert: { alertname: e.alert!.alertname, fingerprint: e.alert!.fingerprint, status: e.alert!.status, startsAt: e.alert!.startsAt, labels: e.alert!.labels },
    params: e.params ?? null,
    description: e.description ?? null,
    revision: e.revision,
    requestedAt: value.requestedAt,
    expiresAt: value.expiresAt,
    answer: null,
  };
}

export type ApprovalView = ReturnType<typeof approvalView>;
