/**
 * Approving a held action: the guards are checked again at that moment, against the revision
 * active then, as if it were decided now — the hold counted for nothing (plan/decide.ts), so
 * its own decision does not stand in its way; passing, it is counted (the ledger entry, and for
 * a policy's `actions` the mark its onResolved answers) and becomes an ordinary run. Pure but
 * for the ledger it is given.
 */
import { ACTION_TYPES } from '../actions/registry.js';
import type { AuditEntry } from '../audit/entry.js';
import { ranKey } from '../plan/decide.js';
import { ANSWER_GUARDS, checkGuards, GUARDS } from '../plan/guards.js';
import type { RuntimePause } from '../plan/guards.js';
import type { GuardLedger } from '../plan/ledger.js';
import { nodeMark, touchedNames } from '../plan/node-guards.js';
import type { GuardFacts } from '../plan/node-guards.js';
import type { PolicySet } from '../policy/types.js';
import type { PendingApproval } from './approval.js';
import type { ApprovedJob } from './host.js';

export interface ApproveContext {
  set: PolicySet;
  ledger: GuardLedger;
  now: number;
  pause: RuntimePause | null;
  /** What the node guards know of the nodes now (read before the engine's turn). */
  facts?: GuardFacts;
  /** `serve --dry-run`. */
  dryRun: boolean;
  by: string;
  reason: string;
}

export type Approved =
  | { ok: true; entry: AuditEntry; job: ApprovedJob }
  | { ok: false; error: string; guard?: string };

export function approve(pending: PendingApproval, c: ApproveContext): Approved {
  const held = pending.entry;
  const phase = held.phase === 'onResolved' ? 'onResolved' : 'actions';
  const policy = c.set.policies.find((p) => p.name === held.policy);
  const actions = phase === 'actions' ? policy?.actions : policy?.onResolved;
  const action = actions?.find((a) => a.name === held.action);
  if (!policy || !actions || !action) {
    return { ok: false, error: `revision ${c.set.revision} has no ${phase} action ${held.action} in a policy ${held.policy}: not run; deny it (homeostat deny ${held.id} --reason …) or let it expire` };
  }
  const target = held.target ?? held.alert!.fingerprint;
  const answers = phase === 'onResolved' && c.ledger.seen(ranKey(pending.alert, policy.name));
  const guards = answers ? ANSWER_GUARDS : GUARDS;
  const disruptive = actions.some((a) => ACTION_TYPES.get(a.type)!.disruptive);
  const nodeDisruptive = actions.some((a) => a.disruptsNode);
  const params = (held.params ?? {}) as Record<string, unknown>;
  const touches = touchedNames(action.type, params);
  const context = { policy, phase, target, disruptive, nodeDisruptive, touches, ...(c.facts ? { facts: c.facts } : {}), settings: c.set.settings, ledger: c.ledger, now: c.now, pause: c.pause };
  const refusal = checkGuards(context, guards);
  if (refusal) {
    return { ok: false, guard: refusal.guard, error: `refused by the ${refusal.guard} guard: ${refusal.reason}; not run, and still pending until ${pending.expiresAt}` };
  }
  c.ledger.record({ policy: policy.name, phase, target, disruptive, ...nodeMark(nodeDisruptive, touches), at: c.now });
  if (phase === 'actions' && !c.ledger.seen(ranKey(pending.alert, policy.name))) c.ledger.markSeen(ranKey(pending.alert, policy.name));
  const dryRun = c.dryRun || c.set.settings.dryRun || policy.dryRun || action.dryRun;
  const at = new Date(c.now).toISOString();
  const entry: AuditEntry = {
    ...held,
    verdict: dryRun ? 'dry-run' : 'run',
    reason: null,
    description: ACTION_TYPES.get(action.type)!.describe(params, target, dryRun),
    guards: { passed: ['duplicate', 'resolved', ...guards], refusedBy: null },
    approval: { by: c.by, at, answer: 'approved', reason: c.reason, requestedAt: pending.requestedAt, expiresAt: pending.expiresAt, revision: c.set.revision },
    outcome: null,
    execution: null,
  };
  return { ok: true, entry, job: { entry, alert: pending.alert, action, outbound: c.set.settings.outbound, settings: c.set.settings } };
}
