/**
 * A timeline: webhook payloads in the order Alertmanager sent them (or would have), each with
 * the time it was sent, so that guards see the clock move as they would have (a cooldown
 * that expired between two notifications lets the second act). `homeostat replay` writes one;
 * `simulate --alerts` and `diff --alerts` read it, as well as a single payload file.
 *
 * The file is JSON Lines, one entry a line, so that it is written and read in a stream:
 *   {"at":"2026-11-20T10:00:30.000Z","payload":{"version":"4","status":"firing",…}}
 */
import { splitPayload } from './payload.js';
import type { SplitPayload } from './payload.js';

/** A payload and, from a timeline, the time it was sent (ms); without it, the caller's clock holds. */
export interface TimedPayload {
  payload: SplitPayload;
  at?: number;
}

export interface TimelineEntry {
  at: string;
  payload: unknown;
}

export class TimelineError extends Error {
  constructor(
    message: string,
    /** The line of the file (1-based) the problem is on; 0 for the whole file. */
    readonly line: number,
  ) {
    super(message);
  }
}

/** One line of a timeline file (without its newline). */
export function timelineLine(at: number, payload: unknown): string {
  return JSON.stringify({ at: new Date(at).toISOString(), payload } satisfies TimelineEntry);
}

function isEntry(value: unknown): value is TimelineEntry {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'at' in value && 'payload' in value && !('alerts' in value);
}

function split(body: unknown, line: number): SplitPayload {
  const result = splitPayload(body);
  if (result.ok) return result.payload;
  const p = result.problems[0]!;
  throw new TimelineError(`HST_PAYLOAD_INVALID not an Alertmanager webhook payload (version 4): ${p.pointer || '/'} ${p.message}`, line);
}

function entry(value: unknown, line: number): TimedPayload {
  if (!isEntry(value)) return { payload: split(value, line) };
  const at = typeof value.at === 'string' ? Date.parse(value.at) : Number.NaN;
  if (Number.isNaN(at)) throw new TimelineError(`"at" is ${JSON.stringify(value.at)}, not an ISO 8601 time`, line);
  return { payload: split(value.payload, line), at };
}

/**
 * The payloads of a file's text: one webhook payload (JSON), or a timeline (JSON Lines of
 * `{at, payload}`; blank lines skipped). Throws TimelineError naming the line.
 */
export function parseAlertsText(text: string): TimedPayload[] {
  let whole: unknown;
  try {
    whole = JSON.parse(text);
  } catch (error) {
    if (!text.trimStart().startsWith('{') || !text.trim().includes('\n')) throw new TimelineError(`not JSON (${(error as Error).message}); give an Alertmanager webhook payload or a timeline (JSON Lines)`, 0);
    return parseLines(text);
  }
  return [entry(whole, 0)];
}

function parseLines(text: string): TimedPayload[] {
  const payloads: TimedPayload[] = [];
  let start = 0;
  for (let n = 1; start < text.length; n++) {
    const end = text.indexOf('\n', start);
    const line = text.slice(start, end === -1 ? text.length : end).trim();
    start = end === -1 ? text.length : end + 1;
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new TimelineError(`not JSON (${(error as Error).message}); a timeline has one {"at", "payload"} object a line`, n);
    }
    if (!isEntry(value)) throw new TimelineError('not a timeline entry: give {"at": ISO time, "payload": webhook payload}', n);
    payloads.push(entry(value, n));
  }
  return payloads;
}
