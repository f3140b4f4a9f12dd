/**
 * Large webhook bodies are parsed in a thread of their own. On this thread, a 32 MiB body's
 * JSON.parse, validation and fingerprints held the event loop for seconds, during which no
 * other request was answered. One thread per body, one body at a time (two large bodies at once
 * would double the peak memory). The thread parses and splits the whole body with the same
 * splitPayload as a small body, queues the alerts in batches on a channel and ends, so that
 * its heap is gone before the alerts are taken here: one batch per turn of the event loop,
 * other requests answered between them.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import type { Intern } from '../alerts/labels.js';
import { interner, toLabelMap } from '../alerts/labels.js';
import type { Alert, GroupInfo, PayloadResult } from '../alerts/payload.js';
import { byteLength } from './body-chunks.js';
import { BodyNotJsonError } from './json-body.js';

type Accepted = Extract<PayloadResult, { ok: true }>;
type Refused = Extract<PayloadResult, { ok: false }>;
/** An alert as structured clone carries it: without its group, label maps as plain objects. */
export type ClonedAlert = Omit<Alert, 'group'>;

/** What the parser thread queues, in order: not-json | refused | head, alerts…, end. */
export type FromParser =
  | { t: 'not-json' }
  | { t: 'refused'; result: Refused }
  | { t: 'head'; rest: Omit<Accepted, 'payload'>; group: GroupInfo }
  | { t: 'alerts'; alerts: ClonedAlert[] }
  | { t: 'end' };

export interface ParserData {
  /** The body as it arrived, in chunks (body-chunks.ts). */
  body: Uint8Array[];
  port: MessagePort;
}

/** A body too large for the parser thread's heap: refused, and the engine keeps running. */
export class BodyTooLargeToParseError extends Error {
  readonly statusCode = 413;
}

const workerFile = new URL('./parse-worker.js', import.meta.url);
let available: boolean | undefined;

/** Run from source (the unit tests), no compiled parser thread exists: bodies are parsed on this thread. */
export function parseThreadAvailable(): boolean {
  return (available ??= existsSync(fileURLToPath(workerFile)));
}

let queue: Promise<unknown> = Promise.resolve();

export function parseInThread(body: readonly Buffer[]): Promise<PayloadResult> {
  const parsed = queue.then(() => parseOnce(body));
  queue = parsed.catch(() => undefined);
  return parsed;
}

/**
 * The parser thread's heap bound. Measured with 32 MiB bodies: alerts as Alertmanager sends them
 * take about four times the body's size while parsed and split, the smallest alerts a payload
 * may hold (a status, one label, startsAt) up to seven times. Past the bound the body is refused
 * rather than the process's memory taken.
 */
export function parserHeapMb(bytes: number): number {
  return Math.max(256, Math.ceil((12 * bytes) / 1024 / 1024));
}

async function parseOnce(body: readonly Buffer[]): Promise<PayloadResult> {
  const bodyBytes = byteLength(body);
  const heapMb = parserHeapMb(bodyBytes);
  const { port1, port2 } = new MessageChannel();
  try {
    const chunks = body.map(ownBytes);
    const data: ParserData = { body: chunks, port: port2 };
    const worker = new Worker(workerFile, { workerData: data, transferList: [port2, ...chunks.map((c) => c.buffer)], resourceLimits: { maxOldGenerationSizeMb: heapMb } });
    await new Promise<void>((resolve, reject) => {
      worker.once('error', (error: Error & { code?: string }) => {
        const tooLarge = `body of ${bodyBytes} bytes too large to parse within ${heapMb} MB: set max_alerts in Alertmanager's webhook_config or lower --max-body`;
        reject(error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? new BodyTooLargeToParseError(tooLarge) : error);
      });
      worker.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`the parser thread stopped with exit code ${code}`))));
    });
    return await takeAlerts(port1);
  } finally {
    port1.close();
  }
}

/** The thread's queue, one batch per turn of the event loop. */
async function takeAlerts(port: MessagePort): Promise<PayloadResult> {
  const next = () => receiveMessageOnPort(port)?.message as FromParser | undefined;
  const first = next();
  if (first?.t === 'not-json') throw new BodyNotJsonError();
  if (first?.t === 'refused') return first.result;
  if (first?.t !== 'head') throw new Error('the parser thread ended without a result');
  const group = labelMapsOfGroup(first.group);
  const alerts: Alert[] = [];
  const intern = interner(INTERNED_MAX);
  let message = next();
  for (; message?.t === 'alerts'; message = next()) {
    for (const alert of message.alerts) alerts.push(labelMapsOfAlert(alert, group, intern));
    await new Promise((resolve) => setImmediate(resolve));
  }
  // Never a payload cut short: every alert is decided, or the request fails.
  if (message?.t !== 'end') throw new Error('the parser thread ended before handing over every alert');
  return { ...first.rest, payload: { group, alerts } } as Accepted;
}

/** A chunk's bytes in an ArrayBuffer of their own, which moves to the thread without a copy. */
function ownBytes(body: Buffer): Uint8Array<ArrayBuffer> {
  const own = body.buffer instanceof ArrayBuffer && body.byteOffset === 0 && body.byteLength === body.buffer.byteLength;
  return own ? new Uint8Array(body.buffer as ArrayBuffer) : new Uint8Array(body);
}

// Structured clone keeps every own key (`__proto__` too, as data) but neither prototypes nor
// freezing: the label maps are made again, as splitPayload makes them.
function labelMapsOfGroup(group: GroupInfo): GroupInfo {
  return Object.freeze({
    ...group,
    groupLabels: toLabelMap(group.groupLabels),
    commonLabels: toLabelMap(group.commonLabels),
    commonAnnotations: toLabelMap(group.commonAnnotations),
  });
}

/**
 * Distinct strings a payload's alerts share at most. Structured clone gives each alert its own
 * copy of every string: in a storm most are the same few (status, startsAt, endsAt, alertname,
 * job, severity…), some 28 MB of copies for a 32 MiB body.
 */
const INTERNED_MAX = 10_000;

// Field by field, as splitPayload builds it: a copy by spread of a cloned alert got a hidden
// class of its own once frozen, some 400 bytes per alert (55 MB for a 32 MiB storm).
function labelMapsOfAlert(alert: ClonedAlert, group: GroupInfo, intern: Intern): Alert {
  return Object.freeze({
    status: intern(alert.status) as Alert['status'],
    labels: toLabelMap(alert.labels, intern),
    annotations: toLabelMap(alert.annotations, intern),
    startsAt: intern(alert.startsAt),
    endsAt: intern(alert.endsAt),
    generatorURL: intern(alert.generatorURL),
    fingerprint: alert.fingerprint,
    alertname: intern(alert.alertname),
    group,
  });
}
