/**
 * A body in chunks is the same JSON as the body whole: a character cut between two chunks
 * is completed by the next one, a byte-order mark is ignored, and the chunks are let go of as
 * they are decoded.
 */
import { describe, expect, it } from 'vitest';
import { BodyNotJsonError, parseJson } from '../../../engine/server/json-body.js';

/** The bytes cut every `size` bytes: most cuts fall inside a multi-byte character. */
function cut(bytes: Buffer, size: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
  return chunks;
}

describe('parseJson of chunks', () => {
  const text = JSON.stringify({ labels: { ['__proto__']: 'p', summary: 'nœud 日本 🚒 down', instance: 'é'.repeat(50) } });
  const whole = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);

  it('gives what the whole body gives, however the bytes are cut', () => {
    const expected = parseJson(whole);
    expect(expected).toEqual(JSON.parse(text));
    for (const size of [1, 2, 3, 5, 7, 64]) expect(parseJson(cut(whole, size))).toEqual(expected);
  });

  it('empties each slot once decoded, and refuses what is not JSON', () => {
    const chunks = cut(whole, 7);
    parseJson(chunks);
    expect(chunks.every((c) => c.byteLength === 0)).toBe(true);
    expect(() => parseJson(cut(Buffer.from('{"a":'), 2))).toThrow(BodyNotJsonError);
  });
});
