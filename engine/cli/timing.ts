/**
 * The `--alerts` files of simulate and diff with the time each payload is decided at, from
 * `--now`, `--at` and `--every` (engine/alerts/timing.ts says how).
 */
import type { TimedPayload } from '../alerts/timeline.js';
import type { AtValue } from '../alerts/timing.js';
import { timeFiles } from '../alerts/timing.js';
import { parseDuration } from '../util/duration.js';
import { count } from '../util/count.js';
import { UserError } from './errors.js';
import { parseNow, readAlertsFile } from './load.js';

export interface TimingFlags {
  now?: string;
  at?: string[];
  every?: string;
}

export const NOW_HELP = "the time of the first payload; the others keep their distance from it (ISO 8601; default: the first payload's own time: a timeline's `at`, else its alerts' newest startsAt, or endsAt if resolved)";
export const AT_HELP = 'the time each --alerts file is decided at, one per file, in order: ISO 8601, or +DURATION after the file before (+20m); a timeline file keeps its spacing';
export const EVERY_HELP = 'decide the --alerts files this far apart (5m), the first at --now or its own time';

function parseAt(text: string): AtValue {
  if (text.startsWith('+')) {
    const ms = parseDuration(text.slice(1));
    if (ms === null) throw new UserError(`--at ${text}: not a duration; write +30s, +5m, +1h30m (after the file before) or an ISO 8601 time`);
    return { afterMs: ms };
  }
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new UserError(`--at ${text}: not a time; give an ISO 8601 time such as 2026-11-21T09:00:00Z, or +DURATION after the file before`);
  return { at: ms };
}

/** Every payload of the files, in order, with the time it is decided at. */
export function readTimedAlerts(files: readonly string[], flags: TimingFlags, cwd: string): Required<TimedPayload>[] {
  if (flags.at && flags.every !== undefined) throw new UserError('--at and --every both say when the files come: give one of them');
  if (flags.at && flags.at.length !== files.length) {
    throw new UserError(`--at gives ${count(flags.at.length, 'time')} for ${count(files.length, 'alerts file')}: give one per --alerts file, in the same order`);
  }
  const at = flags.at?.map(parseAt);
  let everyMs: number | undefined;
  if (flags.every !== undefined) {
    const ms = parseDuration(flags.every);
    if (ms === null || ms === 0) throw new UserError(`--every ${flags.every}: give a duration longer than zero, such as 30s, 5m or 1h30m`);
    everyMs = ms;
  }
  const payloads = files.map((file) => readAlertsFile(file, cwd));
  return timeFiles(payloads, {
    ...(flags.now !== undefined ? { now: parseNow(flags.now) } : {}),
    ...(at ? { at } : {}),
    ...(everyMs !== undefined ? { everyMs } : {}),
    fallback: Date.now(),
  });
}
