/**
 * The webhook's body, from bytes to a split payload (toLabelMap keeps every label, `__proto__`
 * included, in objects without a prototype). A small body is parsed on this thread; a large
 * one in a parser thread, so that the webhook and the other endpoints keep answering meanwhile.
 * The body comes as the chunks it arrived in (body-chunks.ts says why).
 */
import type { PayloadResult } from '../alerts/payload.js';
import { splitPayload } from '../alerts/payload.js';
import { byteLength } from './body-chunks.js';
import { parseJson } from './json-body.js';
import { parseInThread, parseThreadAvailable } from './parse-thread.js';

/** Parsing and splitting 1 MiB takes about 20 ms here; a parser thread about 100 ms to start. */
export const PARSE_THREAD_MIN_BYTES = 1024 * 1024;

export function parseWebhookBody(body: Buffer | readonly Buffer[]): PayloadResult | Promise<PayloadResult> {
  const chunks = Buffer.isBuffer(body) ? [body] : body;
  if (byteLength(chunks) >= PARSE_THREAD_MIN_BYTES && parseThreadAvailable()) return parseInThread(chunks);
  return splitPayload(parseJson(chunks.length === 1 ? chunks[0]! : [...chunks]));
}
