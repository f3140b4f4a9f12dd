/**
 * The clock of the routine jobs: which schedules are active, the last due time each has dealt
 * with, and one timer for the earliest next one (a thousand schedules cost one timer, not a
 * thousand). When a due time comes it hands the schedule to `dispatch` with what is owed (the
 * latest due time within the starting deadline, and the missed ones before it), and moves on
 * only once dispatch says the decision is durable; a dispatch that fails (the engine cannot
 * decide now) is tried again, and a due time it waited past its deadline becomes missed.
 *
 * It owns no audit, journal or executor: the engine (runtime/) wires those in through deps.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { CompiledSchedule } from '../policy/types.js';
import { cronTimes } from './cron.js';
import type { CronTimes } from './cron.js';
import { owedAt } from './due.js';
import type { Owed } from './due.js';
import { dueKey, timesStamp } from './keys.js';
import type { DueMark } from './keys.js';

/** The timer wakes at least this often: a wall clock set forward or back is noticed within it. */
const MAX_SLEEP_MS = 60_000;
/** Schedules whose times are worked out between two turns of the event loop at an activation (croner takes 0.1-1 ms each). */
const ACTIVATE_SLICE = 100;
/** After a dispatch that failed. */
const RETRY_MS = 1_000;
/** A key older than this is journaled again at an activation, before its 30 days run out. */
const REMARK_AFTER_MS = 7 * 24 * 3600_000;

export interface DueRun {
  schedule: CompiledSchedule;
  owed: Owed;
  /** The seen key that records `owed.handled` as dealt with: journaled with the decision. */
  key: string;
}

export interface SchedulerDeps {
  clock: () => number;
  log: Logger;
  /** Decides and journals what is owed; resolves once durable, rejects when it cannot be decided now. */
  dispatch(run: DueRun): Promise<void>;
  /** Journals seen keys (first sight of a schedule, refreshed old keys); resolves once durable. */
  mark(keys: string[]): Promise<void>;
}

interface Active {
  schedule: CompiledSchedule;
  times: CronTimes;
  stamp: string;
  last: DueMark;
  next: number | null;
  dispatching: boolean;
  /** Its next due time may be one a stop left owing, with others after it: work out all that is owed. */
  resumed: boolean;
}

export class Scheduler {
  private active = new Map<string, Active>();
  private timer: NodeJS.Timeout | null = null;
  private wakeAt = Infinity;
  private rearming = false;
  private stopped = false;

  /** `restored`: the last due time of each "name|stamp", from the journal (keys.ts lastDue). */
  constructor(
    private readonly deps: SchedulerDeps,
    private readonly restored: Map<string, DueMark>,
  ) {}

  /**
   * Takes a revision's schedules, all at once: one that kept its name, cron and time zone keeps
   * its progress; a new or changed one starts from now (nothing before is owed); a removed one
   * is dropped. The first sight of each is journaled before it can come due.
   */
  async activate(schedules: readonly CompiledSchedule[]): Promise<void> {
    const now = this.deps.clock();
    const next = new Map<string, Active>();
    const keys: string[] = [];
    for (const [i, schedule] of schedules.entries()) {
      if (i > 0 && i % ACTIVATE_SLICE === 0) await nextTurn();
      const stamp = timesStamp(schedule.cron, schedule.timezone);
      const kept = this.active.get(schedule.name);
      if (kept && kept.stamp === stamp) {
        // The same object: a dispatch under way records its progress where the new revision reads it.
        kept.schedule = schedule;
        if (now - kept.last.at > REMARK_AFTER_MS) {
          keys.push(dueKey(schedule.name, stamp, kept.last.due));
          kept.last = { ...kept.last, at: now };
        }
        next.set(schedule.name, kept);
        continue;
      }
      const known = this.restored.get(`${schedule.name}|${stamp}`);
      const last = known ?? { due: now, at: now };
      if (!known || now - last.at > REMARK_AFTER_MS) {
        keys.push(dueKey(schedule.name, stamp, last.due));
        last.at = now;
      }
      const times = cronTimes(schedule.cron, schedule.timezone);
      next.set(schedule.name, { schedule, times, stamp, last, next: times.next(last.due), dispatching: false, resumed: known !== undefined });
    }
    if (keys.length) await this.deps.mark(keys);
    this.restored.clear(); // only the first activation resumes from the journal
    this.active = next;
    this.deps.log.info({ schedules: next.size, firstSeen: keys.length }, 'schedules active');
    this.arm();
  }

  /** The schedules now active, with their next due time. */
  list(): { schedule: CompiledSchedule; next: number | null; last: number }[] {
    return [...this.active.values()].map((a) => ({ schedule: a.schedule, next: a.next, last: a.last.due }));
  }

  get(name: string): CompiledSchedule | undefined {
    return this.active.get(name)?.schedule;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private arm(): void {
    if (this.stopped) return;
    let earliest = Infinity;
    for (const a of this.active.values()) if (!a.dispatching && a.next !== null && a.next < earliest) earliest = a.next;
    const now = this.deps.clock();
    const wake = Math.min(earliest, now + MAX_SLEEP_MS);
    if (this.timer && wake >= this.wakeAt && this.wakeAt > now) return;
    if (this.timer) clearTimeout(this.timer);
    this.wakeAt = wake;
    this.timer = setTimeout(() => this.tick(), Math.max(0, wake - now));
    this.timer.unref();
  }

  private tick(): void {
    this.timer = null;
    this.wakeAt = Infinity;
    const now = this.deps.clock();
    for (const a of this.active.values()) {
      if (a.dispatching || a.next === null || a.next > now) continue;
      // The usual case, without asking croner: the next due time has just come. A later one that
      // has come too (a stalled event loop) is dispatched next, once this one is decided.
      if (!a.resumed && now - a.next <= a.schedule.startingDeadlineMs) {
        this.dispatch(a, { run: [a.next], missed: null, handled: a.next });
        continue;
      }
      a.resumed = false;
      const owed = owedAt(a.times, a.last.due, now, a.schedule.startingDeadlineMs);
      if (!owed) {
        a.next = a.times.next(a.last.due);
        continue;
      }
      this.dispatch(a, owed);
    }
    this.arm();
  }

  private dispatch(a: Active, owed: Owed): void {
    a.dispatching = true;
    this.deps
      .dispatch({ schedule: a.schedule, owed, key: dueKey(a.schedule.name, a.stamp, owed.handled) })
      .then(
        () => {
          a.last = { due: owed.handled, at: this.deps.clock() };
          a.next = a.times.next(owed.handled);
        },
        (error: Error) => {
          // Tried again shortly: what is owed then is worked out afresh, so a wait past the deadline is a miss.
          this.deps.log.warn({ schedule: a.schedule.name, due: owed.run, reason: error.message }, 'scheduled run not decided; trying again');
          a.next = this.deps.clock() + RETRY_MS; // a time to retry at, not a due time: work out what is owed then
          a.resumed = true;
        },
      )
      .finally(() => {
        a.dispatching = false;
        this.rearm();
      });
  }

  /** One arm() for the dispatches that end together (a burst of a thousand), not one each. */
  private rearm(): void {
    if (this.rearming) return;
    this.rearming = true;
    setImmediate(() => {
      this.rearming = false;
      this.arm();
    });
  }
}
