/**
 * Notify actions become audit entries and jobs when their parent's outcome is known: at the
 * end of its run (executor.ts), or at once when the parent was refused or failed before it ran
 * (intake.ts). Each is an intent like any action's, journaled before it runs (with the
 * parent's outcome, in the same append, ahead of it) so a restart finds it interrupted and
 * never sends it a second time; its `parent` names the entry whose outcome it reports.
 */
import type { Alert } from '../alerts/payload.js';
import { auditLink } from '../actions/notice.js';
import type { AuditEntry } from '../audit/entry.js';
import { newEntryId } from '../audit/entry.js';
import { redact } from '../exec/redact.js';
import { outcomeOfEntry, planNotifies } from '../plan/notify.js';
import { scopeOf } from '../policy/evaluate.js';
import type { CompiledAction, OutboundSettings } from '../policy/types.js';
import type { Job } from './intake.js';

export interface NotifyOptions {
  now: number;
  secrets: readonly string[];
  externalUrl: string | null;
  outbound?: OutboundSettings;
  /** The parent would run in dry-run (a held action under serve --dry-run): its notify actions send nothing either. */
  dryRun?: boolean;
}

export interface Notifications {
  /** One per notify action called for, in policy order: intents, or failed entries. */
  entries: AuditEntry[];
  /** The entries that are to run. */
  jobs: Job[];
}

const NONE: Notifications = Object.freeze({ entries: [], jobs: [] }) as Notifications;

/** The notify actions that `parent`'s outcome calls for; `parent.notifications` is set to their ids. */
export function notificationsOf(parent: AuditEntry, action: CompiledAction, alert: Alert, options: NotifyOptions): Notifications {
  if (action.notify.length === 0) return NONE;
  const link = options.externalUrl ? auditLink(options.externalUrl, parent.id) : '';
  const outcome = outcomeOfEntry(parent, link);
  if (outcome === null) return NONE;
  const dryRun = options.dryRun === true || parent.verdict === 'dry-run' || parent.execution?.dryRun === true;
  const plans = planNotifies(action, outcome, scopeOf(alert), parent.target ?? alert.fingerprint, dryRun);
  if (plans.length === 0) return NONE;
  const at = new Date(options.now).toISOString();
  const result: Notifications = { entries: [], jobs: [] };
  for (const plan of plans) {
    const runs = plan.failure === null;
    const entry: AuditEntry = {
      apiVersion: 'homeostat.dev/v1',
      kind: 'action',
      id: newEntryId(options.now),
      at,
      revision: parent.revision,
      alert: parent.alert!,
      policy: parent.policy!,
      action: plan.notify.name,
      type: plan.notify.type,
      phase: parent.phase!,
      target: parent.target ?? null,
      params: redactParams(plan.params, options.secrets),
      description: plan.description,
      verdict: !runs ? 'failed' : dryRun || plan.notify.dryRun ? 'dry-run' : 'run',
      reason: plan.failure,
      guards: { passed: [], refusedBy: runs ? null : 'template' },
      approval: null,
      outcome: runs ? null : 'failed',
      execution: null,
      parent: parent.id,
    };
    result.entries.push(entry);
    if (runs) result.jobs.push({ entry, alert, action: plan.notify, ...(options.outbound ? { outbound: options.outbound } : {}), parentOutcome: outcome });
  }
  parent.notifications = result.entries.map((e) => e.id);
  return result;
}

function redactParams(params: Record<string, unknown> | null, secrets: readonly string[]): Record<string, unknown> | null {
  if (params === null || secrets.length === 0) return params;
  return JSON.parse(redact(JSON.stringify(params), secrets)) as Record<string, unknown>;
}
