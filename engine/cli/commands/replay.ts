/**
 * `homeostat replay`: the webhook payloads Alertmanager would have sent over a past range,
 * from the `ALERTS` series of a real Prometheus (or from a saved Alertmanager `/api/v2/alerts`
 * answer), written as a timeline that `simulate` and `diff` read. The file is written a chunk
 * at a time, to a temporary name renamed at the end: a failed replay leaves no half timeline.
 */
import { createWriteStream, openSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { resolve } from 'node:path';
import type { Io } from '../io.js';
import { EXIT, UserError } from '../errors.js';
import { line } from '../format/terminal.js';
import { timelineLine } from '../../alerts/timeline.js';
import { EpisodeTracker } from '../../replay/episodes.js';
import type { AlertEvent } from '../../replay/episodes.js';
import { DEFAULT_GROUP_BY, webhooksOf } from '../../replay/payloads.js';
import { MAX_POINTS, PrometheusError, queryChunks } from '../../replay/prometheus.js';
import { alertsQuery, parseSelector, SelectorError } from '../../replay/selector.js';
import { DumpError, dumpEvents } from '../../replay/alertmanager-dump.js';
import { parseDuration } from '../../util/duration.js';
import { count } from '../../util/count.js';

export interface ReplayFlags {
  prometheus?: string;
  alertmanagerDump?: string;
  from?: string;
  to?: string;
  match?: string;
  groupBy?: string;
  step: string;
  chunk: string;
  out: string;
  format: string;
}

interface Written {
  payloads: number;
  firing: number;
  resolved: number;
}

/** An ISO 8601 time, `now`, or `now-7d`. */
export function parseTime(flag: string, text: string, now: number): number {
  const relative = /^now(?:-(.+))?$/.exec(text);
  if (relative) {
    const ago = relative[1] === undefined ? 0 : parseDuration(relative[1]);
    if (ago !== null) return now - ago;
  }
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new UserError(`${flag} ${text}: not a time; give an ISO 8601 time such as 2026-11-14T00:00:00Z, or now-7d`);
  return ms;
}

function duration(flag: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === null || ms < 1000) throw new UserError(`${flag} ${text}: not a duration of a second or more; give one such as 30s, 1m or 6h`);
  return ms;
}

function groupBy(text: string | undefined): string[] {
  if (text === undefined) return [...DEFAULT_GROUP_BY];
  const names = text.split(',').map((n) => n.trim()).filter(Boolean);
  const bad = names.find((n) => !/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(n));
  if (bad !== undefined || names.length === 0) throw new UserError(`--group-by ${text}: give label names separated by commas, such as alertname,cluster`);
  return names;
}

/** Writes the events of each batch as timeline lines, with the stream's backpressure. */
async function writeTimeline(out: string, batches: AsyncIterable<readonly AlertEvent[]>, by: readonly string[]): Promise<Written> {
  const temporary = `${out}.${process.pid}.tmp`;
  let fd: number;
  try {
    fd = openSync(temporary, 'wx');
  } catch (error) {
    throw new UserError(`--out ${out}: cannot write next to it (${(error as NodeJS.ErrnoException).code ?? 'error'}); give a file in a folder that exists`);
  }
  // A write error rejects the drain or finish awaited below.
  const stream = createWriteStream(temporary, { fd });
  const written: Written = { payloads: 0, firing: 0, resolved: 0 };
  try {
    for await (const events of batches) {
      for (const { at, payload } of webhooksOf(events, by)) {
        written.payloads++;
        for (const a of payload.alerts) written[a.status === 'firing' ? 'firing' : 'resolved']++;
        if (!stream.write(`${timelineLine(at, payload)}\n`)) await once(stream, 'drain');
      }
    }
    stream.end();
    await once(stream, 'finish');
    renameSync(temporary, out);
    return written;
  } catch (error) {
    stream.destroy();
    rmSync(temporary, { force: true });
    throw error;
  }
}

async function* fromPrometheus(flags: ReplayFlags, tracker: EpisodeTracker, now: number): AsyncGenerator<AlertEvent[]> {
  if (flags.from === undefined || flags.to === undefined) throw new UserError('--prometheus needs --from and --to: the range to replay');
  const from = parseTime('--from', flags.from, now);
  const to = parseTime('--to', flags.to, now);
  if (to <= from) throw new UserError(`--to ${flags.to} is not after --from ${flags.from}`);
  const stepMs = duration('--step', flags.step);
  const chunkMs = duration('--chunk', flags.chunk);
  if (chunkMs / stepMs > MAX_POINTS) throw new UserError(`--chunk ${flags.chunk} holds more than ${MAX_POINTS} steps of ${flags.step}, more than Prometheus answers; give a smaller --chunk`);
  let matchers;
  try {
    matchers = flags.match === undefined ? [] : parseSelector(flags.match);
  } catch (error) {
    if (error instanceof SelectorError) throw new UserError(`--match ${flags.match}: not a PromQL selector: ${error.message}; give one such as '{severity="critical", job=~"node.*"}'`);
    throw error;
  }
  try {
    for await (const chunk of queryChunks({ url: flags.prometheus!, query: alertsQuery(matchers), from, to, stepMs, chunkMs })) yield tracker.chunk(chunk.series, chunk.end);
  } catch (error) {
    if (error instanceof PrometheusError) throw new UserError(error.message);
    throw error;
  }
}

async function* fromDump(file: string): AsyncGenerator<AlertEvent[]> {
  let body: unknown;
  try {
    body = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UserError(`${file}: cannot read the Alertmanager alerts (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); save GET /api/v2/alerts to it`);
  }
  try {
    yield dumpEvents(body);
  } catch (error) {
    if (error instanceof DumpError) throw new UserError(`${file}${error.message.startsWith('[') ? '' : ': '}${error.message}`);
    throw error;
  }
}

function checkUrl(text: string): void {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UserError(`--prometheus ${text}: not a URL; give Prometheus' address, such as http://prometheus:9090`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UserError(`--prometheus ${text}: give an http or https URL`);
}

export async function replayCommand(flags: ReplayFlags, io: Io): Promise<number> {
  if ((flags.prometheus === undefined) === (flags.alertmanagerDump === undefined)) {
    throw new UserError('give either --prometheus URL (with --from and --to) or --alertmanager-dump FILE');
  }
  const by = groupBy(flags.groupBy);
  const out = resolve(io.cwd, flags.out);
  const now = Date.now();
  const tracker = new EpisodeTracker(flags.prometheus === undefined ? 0 : duration('--step', flags.step));
  if (flags.prometheus !== undefined) checkUrl(flags.prometheus);
  const source = flags.prometheus !== undefined ? fromPrometheus(flags, tracker, now) : fromDump(resolve(io.cwd, flags.alertmanagerDump!));
  const written = await writeTimeline(out, source, by);
  if (flags.format === 'json') {
    io.stdout(JSON.stringify({ out: flags.out, ...written, stillFiring: tracker.firing }, null, 2) + '\n');
  } else {
    const still = tracker.firing ? `; ${count(tracker.firing, 'alert')} still firing at the end` : '';
    io.stdout(line`${flags.out}: ${count(written.payloads, 'payload')}, ${count(written.firing, 'alert')} firing and ${written.resolved} resolved${still}\n`);
  }
  return EXIT.ok;
}
