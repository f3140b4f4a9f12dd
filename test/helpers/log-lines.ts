/** A pino logger whose JSON lines a test reads back, parsed, in order. */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Logger } from 'pino';

export function capturedLog(level = 'info'): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level }, sink), lines };
}
