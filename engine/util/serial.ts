/**
 * One run at a time of a task that reads the world afresh (a sync, a reload). Asked while a
 * run is under way, it answers with the run that starts after it, one for all who ask
 * meanwhile: whoever asks after a change gets a run that began after the change.
 */
export class Serial<T> {
  private running: Promise<T> | null = null;
  private queued: Promise<T> | null = null;

  constructor(private readonly task: () => Promise<T>) {}

  run(): Promise<T> {
    if (this.queued) return this.queued;
    if (!this.running) return this.begin();
    this.queued = this.running.then(noop, noop).then(() => {
      this.queued = null;
      return this.begin();
    });
    return this.queued;
  }

  /** Settles when no run is under way or asked for. */
  async idle(): Promise<void> {
    while (this.running || this.queued) await (this.queued ?? this.running)!.then(noop, noop);
  }

  private begin(): Promise<T> {
    const run = this.task().finally(() => {
      if (this.running === run) this.running = null;
    });
    this.running = run;
    return run;
  }
}

const noop = () => undefined;
