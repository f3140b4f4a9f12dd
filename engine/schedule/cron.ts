/**
 * Cron expressions, read by croner (a kept library: five fields, an optional leading seconds
 * field, @hourly-style macros, time zones). DST is croner's: a fixed-time job (one value in each
 * of seconds, minutes and hours, such as `30 2 * * *`) runs once on a fall-back day, at the
 * first 02:30, and on a spring-forward day at the first valid time after the gap; an interval
 * job (a step, range or list in those fields) runs on both passes of a repeated hour and skips times in a gap.
 */
import { Cron } from 'croner';

/** What croner is allowed to read: no year field, no one-off dates. */
const SHAPE = /^(@(yearly|annually|monthly|weekly|daily|hourly)|\S+( \S+){4,5})$/;

/** A schedule's times: each `next` is the first due time strictly after `after`. */
export interface CronTimes {
  next(after: number): number | null;
  /** The last due time at or before `at`. */
  latest(at: number): number | null;
}

/** Why a cron expression is refused, or null. */
export function cronProblem(expression: string): string | null {
  if (!SHAPE.test(expression.trim())) return 'give five fields (minute hour day-of-month month day-of-week), six with a leading seconds field, or a macro such as @hourly';
  try {
    new Cron(expression.trim(), { paused: true, mode: '5-or-6-parts' });
    return null;
  } catch (error) {
    return (error as Error).message.replace(/^CronPattern: /, '');
  }
}

/** The times of a valid expression in a time zone (callers lint both first). */
export function cronTimes(expression: string, timezone: string): CronTimes {
  const cron = new Cron(expression.trim(), { paused: true, mode: '5-or-6-parts', timezone });
  return {
    next(after) {
      return cron.nextRun(new Date(after))?.getTime() ?? null;
    },
    latest(at) {
      return cron.previousRuns(1, new Date(at + 1))[0]?.getTime() ?? null;
    },
  };
}

/** Every due time in (from, to], at most `limit` of them; `more` says whether there were others. */
export function dueBetween(times: CronTimes, from: number, to: number, limit: number): { due: number[]; more: boolean } {
  const due: number[] = [];
  for (let at = times.next(from); at !== null && at <= to; at = times.next(at)) {
    if (due.length === limit) return { due, more: true };
    due.push(at);
  }
  return { due, more: false };
}
