/**
 * The engine's durable state behind one interface: the guards' memory (dedup keys, and when
 * and where actions were decided: cooldowns, rate windows, blast radius) and keyed state
 * (pending approvals, the pause, the storm breaker). The embedded store needs no server: it
 * keeps the state in memory and makes each change durable in the engine's journal, which
 * start-up replays (runtime/recovery.ts) and compaction keeps. A store shared by several
 * replicas implements the same interface.
 *
 * Keys are namespaced by their owner, `owner/name` (`approval/ID`, `pause`, `breaker`), and
 * values are plain JSON: what a restart reads back is exactly what was written.
 */
import type { AuditEntry } from '../audit/entry.js';
import type { StateChange } from '../audit/journal.js';
import type { GuardLedger } from '../plan/ledger.js';

export type { StateChange } from '../audit/journal.js';

export interface StateStore {
  /** Dedup keys and the guards' history. */
  readonly ledger: GuardLedger;
  get<T>(key: string): T | undefined;
  /** Every key under `prefix` with its value, in the order they were set (a key deleted and set again comes last). */
  list<T>(prefix: string): [string, T][];
  /**
   * Applies the changes at once (what is decided next sees them) and makes them durable
   * together with the audit entries that record them: resolves once both are on disk.
   */
  commit(changes: readonly StateChange[], entries?: readonly AuditEntry[]): Promise<void>;
}

/** Writes the entries and then the state record, as one append; resolves when durable. */
export type AppendState = (entries: readonly AuditEntry[], record: { t: 'state'; at: number; changes: StateChange[] } | null) => Promise<void>;

export class EmbeddedStateStore implements StateStore {
  constructor(
    /** The state replayed from the journal at start-up. */
    private readonly kv: Map<string, unknown>,
    /** The engine's ledger (compaction swaps it for a trimmed copy). */
    private readonly ledgerOf: () => GuardLedger,
    private readonly append: AppendState,
    private readonly clock: () => number = Date.now,
  ) {}

  get ledger(): GuardLedger {
    return this.ledgerOf();
  }

  get<T>(key: string): T | undefined {
    return this.kv.get(key) as T | undefined;
  }

  list<T>(prefix: string): [string, T][] {
    const found: [string, T][] = [];
    for (const [key, value] of this.kv) if (key.startsWith(prefix)) found.push([key, value as T]);
    return found;
  }

  commit(changes: readonly StateChange[], entries: readonly AuditEntry[] = []): Promise<void> {
    applyChanges(this.kv, changes);
    return this.append(entries, changes.length ? { t: 'state', at: this.clock(), changes: [...changes] } : null);
  }

  /** The state as a compaction keeps it. */
  snapshot(): [string, unknown][] {
    return [...this.kv];
  }
}

/** Applies changes in order: a value sets its key, null deletes it. */
export function applyChanges(kv: Map<string, unknown>, changes: readonly StateChange[]): void {
  for (const [key, value] of changes) {
    if (value === null) kv.delete(key);
    else kv.set(key, value);
  }
}
