/**
 * Login attempts limited: after FAILURES_PER_ADDRESS wrong tokens from one address within
 * WINDOW_MS, or FAILURES_OVERALL from everyone (a spread-out guess), further attempts are
 * refused until the window has passed. A token of 16 characters or more is not guessed in
 * that many tries; the limit keeps a guesser from trying at the speed of the network.
 */
const WINDOW_MS = 15 * 60_000;
const FAILURES_PER_ADDRESS = 10;
const FAILURES_OVERALL = 100;
/** Addresses remembered at most (the oldest forgotten first). */
const ADDRESSES = 10_000;

export class LoginLimit {
  private readonly failures = new Map<string, number[]>();
  private overall: number[] = [];

  constructor(private readonly clock: () => number = Date.now) {}

  /** Milliseconds until this address may try again, or 0 when it may now. */
  waitFor(address: string): number {
    const now = this.clock();
    const since = now - WINDOW_MS;
    this.overall = this.overall.filter((t) => t > since);
    const mine = (this.failures.get(address) ?? []).filter((t) => t > since);
    if (mine.length) this.failures.set(address, mine);
    else this.failures.delete(address);
    const waits = [mine.length >= FAILURES_PER_ADDRESS ? mine[0]! + WINDOW_MS - now : 0, this.overall.length >= FAILURES_OVERALL ? this.overall[0]! + WINDOW_MS - now : 0];
    return Math.max(...waits);
  }

  failed(address: string): void {
    const now = this.clock();
    this.overall.push(now);
    const mine = this.failures.get(address) ?? [];
    this.failures.delete(address);
    this.failures.set(address, [...mine, now]);
    if (this.failures.size > ADDRESSES) this.failures.delete(this.failures.keys().next().value!);
  }
}
