/**
 * A request body read as the chunks it arrived in, never copied into one buffer. fastify's
 * `parseAs: 'buffer'` concatenates them: for a 32 MiB webhook that is one 32 MiB allocation
 * on top of the chunks, and once glibc's malloc has freed a block that large it keeps up to
 * twice as much freed memory in the process instead of giving it back (its mmap threshold
 * follows the largest block freed): some 75 MB of a storm's peak RSS. Chunks of 64 KiB
 * stay below that threshold, and a large body's chunks move to the parser thread as they are.
 *
 * The checks are fastify's own (content-type-parser.js rawBody), with its errors: a
 * Content-Length over the limit is refused before a byte is read, a body that grows past it
 * as soon as it does, and one that ends short of its Content-Length is a 400.
 */
import type { Readable } from 'node:stream';
import { errorCodes } from 'fastify';

export function readBodyChunks(payload: Readable, contentLengthHeader: string | undefined, limit: number): Promise<Buffer[]> {
  const contentLength = Number(contentLengthHeader);
  if (contentLength > limit) return Promise.reject(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const stop = () => {
      payload.removeListener('data', onData);
      payload.removeListener('end', onEnd);
      payload.removeListener('error', onEnd);
    };
    const onData = (chunk: Buffer | string) => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      received += bytes.length;
      if (received > limit) {
        stop();
        reject(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
        return;
      }
      chunks.push(bytes);
    };
    const onEnd = (error?: Error & { statusCode?: number }) => {
      stop();
      if (error) {
        if (!(typeof error.statusCode === 'number' && error.statusCode >= 400)) error.statusCode = 400;
        reject(error);
        return;
      }
      if (!Number.isNaN(contentLength) && received !== contentLength) {
        reject(new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH());
        return;
      }
      resolve(chunks);
    };
    payload.on('data', onData);
    payload.on('end', onEnd);
    payload.on('error', onEnd);
    payload.resume();
  });
}

/** How many bytes the chunks hold. */
export function byteLength(chunks: readonly Uint8Array[]): number {
  let n = 0;
  for (const chunk of chunks) n += chunk.byteLength;
  return n;
}
