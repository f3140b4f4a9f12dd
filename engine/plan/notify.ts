/**
 * The notify actions of an action that has ended: which of them its outcome calls for, their
 * parameters rendered with `outcome` in scope, and whether each is refused by its own checks.
 * Pure. Notify actions are not guarded (their parent was); each is audited on its own.
 */
import { ACTION_TYPES } from '../actions/registry.js';
import type { ParentOutcome } from '../actions/types.js';
import type { AuditEntry } from '../audit/entry.js';
import type { CompiledAction, CompiledNotify, NotifyOn } from '../policy/types.js';
import { TemplateRenderError } from '../template/template.js';
import { formatDuration } from '../util/duration.js';
import { renderParams } from './render.js';

export interface NotifyPlan {
  notify: CompiledNotify;
  params: Record<string, unknown> | null;
  /** Why it cannot run (a missing label, a refused value), or null. */
  failure: string | null;
  description: string | null;
}

/** Output kept for `outcome.output`: the end of what the action printed. */
const OUTPUT_TAIL = 2_000;

/** The notify actions whose `on` holds the outcome, rendered; an empty list for most actions. */
export function planNotifies(action: CompiledAction, outcome: ParentOutcome, scope: Record<string, unknown>, target: string, dryRun: boolean): NotifyPlan[] {
  const called = action.notify.filter((n) => n.on.includes(outcome.status));
  return called.map((notify) => {
    const type = ACTION_TYPES.get(notify.type)!;
    let params: Record<string, unknown>;
    try {
      params = renderParams(notify, { ...scope, target, outcome });
    } catch (error) {
      const reason = error instanceof TemplateRenderError ? error.message : String((error as Error).message);
      return { notify, params: null, failure: reason, description: null };
    }
    const refusal = type.refuse?.(params, notify.raw, target) ?? null;
    if (refusal !== null) return { notify, params, failure: refusal, description: null };
    return { notify, params, failure: null, description: type.describe(params, target, dryRun || notify.dryRun) };
  });
}

/**
 * How an audited action ended, as its notify actions see it — or that it is held for an
 * approval; null when no notify follows (interrupted, denied).
 */
export function outcomeOfEntry(entry: AuditEntry, link: string): ParentOutcome | null {
  const status = entry.outcome ?? (entry.verdict === 'awaiting-approval' ? 'awaiting-approval' : null);
  if (status !== 'succeeded' && status !== 'failed' && status !== 'timed_out' && status !== 'refused' && status !== 'awaiting-approval') return null;
  const execution = entry.execution ?? null;
  const durationMs = execution?.durationMs ?? null;
  const output = execution?.output ?? '';
  return {
    status: status satisfies NotifyOn,
    action: entry.action ?? '',
    type: entry.type ?? '',
    exitCode: execution?.exitCode ?? null,
    durationMs,
    duration: durationMs === null ? '' : formatDuration(durationMs),
    output: output.length > OUTPUT_TAIL ? output.slice(-OUTPUT_TAIL) : output,
    reason: entry.reason ?? '',
    auditId: entry.id,
    link,
  };
}
