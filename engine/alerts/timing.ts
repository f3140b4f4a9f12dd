/**
 * When each payload of a simulation is decided: `simulate` and `diff` move the guards' clock as
 * the engine's moved when the payloads came, so that a cooldown, a rate limit or a blast radius
 * holds, or has passed, as it would have, and windows are judged at that time. Pure: the
 * command line turns its flags into the numbers given here.
 *
 * A payload's own time:
 * - a timeline entry's `at` (JSON Lines, as `homeostat replay` writes);
 * - a webhook payload's: the newest of its alerts' `startsAt` and, of resolved alerts, `endsAt`.
 *   Alertmanager sends a notification after these (group_wait, group_interval), never before;
 *   a re-send of the same alerts carries no later time of its own (give `--at` or `--every`).
 *
 * The times are then:
 * - by default, their own; with `--now T`, the first payload's is T and every other keeps its
 *   distance from the first (the whole sequence moved to T);
 * - with `--at`, one value per file: a file's first payload at that time, the file's other
 *   payloads (a timeline's) at their distance from its first;
 * - with `--every D`: the first file at `--now` (or its own time), each next one D later.
 * Like the engine's, the clock never runs back: a payload whose time is before the one before
 * it is decided at that one's time; so is a payload with no time of its own (or at its file's start).
 */
import type { SplitPayload } from './payload.js';
import type { TimedPayload } from './timeline.js';

/** An `--at` value: an instant, or a length of time after the previous file's time. */
export type AtValue = { at: number } | { afterMs: number };

export interface TimingOptions {
  /** `--now`: the time of the first payload; without it, the first payload's own time. */
  now?: number;
  /** `--at`: one value per file, in the order of the files. */
  at?: readonly AtValue[];
  /** `--every`: each file this long after the one before. */
  everyMs?: number;
  /** The clock when neither `--now` nor any payload gives a time. */
  fallback: number;
}

/** Alertmanager's zero time (`0001-01-01T00:00:00Z`): an alert without an end. */
const NO_TIME = Date.parse('0001-01-02T00:00:00Z');

function instant(text: string): number | null {
  const ms = Date.parse(text);
  return Number.isNaN(ms) || ms < NO_TIME ? null : ms;
}

/** A webhook payload's own time (see above), or null when none of its alerts has one. */
export function sentTime(payload: SplitPayload): number | null {
  let newest: number | null = null;
  for (const alert of payload.alerts) {
    const starts = instant(alert.startsAt);
    const ends = alert.status === 'resolved' ? instant(alert.endsAt) : null;
    for (const t of [starts, ends]) if (t !== null && (newest === null || t > newest)) newest = t;
  }
  return newest;
}

function ownTime(p: TimedPayload): number | null {
  return p.at ?? sentTime(p.payload);
}

function firstOwn(payloads: readonly TimedPayload[]): number | null {
  for (const p of payloads) {
    const t = ownTime(p);
    if (t !== null) return t;
  }
  return null;
}

/** The time each file starts at, from `--at` or `--every`; null for their own times. */
function fileStarts(count: number, start: number, options: TimingOptions): number[] | null {
  if (options.at) {
    const starts: number[] = [];
    for (const [i, value] of options.at.entries()) starts.push('at' in value ? value.at : (i === 0 ? start : starts[i - 1]!) + value.afterMs);
    return starts;
  }
  if (options.everyMs !== undefined) return Array.from({ length: count }, (_, i) => start + i * options.everyMs!);
  return null;
}

/**
 * The payloads of the files, in order, each with the time it is decided at (`at` always set).
 * `options.at`, when given, has one value per file (the caller checks).
 */
export function timeFiles(files: readonly (readonly TimedPayload[])[], options: TimingOptions): Required<TimedPayload>[] {
  const own = firstOwn(files.flat());
  const start = options.now ?? own ?? options.fallback;
  const starts = fileStarts(files.length, start, options);
  const timed: Required<TimedPayload>[] = [];
  let previous: number | null = null;
  for (const [i, file] of files.entries()) {
    // Each file moved to its start (--at, --every), or the whole sequence to --now.
    const base = starts ? firstOwn(file) : own;
    const origin = starts ? starts[i]! : start;
    for (const p of file) {
      const t = ownTime(p);
      let at = t === null || base === null ? origin : origin + (t - base);
      if (previous !== null && at < previous) at = previous;
      timed.push({ payload: p.payload, at });
      previous = at;
    }
  }
  return timed;
}
