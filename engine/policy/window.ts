/** Time windows: `days` + `between` in a time zone, checked at lint and evaluated by guards. */
import type { Problem } from '../diagnostics/diagnostic.js';
import { pointerOf } from '../diagnostics/diagnostic.js';

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

const formats = new Map<string, Intl.DateTimeFormat | null>();

/** The weekday/hour/minute formatter of a time zone, or null for an unknown zone; one per zone. */
function formatFor(zone: string): Intl.DateTimeFormat | null {
  let format = formats.get(zone);
  if (format === undefined) {
    try {
      format = new Intl.DateTimeFormat('en-US', { timeZone: zone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    } catch {
      format = null;
    }
    formats.set(zone, format);
  }
  return format;
}

export function isTimeZone(zone: string): boolean {
  return formatFor(zone) !== null;
}

/** Minutes since midnight of HH:MM-HH:MM, or null. */
export function parseBetween(between: string): [number, number] | null {
  const m = /^(\d\d):(\d\d)-(\d\d):(\d\d)$/.exec(between);
  if (!m) return null;
  return [Number(m[1]) * 60 + Number(m[2]), Number(m[3]) * 60 + Number(m[4])];
}

export function windowProblems(window: unknown, path: (string | number)[]): Problem[] {
  if (typeof window !== 'object' || window === null) return [];
  const w = window as Record<string, unknown>;
  const problems: Problem[] = [];
  if (typeof w.timezone === 'string' && !isTimeZone(w.timezone)) {
    problems.push({ pointer: pointerOf([...path, 'timezone']), code: 'HST_TIMEZONE_UNKNOWN', message: `unknown time zone '${w.timezone}'`, hint: 'use an IANA name such as UTC or Europe/Paris' });
  }
  const between = typeof w.between === 'string' ? parseBetween(w.between) : null;
  if (between && between[0] === between[1]) {
    problems.push({ pointer: pointerOf([...path, 'between']), code: 'HST_WINDOW_INVALID', message: `window ${String(w.between)} is empty`, hint: 'give a start and an end that differ; 22:00-06:00 spans midnight' });
  }
  return problems;
}

/** Whether `now` falls in the window (a window spanning midnight belongs to its start day). */
export function inWindow(now: number, window: { days: readonly string[]; between: [number, number]; timezone: string }): boolean {
  const parts = formatFor(window.timezone)!.formatToParts(new Date(now));
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const day = part('weekday').toLowerCase().slice(0, 3);
  const minute = Number(part('hour')) * 60 + Number(part('minute'));
  const [start, end] = window.between;
  if (start < end) return window.days.includes(day) && minute >= start && minute < end;
  const yesterday = DAYS[(DAYS.indexOf(day as (typeof DAYS)[number]) + 6) % 7]!;
  return (window.days.includes(day) && minute >= start) || (window.days.includes(yesterday) && minute < end);
}

/** The instant the window next opens after `now`, to the minute; null if it never does (no day). */
export function nextOpening(now: number, window: { days: readonly string[]; between: [number, number]; timezone: string }): number | null {
  const key = `${window.timezone}|${window.days.join(',')}|${window.between.join('-')}|${Math.floor(now / 60_000)}`;
  const known = openings.get(key);
  if (known !== undefined) return known;
  const found = findOpening(now, window);
  if (openings.size >= 1_000) openings.clear();
  openings.set(key, found);
  return found;
}

/** By window and minute: every refusal of a storm by one policy's window asks the same. */
const openings = new Map<string, number | null>();

function findOpening(now: number, window: { days: readonly string[]; between: [number, number]; timezone: string }): number | null {
  const minuteStart = now - (now % 60_000);
  const local = localMinute(minuteStart, window.timezone);
  const start = window.between[0];
  // The window opens at its start on one of its days: the first such local time ahead, then
  // corrected for a change of UTC offset in between (DST), then checked.
  for (let d = 0; d <= 7; d++) {
    const day = DAYS[(local.day + d) % 7]!;
    if (!window.days.includes(day)) continue;
    const ahead = d * 1440 + start - local.minute;
    if (ahead <= 0) continue;
    let at = minuteStart + ahead * 60_000;
    const drift = ((((start - localMinute(at, window.timezone).minute + 720) % 1440) + 1440) % 1440) - 720;
    if (Math.abs(drift) <= 180) at += drift * 60_000;
    if (at > now && inWindow(at, window)) return at;
    // A start that a DST jump skips: the window opens at the first minute that exists after it.
    for (let m = 1; m <= 180; m++) if (inWindow(at + m * 60_000, window)) return at + m * 60_000;
  }
  return null;
}

function localMinute(at: number, zone: string): { day: number; minute: number } {
  const parts = formatFor(zone)!.formatToParts(new Date(at));
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const day = DAYS.indexOf(part('weekday').toLowerCase().slice(0, 3) as (typeof DAYS)[number]);
  return { day, minute: Number(part('hour')) * 60 + Number(part('minute')) };
}
