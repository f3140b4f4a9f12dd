/**
 * node:fs with the calls the journal writes through wrapped in vi.fn, for tests that make a
 * disk full or failing. vi.mock is hoisted above the imports, so the helper is imported in it:
 * `vi.mock('node:fs', async (original) => (await import('…/fs-faults.js')).faultyFs(original))`.
 * Wrapped, not replaced: the journal writes real files; a test counts the writes and fsyncs
 * or makes some of them fail or fall short.
 */
import { promisify } from 'node:util';
import { vi } from 'vitest';

type Fs = typeof import('node:fs');

export async function faultyFs(importOriginal: () => Promise<Fs>) {
  const fs = await importOriginal();
  // The journal promisifies `write` when it loads. promisify(fs.write) resolves
  // `{ bytesWritten, buffer }` through a marker internal to Node that a wrapper does not carry,
  // so the wrapper gets the same promisified form explicitly, going through the wrapper.
  const write = Object.assign(vi.fn(fs.write), { [ASKED]: [] as string[] });
  Object.defineProperty(write, promisify.custom, {
    value: (...args: unknown[]) =>
      new Promise((resolve, reject) => {
        // The journal reuses its write buffer: what a write was asked to write is read now.
        const [, buffer, offset, length] = args as [number, Buffer, number, number];
        write[ASKED].push(buffer.toString('utf8', offset, offset + length));
        (write as unknown as (...a: unknown[]) => void)(...args, (error: Error | null, bytesWritten: number, buffer: unknown) =>
          error ? reject(error) : resolve({ bytesWritten, buffer }),
        );
      }),
  });
  return { ...fs, write, fdatasync: vi.fn(fs.fdatasync), writeSync: vi.fn(fs.writeSync) };
}

const ASKED = Symbol('texts asked to write');

/**
 * The text each call of the wrapped `write` was asked to write, in order, read when it was
 * called (the buffer may be reused afterwards); clear it with the mock (`.length = 0`).
 */
export function askedToWrite(write: unknown): string[] {
  return (write as { [ASKED]: string[] })[ASKED];
}

export type WriteCallback = (error: NodeJS.ErrnoException | null, written: number, buffer: Buffer) => void;
export type WriteArgs = [fd: number, buffer: Buffer, offset: number, length: number, position: number | null, callback: WriteCallback];

/** An error as the system call gives it. */
export function systemError(code: 'ENOSPC' | 'EIO', syscall: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${code === 'ENOSPC' ? 'no space left on device' : 'i/o error'}, ${syscall}`), { code, syscall });
}
