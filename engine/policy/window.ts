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
