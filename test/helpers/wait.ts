/** Waiting in tests: poll a condition with a deadline, never sleep a fixed time. */
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls until `probe` returns something other than undefined/false, backing off from 5 ms to
 * 100 ms, or fails after `deadlineMs` naming what it waited for.
 */
export async function waitFor<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, what: string, deadlineMs = 20_000): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (let pause = 5; ; pause = Math.min(pause * 2, 100)) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await sleep(pause);
  }
}
