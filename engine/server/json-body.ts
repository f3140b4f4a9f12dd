/**
 * A request body's JSON. JSON.parse keeps a key named `__proto__` as an own property, plain
 * data (fastify's parser refuses the whole body with a 400 instead, and Alertmanager never
 * retries a 4xx): labels are hostile input, and a label may be named anything.
 */
import { StringDecoder } from 'node:string_decoder';

/** A body that is not JSON: 400, as fastify's own parser answers. */
export class BodyNotJsonError extends Error {
  readonly statusCode = 400;
  constructor() {
    // V8's message quotes the body: a refusal repeats no part of it.
    super('body is not valid JSON (an Alertmanager webhook payload is JSON)');
  }
}

/**
 * The body's JSON, a leading byte-order mark ignored; throws BodyNotJsonError. A body in
 * chunks (body-chunks.ts) is decoded chunk by chunk, never copied into one buffer, and each
 * slot of the array is emptied once decoded, so that its bytes can be freed meanwhile.
 */
export function parseJson(body: Uint8Array | Uint8Array[]): unknown {
  let text = Array.isArray(body) ? decodeChunks(body) : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    return JSON.parse(text);
  } catch {
    throw new BodyNotJsonError();
  }
}

const EMPTY = new Uint8Array(0);

function decodeChunks(chunks: Uint8Array[]): string {
  // A character cut between two chunks is completed by the next one.
  const decoder = new StringDecoder('utf8');
  const parts: string[] = [];
  for (let i = 0; i < chunks.length; i++) {
    parts.push(decoder.write(chunks[i]!));
    chunks[i] = EMPTY;
  }
  parts.push(decoder.end());
  return parts.join('');
}
