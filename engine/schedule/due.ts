/**
 * What is owed at a moment, given the last due time already dealt with: every due time since
 * that is within the starting deadline runs, once each, oldest first (at most CATCH_UP of the
 * newest); every older one is missed. Pure.
 */
import type { CronTimes } from './cron.js';
import { dueBetween } from './cron.js';

/** Missed due times counted one by one up to this; past it, "more than". */
export const MISSED_COUNTED = 10_000;
/** Due times run at once after a stop, at most: the newest ones; older ones are missed. */
export const CATCH_UP = 100;

export interface Missed {
  count: number;
  /** More than `count` were missed (counting stopped). */
  more: boolean;
  first: number;
  last: number;
}

export interface Owed {
  /** The due times to run now, oldest first: the one that just came, or those a stop left within the deadline. */
  run: number[];
  missed: Missed | null;
  /** The latest due time this deals with: the next run comes after it. */
  handled: number;
}

/** Null when nothing came due in (last, now]. */
export function owedAt(times: CronTimes, last: number, now: number, deadlineMs: number): Owed | null {
  const first = times.next(last);
  if (first === null || first > now) return null;
  const handled = times.latest(now) ?? first;
  // Due at or after `cut`: within the deadline.
  const cut = now - deadlineMs;
  const inTime = first >= cut ? dueBetween(times, last, now, Infinity).due : dueBetween(times, Math.max(last, cut - 1), now, Infinity).due;
  const run = inTime.slice(-CATCH_UP);
  const missedUpTo = run.length ? times.latest(run[0]! - 1) : handled;
  let missed: Missed | null = null;
  if (missedUpTo !== null && missedUpTo >= first) {
    const counted = dueBetween(times, last, missedUpTo, MISSED_COUNTED);
    missed = { count: counted.due.length, more: counted.more, first, last: counted.more ? missedUpTo : counted.due.at(-1)! };
  }
  return { run, missed, handled };
}
