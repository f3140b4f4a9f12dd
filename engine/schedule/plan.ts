/**
 * A run of a routine job, decided: for each target and action, an audit entry of kind 'run'
 * with its verdict after the same checks as an alert's actions (parameters refused, then the
 * guards), and the jobs to run. Pure but for the ledger it is given, which it teaches what it
 * decided (so that the cooldown, rate limit and blast radius count routine runs too).
 */
import { ACTION_TYPES } from '../actions/registry.js';
import type { ScheduleRunInfo } from '../actions/types.js';
import type { AuditEntry } from '../audit/entry.js';
import { newEntryId } from '../audit/entry.js';
import { redact } from '../exec/exec.js';
import { checkGuards, GUARDS } from '../plan/guards.js';
import type { RuntimePause, StormView } from '../plan/guards.js';
import type { GuardLedger, LedgerEntry } from '../plan/ledger.js';
import { renderParams } from '../plan/render.js';
import { nodeMark, touchedNames } from '../plan/node-guards.js';
import type { GuardFacts } from '../plan/node-guards.js';
import type { CompiledAction, CompiledSchedule, ResolvedSettings } from '../policy/types.js';
import { TemplateRenderError } from '../template/template.js';
import { formatDuration } from '../util/duration.js';
import type { Missed } from './due.js';

export const PHASE = 'schedule';

export interface RunRequest {
  schedule: CompiledSchedule;
  revision: string;
  trigger: 'cron' | 'manual';
  /** When it was due (cron) or asked for (manual). */
  due: number;
  by: string | null;
  /** The hosts to run on, or why they could not be known. */
  targets: readonly string[] | { error: string };
}

export interface PlannedJob {
  entry: AuditEntry;
  action: CompiledAction;
  run: ScheduleRunInfo;
}

export interface PlanOptions {
  now: number;
  settings: ResolvedSettings;
  /** The pause thrown through the engine's API, if any. */
  pause?: RuntimePause | null;
  /** Every action in dry-run (`serve --dry-run`). */
  dryRun: boolean;
  ledger: GuardLedger;
  secrets: readonly string[];
  /** What the node guards know of the nodes (engine/health/), read before the decision. */
  facts?: GuardFacts;
  /** Whether a run of this schedule is queued or running on the target (concurrencyPolicy Forbid). */
  busy(schedule: string, target: string): boolean;
  /** The storm breaker when it is open: it holds a routine job's disruptive actions too. */
  storm?: StormView | null;
}

type Guards = NonNullable<AuditEntry['guards']>;

export function runId(name: string, trigger: string, due: number): string {
  return `${name}@${new Date(due).toISOString()}${trigger === 'manual' ? '/manual' : ''}`;
}

export function planRun(request: RunRequest, options: PlanOptions): { entries: AuditEntry[]; jobs: PlannedJob[] } {
  const { schedule } = request;
  const run: ScheduleRunInfo = { schedule: schedule.name, runId: runId(schedule.name, request.trigger, request.due), due: new Date(request.due).toISOString(), trigger: request.trigger };
  const base = baseEntry(request, run, options.now);
  if (!Array.isArray(request.targets)) {
    const reason = (request.targets as { error: string }).error;
    return { entries: schedule.actions.map((a) => ({ ...base(a, null), verdict: 'failed', reason, outcome: 'failed' })), jobs: [] };
  }
  const entries: AuditEntry[] = [];
  const jobs: PlannedJob[] = [];
  const scope = { schedule: { name: schedule.name, cron: schedule.cron, timezone: schedule.timezone }, run: { id: run.runId, due: run.due, trigger: run.trigger, by: request.by ?? '' } };
  const dryRunOf = (a: CompiledAction) => options.dryRun || options.settings.dryRun || schedule.dryRun || a.dryRun;
  for (const target of request.targets) {
    if (schedule.concurrencyPolicy === 'Forbid' && options.busy(schedule.name, target)) {
      const reason = `skipped: the previous run of ${schedule.name} on ${target} is still queued or running (concurrencyPolicy: Forbid)`;
      entries.push(...schedule.actions.map((a) => ({ ...base(a, target), verdict: 'refused' as const, reason, outcome: 'skipped' as const, guards: { passed: [], refusedBy: 'concurrency-policy' } })));
      continue;
    }
    const planned = schedule.actions.map((action) => planAction(action, target, { ...scope, target }, dryRunOf(action), base, options.secrets));
    const runnable = planned.filter((p) => p.entry.verdict === 'run' || p.entry.verdict === 'dry-run');
    if (runnable.length === 0) {
      entries.push(...planned.map((p) => p.entry));
      continue;
    }
    const disruptive = schedule.actions.some((a) => ACTION_TYPES.get(a.type)!.disruptive);
    const nodeDisruptive = schedule.actions.some((a) => a.disruptsNode);
    const touches = runnable.flatMap((p) => touchedNames(p.action.type, p.entry.params ?? {}));
    const context = { policy: schedule, phase: PHASE, target, disruptive, nodeDisruptive, touches, facts: options.facts, settings: options.settings, ledger: options.ledger, now: options.now, pause: options.pause ?? null, storm: options.storm ?? null };
    const refusal = targetCooldown(schedule, target, options.ledger, options.now, 'ago') ?? checkGuards(context);
    if (refusal) {
      const until = 'until' in refusal && refusal.until !== null ? { until: new Date(refusal.until).toISOString() } : {};
      for (const p of runnable) Object.assign(p.entry, { verdict: 'refused', reason: refusal.reason, outcome: 'refused', guards: { ...guardsUpTo(refusal.guard), ...until } });
      entries.push(...planned.map((p) => p.entry));
      continue;
    }
    options.ledger.record({ ...runLedgerEntry(schedule, target, disruptive, options.now), ...nodeMark(nodeDisruptive, touches) });
    for (const p of planned) {
      entries.push(p.entry);
      if (runnable.includes(p)) jobs.push({ entry: p.entry, action: p.action, run });
    }
  }
  return { entries, jobs };
}

/**
 * The entries of due times missed beyond the starting deadline: one per target and action, as
 * a run's (one per action, without a target, when the targets could not be listed: why is in
 * the reason).
 */
export function missedEntries(request: Omit<RunRequest, 'by'>, missed: Missed, now: number): AuditEntry[] {
  const { schedule, targets } = request;
  const run: ScheduleRunInfo = { schedule: schedule.name, runId: runId(schedule.name, 'cron', missed.last), due: new Date(missed.last).toISOString(), trigger: 'cron' };
  const base = baseEntry({ ...request, by: null, due: missed.last }, run, now);
  const times = missed.count === 1 ? `the run due ${run.due}` : `${missed.more ? 'more than ' : ''}${missed.count} runs due from ${new Date(missed.first).toISOString()} to ${run.due}`;
  const unlisted = Array.isArray(targets) ? '' : `; its targets could not be listed: ${(targets as { error: string }).error}`;
  const reason = `missed: ${times} (${schedule.timezone}) came due more than startingDeadline ${formatDuration(schedule.startingDeadlineMs)} before the engine could start ${missed.count === 1 ? 'it' : 'them'}; not run${unlisted}`;
  const window = { count: missed.count, first: new Date(missed.first).toISOString(), last: run.due };
  const hosts: (string | null)[] = Array.isArray(targets) ? targets : [null];
  return hosts.flatMap((target) =>
    schedule.actions.map((a) => {
      const entry = base(a, target);
      return { ...entry, schedule: { ...entry.schedule!, missed: window }, verdict: 'refused' as const, reason, outcome: 'missed' as const, guards: { passed: [], refusedBy: 'starting-deadline' } };
    }),
  );
}

/**
 * A schedule's own cooldown also holds it off a target that an alert's action, or the run of
 * another schedule with a cooldown, was decided for within it: a routine restart does not
 * follow a remediation's. `when`: 'ago' in the engine, 'before' in a simulation.
 */
export function targetCooldown(schedule: CompiledSchedule, target: string, ledger: GuardLedger, now: number, when: 'ago' | 'before'): { guard: 'cooldown'; reason: string } | null {
  const last = ledger.lastOnTarget?.(target);
  const cooldown = schedule.guards.cooldownMs;
  if (last === undefined || cooldown === 0 || now - last >= cooldown) return null;
  return { guard: 'cooldown', reason: `cooldown: an action was decided for ${target} ${formatDuration(now - last)} ${when} (cooldown of ${schedule.name}: ${formatDuration(cooldown)})` };
}

/**
 * What the guards remember of a run on a target. A schedule with a cooldown takes part in the
 * target's cooldown both ways (its runs hold the policies' actions off the target for their
 * cooldowns); one without (a read-only check) counts only for its own rate limit.
 */
export function runLedgerEntry(schedule: CompiledSchedule, target: string, disruptive: boolean, at: number): LedgerEntry {
  return { policy: schedule.name, phase: PHASE, target, disruptive, at, holds: schedule.guards.cooldownMs > 0 ? 'target' : 'own' };
}

function guardsUpTo(guard: string): Guards {
  const i = GUARDS.indexOf(guard as (typeof GUARDS)[number]);
  return { passed: ['concurrency-policy', ...GUARDS.slice(0, Math.max(0, i))], refusedBy: guard };
}

type Base = (action: CompiledAction, target: string | null) => AuditEntry;

function baseEntry(request: Omit<RunRequest, 'targets'>, run: ScheduleRunInfo, now: number): Base {
  const at = new Date(now).toISOString();
  return (action, target) => ({
    apiVersion: 'homeostat.dev/v1',
    kind: 'run',
    id: newEntryId(now),
    at,
    revision: request.revision,
    schedule: { name: run.schedule, runId: run.runId, trigger: run.trigger, due: run.due, timezone: request.schedule.timezone, by: request.by },
    action: action.name,
    type: action.type,
    phase: PHASE,
    target,
    params: null,
    description: null,
    verdict: 'run',
    reason: null,
    guards: { passed: ['concurrency-policy', ...GUARDS], refusedBy: null },
    approval: null,
    outcome: null,
    execution: null,
  });
}

function planAction(action: CompiledAction, target: string, scope: object, dryRun: boolean, base: Base, secrets: readonly string[]): { entry: AuditEntry; action: CompiledAction } {
  const entry = base(action, target);
  const type = ACTION_TYPES.get(action.type)!;
  let params: Record<string, unknown>;
  try {
    params = renderParams(action, scope);
  } catch (error) {
    const reason = error instanceof TemplateRenderError ? error.message : String((error as Error).message);
    return { action, entry: { ...entry, verdict: 'failed', reason, outcome: 'failed', guards: { passed: ['concurrency-policy'], refusedBy: 'template' } } };
  }
  const shown = redactParams(params, secrets);
  const refusal = type.refuse?.(params, action.raw, target) ?? null;
  if (refusal) return { action, entry: { ...entry, params: shown, verdict: 'refused', reason: refusal, outcome: 'refused', guards: { passed: ['concurrency-policy'], refusedBy: 'params' } } };
  return { action, entry: { ...entry, params: shown, description: type.describe(params, target, dryRun), verdict: dryRun ? 'dry-run' : 'run' } };
}

function redactParams(params: Record<string, unknown>, secrets: readonly string[]): Record<string, unknown> {
  if (secrets.length === 0) return params;
  const text = JSON.stringify(params);
  const masked = redact(text, secrets);
  return masked === text ? params : (JSON.parse(masked) as Record<string, unknown>);
}
