/**
 * `simulate --schedules --from T --to T`: the runs the schedules would make in a range, each
 * with the guards' verdict at its due time, in the schedule's time zone (and the window's, when
 * it has another), so that a reviewer sees when a new job would run. The guards remember the
 * simulated runs as the engine would (cooldown, rate limit, blast radius). Nothing runs: a
 * group is shown as the group (listing it would run the inventory), and parameters are not
 * rendered per host.
 */
import { ACTION_TYPES } from '../actions/registry.js';
import { checkGuards } from '../plan/guards.js';
import { IndexedLedger } from '../plan/ledger.js';
import { nodeMark } from '../plan/node-guards.js';
import type { GuardFacts } from '../plan/node-guards.js';
import type { CompiledSchedule, PolicySet } from '../policy/types.js';
import { cronTimes, dueBetween } from './cron.js';
import { PHASE, runLedgerEntry, targetCooldown } from './plan.js';

/**
 * What the node guards are told: a run's due time lies ahead, when neither the nodes' health
 * nor the cluster's protected nodes can be known; a guard that needs them says so rather than
 * pass. Protected target patterns need nothing and are checked.
 */
const LOOKING_AHEAD: GuardFacts = { health: { ok: false, reason: "simulate --schedules looks ahead: the nodes' health at a run's due time is not known" } };

/** Due times shown per schedule at most. */
export const SIMULATED_PER_SCHEDULE = 1_000;

export interface SimulatedRun {
  schedule: string;
  due: string;
  /** The due time in the schedule's time zone: `Tue 2026-12-01 03:30:00 +01:00`. */
  local: string;
  timezone: string;
  /** The due time in the window's time zone, when the window has another one. */
  windowLocal: { local: string; timezone: string } | null;
  target: string;
  action: string;
  type: string;
  verdict: 'run' | 'dry-run' | 'refused';
  refusedBy: string | null;
  reason: string | null;
}

export interface ScheduleSimulation {
  revision: string;
  from: string;
  to: string;
  schedules: number;
  runs: SimulatedRun[];
  /** Schedules with more due times in the range than were shown. */
  truncated: string[];
}

export function localTime(at: number, timezone: string): string {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: timezone, weekday: 'short', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'longOffset' }).formatToParts(new Date(at));
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const offset = part('timeZoneName').replace(/^GMT$/, 'GMT+00:00').replace('GMT', '');
  return `${part('weekday')} ${part('year')}-${part('month')}-${part('day')} ${part('hour')}:${part('minute')}:${part('second')} ${offset}`;
}

function targetsOf(schedule: CompiledSchedule): string[] {
  return 'hosts' in schedule.targets ? [...schedule.targets.hosts] : [`group ${schedule.targets.group}`];
}

export function simulateSchedules(set: PolicySet, from: number, to: number, options: { dryRun: boolean; names?: readonly string[] }): ScheduleSimulation {
  const ledger = new IndexedLedger();
  const schedules = set.schedules.filter((s) => !options.names?.length || options.names.includes(s.name));
  const truncated: string[] = [];
  const due: { at: number; schedule: CompiledSchedule }[] = [];
  for (const schedule of schedules) {
    const found = dueBetween(cronTimes(schedule.cron, schedule.timezone), from - 1, to, SIMULATED_PER_SCHEDULE);
    if (found.more) truncated.push(schedule.name);
    due.push(...found.due.map((at) => ({ at, schedule })));
  }
  due.sort((a, b) => a.at - b.at || (a.schedule.name < b.schedule.name ? -1 : 1));
  const runs: SimulatedRun[] = [];
  for (const { at, schedule } of due) {
    const window = schedule.guards.window;
    const windowLocal = window && window.timezone !== schedule.timezone ? { local: localTime(at, window.timezone), timezone: window.timezone } : null;
    const disruptive = schedule.actions.some((a) => ACTION_TYPES.get(a.type)!.disruptive);
    const nodeDisruptive = schedule.actions.some((a) => a.disruptsNode);
    for (const target of targetsOf(schedule)) {
      const refusal = targetCooldown(schedule, target, ledger, at, 'before') ?? checkGuards({ policy: schedule, phase: PHASE, target, disruptive, nodeDisruptive, facts: LOOKING_AHEAD, settings: set.settings, ledger, now: at });
      if (!refusal) ledger.record({ ...runLedgerEntry(schedule, target, disruptive, at), ...nodeMark(nodeDisruptive, []) });
      for (const action of schedule.actions) {
        const dryRun = options.dryRun || set.settings.dryRun || schedule.dryRun || action.dryRun;
        runs.push({
          schedule: schedule.name, due: new Date(at).toISOString(), local: localTime(at, schedule.timezone), timezone: schedule.timezone, windowLocal,
          target, action: action.name, type: action.type,
          verdict: refusal ? 'refused' : dryRun ? 'dry-run' : 'run', refusedBy: refusal?.guard ?? null, reason: refusal?.reason ?? null,
        });
      }
    }
  }
  return { revision: set.revision, from: new Date(from).toISOString(), to: new Date(to).toISOString(), schedules: schedules.length, runs, truncated };
}
