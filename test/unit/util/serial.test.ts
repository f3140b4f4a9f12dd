import { describe, expect, it } from 'vitest';
import { Serial } from '../../../engine/util/serial.js';

/** A task whose runs end when the test says, each answering with its own number. */
function controlled() {
  const ends: (() => void)[] = [];
  let started = 0;
  const serial = new Serial(async () => {
    const n = ++started;
    await new Promise<void>((resolve) => ends.push(resolve));
    return n;
  });
  return { serial, end: () => ends.shift()!(), started: () => started };
}

describe('Serial', () => {
  it('runs one at a time; asked during a run, answers with the next run, one for all who asked', async () => {
    const { serial, end, started } = controlled();
    const first = serial.run();
    const second = serial.run();
    const third = serial.run();
    expect(second).toBe(third);
    expect(started()).toBe(1);
    end();
    expect(await first).toBe(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(started()).toBe(2);
    end();
    expect(await second).toBe(2);
    const fourth = serial.run();
    await new Promise((resolve) => setImmediate(resolve));
    end();
    expect(await fourth).toBe(3);
  });

  it('goes on after a run that fails, and idle() waits for the runs asked for', async () => {
    let calls = 0;
    const serial = new Serial(async () => {
      calls++;
      if (calls === 1) throw new Error('first fails');
      return calls;
    });
    const failed = serial.run();
    const next = serial.run();
    await expect(failed).rejects.toThrow('first fails');
    expect(await next).toBe(2);
    serial.run();
    await serial.idle();
    expect(calls).toBe(3);
  });
});
