/** The last bytes a child wrote to stdout and stderr, in arrival order, in bounded memory. */
import { redact, redactTail } from './redact.js';

export interface OutputTail {
  push(chunk: Uint8Array): void;
  /** The tail as text, secrets masked. */
  text(secrets: readonly string[]): string;
  truncated(): boolean;
  /** The tail's bytes as they arrived: not decoded, not masked. */
  bytes(): Buffer;
}

export function createOutputTail(capBytes: number): OutputTail {
  const chunks: Buffer[] = [];
  let size = 0;
  let dropped = false;

  function push(chunk: Uint8Array): void {
    if (capBytes <= 0) {
      dropped ||= chunk.length > 0;
      return;
    }
    // Copies, so that a huge chunk is not kept alive by the slice of it we keep.
    const kept = chunk.length > capBytes ? Buffer.from(chunk.subarray(chunk.length - capBytes)) : Buffer.from(chunk);
    dropped ||= kept.length < chunk.length;
    chunks.push(kept);
    size += kept.length;
    while (size > capBytes) {
      const first = chunks[0]!;
      const excess = size - capBytes;
      dropped = true;
      if (first.length <= excess) {
        chunks.shift();
        size -= first.length;
      } else {
        chunks[0] = Buffer.from(first.subarray(excess));
        size -= excess;
      }
    }
  }

  function text(secrets: readonly string[]): string {
    let bytes = Buffer.concat(chunks);
    if (!dropped) return redact(bytes.toString('utf8'), secrets);
    // The cut may fall inside a UTF-8 character: start at the next whole one.
    let start = 0;
    while (start < bytes.length && start < 3 && (bytes[start]! & 0xc0) === 0x80) start++;
    bytes = bytes.subarray(start);
    return redactTail(bytes.toString('utf8'), secrets);
  }

  return { push, text, truncated: () => dropped, bytes: () => Buffer.concat(chunks) };
}
