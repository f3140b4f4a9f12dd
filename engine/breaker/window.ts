/**
 * Distinct keys seen within a sliding window (alert fingerprints, targets), each with the last
 * time it was seen and a name (an alert's alertname). A key seen again moves to the end, so
 * the map stays in the order of last sight and expiring is dropping from its front: counting
 * a storm costs a map update per alert, whatever its size.
 */

/** Keys kept at most: past this the oldest go first (the count is then far over any threshold). */
export const WINDOW_KEYS_MAX = 100_000;

export class SlidingSet {
  private readonly seen = new Map<string, { at: number; name: string }>();

  constructor(private readonly windowMs: () => number) {}

  touch(key: string, name: string, now: number): void {
    this.seen.delete(key);
    this.seen.set(key, { at: now, name });
    if (this.seen.size > WINDOW_KEYS_MAX) this.seen.delete(this.seen.keys().next().value!);
  }

  /** Distinct keys seen within the window ending at `now`. */
  count(now: number): number {
    this.expire(now);
    return this.seen.size;
  }

  /** The names most seen among the keys within the window, most first, ties by name. */
  top(now: number, n: number): { name: string; count: number }[] {
    this.expire(now);
    const counts = new Map<string, number>();
    for (const { name } of this.seen.values()) counts.set(name, (counts.get(name) ?? 0) + 1);
    return [...counts].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0)).slice(0, n).map(([name, count]) => ({ name, count }));
  }

  clear(): void {
    this.seen.clear();
  }

  private expire(now: number): void {
    const since = now - this.windowMs();
    for (const [key, { at }] of this.seen) {
      if (at > since) break;
      this.seen.delete(key);
    }
  }
}
