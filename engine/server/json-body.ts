/**
 * A request body's JSON. JSON.parse keeps a key named `__proto__` as an own property, plain
 * data (fastify's parser refuses the whole body with a 400 instead, and Alertmanager never
 * retries a 4xx): labels are hostile input, and a label may be named anything.
 */

/** A body that is not JSON: 400, as fastify's own parser answers. */
export class BodyNotJsonError extends Error {
  readonly statusCode = 400;
  constructor() {
    // V8's message quotes the body: a refusal repeats no part of it.
    super('body is not valid JSON (an Alertmanager webhook payload is JSON)');
  }
}

/** The body's JSON, a leading byte-order mark ignored; throws BodyNotJsonError. */
export function parseJson(body: Uint8Array): unknown {
  let text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    return JSON.parse(text);
  } catch {
    throw new BodyNotJsonError();
  }
}
