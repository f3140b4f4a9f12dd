/**
 * The parser thread (see parse-thread.ts): parses one webhook body and splits it, queues the
 * result on its channel, the alerts in batches, and ends.
 */
import { workerData } from 'node:worker_threads';
import type { Alert } from '../alerts/payload.js';
import { splitPayload } from '../alerts/payload.js';
import { parseJson } from './json-body.js';
import type { ClonedAlert, FromParser, ParserData } from './parse-thread.js';

const BATCH = 2_000;

function parse(data: ParserData): void {
  const send = (message: FromParser) => data.port.postMessage(message);
  let json: unknown;
  try {
    json = parseJson(takeBody(data));
  } catch {
    return send({ t: 'not-json' });
  }
  const result = splitPayload(json);
  if (!result.ok) return send({ t: 'refused', result });
  const { payload, ...rest } = result;
  send({ t: 'head', rest, group: payload.group });
  for (let at = 0; at < payload.alerts.length; at += BATCH) send({ t: 'alerts', alerts: payload.alerts.slice(at, at + BATCH).map(withoutGroup) });
  send({ t: 'end' });
}

/** The body leaves workerData once read: its bytes are freed as they are decoded (parseJson). */
function takeBody(data: ParserData): Uint8Array[] {
  const { body } = data;
  data.body = [];
  return body;
}

function withoutGroup(alert: Alert): ClonedAlert {
  const { group: _group, ...rest } = alert;
  return rest;
}

const data = workerData as ParserData;
try {
  parse(data);
} finally {
  data.port.close();
}
