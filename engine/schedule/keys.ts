/**
 * What makes a schedule's progress durable: a seen key per due time dealt with, journaled with
 * the run's intents in one fsynced write (the same guard record the alerts' dedup keys go in),
 * so a restart knows the last due time decided and neither runs it again nor skips the next.
 * The key carries a stamp of the cron and time zone: a schedule whose times changed starts
 * afresh rather than owing runs its new times would have had.
 */
import { createHash } from 'node:crypto';

const PREFIX = 'sched|';

export interface DueMark {
  due: number;
  /** When it was journaled: keys are kept 30 days, so an old one is journaled again. */
  at: number;
}

export function timesStamp(cron: string, timezone: string): string {
  return createHash('sha256').update(`${cron}\0${timezone}`).digest('hex').slice(0, 8);
}

/** "Every due time of `name` up to `due` is dealt with." */
export function dueKey(name: string, stamp: string, due: number): string {
  return `${PREFIX}${name}|${stamp}|${due}`;
}

/** The last due time dealt with, by schedule and stamp ("name|stamp"), from restored seen keys. */
export function lastDue(seen: Iterable<readonly [string, number]>): Map<string, DueMark> {
  const found = new Map<string, DueMark>();
  for (const [key, at] of seen) {
    if (!key.startsWith(PREFIX)) continue;
    const cut = key.lastIndexOf('|');
    const id = key.slice(PREFIX.length, cut);
    const due = Number(key.slice(cut + 1));
    const known = found.get(id);
    if (Number.isFinite(due) && (!known || due > known.due || (due === known.due && at > known.at))) found.set(id, { due, at });
  }
  return found;
}
