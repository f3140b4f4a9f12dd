/**
 * What is owed at a moment, given the last due time already dealt with: the latest due time
 * runs if it is within the starting deadline, every other one since is missed. Pure.
 */
import type { CronTimes } from './cron.js';

/** Missed due times counted one by one up to this; past it, "more than". */
export const MISSED_COUNTED = 10_000;

export interface Missed {
  count: number;
  /** More than `count` were missed (counting stopped). */
  more: boolean;
  first: number;
  last: number;
}

export interface Owed {
  /** The due time to run now, or null. */
  run: number | null;
  missed: Missed | null;
  /** The latest due time this deals with: the next run comes after it. */
  handled: number;
}

/** Null when nothing came due in (last, now]. */
export function owedAt(times: CronTimes, last: number, now: number, deadlineMs: number): Owed | null {
  const first = times.next(last);
  if (first === null || first > now) return null;
  const latest = times.latest(now) ?? first;
  const late = now - latest > deadlineMs;
  const missedUpTo = late ? latest : times.latest(latest - 1);
  let missed: Missed | null = null;
  if (missedUpTo !== null && missedUpTo >= first) {
    let count = 0;
    let at: number | null = first;
    while (at !== null && at <= missedUpTo && count < MISSED_COUNTED) {
      count++;
      at = times.next(at);
    }
    missed = { count, more: at !== null && at <= missedUpTo, first, last: missedUpTo };
  }
  return { run: late ? null : latest, missed, handled: latest };
}
