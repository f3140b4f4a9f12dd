/**
 * Long synchronous work (a storm's evaluation) cut into slices of time: between two slices the
 * event loop takes a turn (setImmediate, after pending I/O), so health checks and other
 * requests are answered while it goes on. Slices are measured in time, not in items: an item
 * may cost 1 µs or 1 ms depending on the policy set, and a count fits only one of them.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';

/** How long the event loop is held at most between two turns (plus the item under way). */
export const SLICE_MS = 10;

export class TimeSlices {
  private sliceStart = performance.now();

  constructor(private readonly sliceMs = SLICE_MS) {}

  /** Whether the current slice is used up: then `await turn()` before the next item. */
  due(): boolean {
    return performance.now() - this.sliceStart >= this.sliceMs;
  }

  /** Gives the event loop a turn, and starts a new slice. */
  async turn(): Promise<void> {
    await nextTurn();
    this.sliceStart = performance.now();
  }
}
