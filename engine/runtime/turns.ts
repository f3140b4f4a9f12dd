/**
 * Tasks that must not overlap, run one after the other in the order they were asked for. The
 * engine decides one payload that may touch the guards' memory at a time (engine.ts): its
 * decisions are made in slices with turns of the event loop between them, and no other
 * payload may read or change the ledger until they are all journaled.
 */
export class Turns {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T> | T): Promise<T> {
    const run = this.tail.then(task);
    this.tail = run.catch(() => undefined);
    return run;
  }
}
