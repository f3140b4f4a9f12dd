/**
 * What guards need to remember: seen keys of alerts (which alert+policy pairs were decided,
 * which alerts were seen resolved, whose actions ran: see plan/decide.ts), and when and where
 * actions were started, indexed so that every check is a map lookup or a binary search,
 * whatever the history. The CLI's simulations use one as the engine does; the engine rebuilds
 * its own from the journal at start-up (the journal is what makes it durable) and drops
 * entries older than any guard can look back.
 */
export interface LedgerEntry {
  policy: string;
  phase: string;
  target: string;
  disruptive: boolean;
  /** It takes its node out of service (engine/plan/node-guards.ts): minHealthy counts it. Absent in older journals. */
  node?: true;
  /** A node-disruptive entry's other names for its node (a kubernetes node address, an ansible limit), when it has any. */
  touches?: string[];
  at: number;
  /**
   * A routine job's run: 'target' when its schedule sets a cooldown, so that the run holds the
   * target for every policy's cooldown; 'own' when it does not (a read-only check), so that it
   * counts for its schedule alone. Absent: an alert's action.
   */
  holds?: 'target' | 'own';
}

export interface GuardLedger {
  seen(key: string): boolean;
  markSeen(key: string): void;
  lastStart(policy: string, phase: string, target: string): number | undefined;
  /** When any action (of any policy or schedule) was last decided for a target. */
  lastOnTarget?(target: string): number | undefined;
  /** The latest run of a schedule that holds its target (`holds: 'target'`), and which schedule. */
  lastRunOnTarget?(target: string): { schedule: string; at: number } | undefined;
  countPolicy(policy: string, phase: string, since: number): number;
  countDisruptive(since: number): number;
  /** When the n-th latest action of the policy phase was decided (1: the latest); undefined when fewer. */
  nthLatestPolicy(policy: string, phase: string, n: number): number | undefined;
  /** When the n-th latest disruptive action was decided (1: the latest); undefined when fewer. */
  nthLatestDisruptive(n: number): number | undefined;
  /**
   * The node-disruptive entries in time order, and the index of the first decided at `since` or
   * later (minHealthy's holders): the list itself, not a copy, so that a storm's decisions do
   * not copy it each; read it, never change it.
   */
  nodeDisruptions?(since: number): NodeDisruptions;
  record(entry: LedgerEntry): void;
}

export interface NodeDisruptions {
  entries: readonly LedgerEntry[];
  from: number;
}

/** Dedup keys are kept this long: Alertmanager re-sends a firing alert for as long as it fires. */
export const SEEN_RETENTION_MS = 30 * 24 * 3600_000;
/** Guard history is kept this long: longer than any cooldown, rate limit or blast-radius window. */
export const LEDGER_RETENTION_MS = 7 * 24 * 3600_000;

export class IndexedLedger implements GuardLedger {
  private readonly seenAt = new Map<string, number>();
  private readonly last = new Map<string, number>();
  private readonly lastTarget = new Map<string, number>();
  private readonly lastRun = new Map<string, { schedule: string; at: number }>();
  private readonly perPolicy = new Map<string, number[]>();
  private readonly disruptive: number[] = [];
  /** Node-disruptive entries and their times, both in time order. */
  private readonly nodeTimes: number[] = [];
  private readonly nodeEntries: LedgerEntry[] = [];
  private readonly entries: LedgerEntry[] = [];

  constructor(private readonly clock: () => number = Date.now) {}

  static restore(state: { seen: Iterable<readonly [string, number]>; ledger: Iterable<LedgerEntry> }, clock?: () => number): IndexedLedger {
    const ledger = new IndexedLedger(clock);
    for (const [key, at] of state.seen) ledger.markSeen(key, at);
    for (const entry of state.ledger) ledger.record(entry);
    return ledger;
  }

  seen(key: string): boolean {
    return this.seenAt.has(key);
  }

  markSeen(key: string, at: number = this.clock()): void {
    this.seenAt.set(key, at);
  }

  lastStart(policy: string, phase: string, target: string): number | undefined {
    return this.last.get(`${policy}\0${phase}\0${target}`);
  }

  lastOnTarget(target: string): number | undefined {
    return this.lastTarget.get(target);
  }

  lastRunOnTarget(target: string): { schedule: string; at: number } | undefined {
    return this.lastRun.get(target);
  }

  countPolicy(policy: string, phase: string, since: number): number {
    const times = this.perPolicy.get(`${policy}\0${phase}`);
    return times ? times.length - lowerBound(times, since) : 0;
  }

  countDisruptive(since: number): number {
    return this.disruptive.length - lowerBound(this.disruptive, since);
  }

  nthLatestPolicy(policy: string, phase: string, n: number): number | undefined {
    const times = this.perPolicy.get(`${policy}\0${phase}`);
    return times?.[times.length - n];
  }

  nthLatestDisruptive(n: number): number | undefined {
    return this.disruptive[this.disruptive.length - n];
  }

  nodeDisruptions(since: number): NodeDisruptions {
    return { entries: this.nodeEntries, from: lowerBound(this.nodeTimes, since) };
  }

  record(entry: LedgerEntry): void {
    this.entries.push(entry);
    if (entry.node) {
      const at = insertSorted(this.nodeTimes, entry.at);
      this.nodeEntries.splice(at, 0, entry);
    }
    const key = `${entry.policy}\0${entry.phase}\0${entry.target}`;
    this.last.set(key, Math.max(this.last.get(key) ?? -Infinity, entry.at));
    if (entry.holds !== 'own') this.lastTarget.set(entry.target, Math.max(this.lastTarget.get(entry.target) ?? -Infinity, entry.at));
    const run = this.lastRun.get(entry.target);
    if (entry.holds === 'target' && (!run || run.at <= entry.at)) this.lastRun.set(entry.target, { schedule: entry.policy, at: entry.at });
    const policyKey = `${entry.policy}\0${entry.phase}`;
    let times = this.perPolicy.get(policyKey);
    if (!times) this.perPolicy.set(policyKey, (times = []));
    insertSorted(times, entry.at);
    if (entry.disruptive) insertSorted(this.disruptive, entry.at);
  }

  get size(): { seen: number; entries: number } {
    return { seen: this.seenAt.size, entries: this.entries.length };
  }

  /** What a restart must remember: only what a guard can still look at. */
  export(now: number): { seen: [string, number][]; ledger: LedgerEntry[] } {
    return retained([...this.seenAt], this.entries, now);
  }
}

/** The dedup keys and guard history a guard can still look at, at `now`. */
export function retained(seen: readonly [string, number][], ledger: readonly LedgerEntry[], now: number): { seen: [string, number][]; ledger: LedgerEntry[] } {
  return {
    seen: seen.filter(([, at]) => at >= now - SEEN_RETENTION_MS),
    ledger: ledger.filter((e) => e.at >= now - LEDGER_RETENTION_MS),
  };
}

function lowerBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Times arrive nearly in order, so this is an append almost always. Returns where it went. */
function insertSorted(sorted: number[], value: number): number {
  if (sorted.length === 0 || sorted[sorted.length - 1]! <= value) {
    sorted.push(value);
    return sorted.length - 1;
  }
  const at = lowerBound(sorted, value + Number.MIN_VALUE);
  sorted.splice(at, 0, value);
  return at;
}
