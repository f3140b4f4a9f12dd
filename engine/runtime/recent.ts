/**
 * The last audit entries as they now stand (GET /api/v1/actions); older ones are in git. The
 * bound is on actions, not files: a 'refusals' entry counts once for each action it lists (a
 * storm's refusals would otherwise keep hundreds of thousands of alerts in memory).
 */
import { entryMatches } from '../audit/filter.js';
import type { EntryFilter } from '../audit/filter.js';
import type { AuditEntry } from '../audit/entry.js';
import { actionsOf } from '../audit/entry.js';

export interface RecentFilter {
  /** Default: actions and refusals; 'run' for routine job runs. */
  kind?: 'run';
  policy?: string;
  target?: string;
  outcome?: string;
  limit?: number;
}

export class RecentActions {
  private readonly entries = new Map<string, AuditEntry>();
  private weight = 0;

  /**
   * `capacity`: how many actions are kept. `horizon`: the id stamp of the engine's start;
   * entries created before it were not put here (they are in the audit repository).
   */
  constructor(
    private readonly capacity: number,
    private horizon = '',
  ) {}

  /**
   * Every entry put here whose id sorts after this one is still here: it is the newest id ever
   * dropped (or the start's stamp), so an entry after it was never dropped. The entries up to
   * it are read from the audit repository (schedule/history.ts).
   */
  get completeAfter(): string {
    return this.horizon;
  }

  put(entry: AuditEntry): void {
    this.remove(entry.id); // re-inserted: a changed entry counts as recent
    this.entries.set(entry.id, entry);
    this.weight += actionsOf(entry);
    // The newest entry stays, however heavy.
    while (this.weight > this.capacity && this.entries.size > 1) {
      const oldest = this.entries.keys().next().value!;
      if (oldest > this.horizon) this.horizon = oldest;
      this.remove(oldest);
    }
  }

  private remove(id: string): void {
    const old = this.entries.get(id);
    if (!old) return;
    this.entries.delete(id);
    this.weight -= actionsOf(old);
  }

  get(id: string): AuditEntry | undefined {
    return this.entries.get(id);
  }

  /** Newest first. */
  list(filter: RecentFilter = {}): AuditEntry[] {
    const out: AuditEntry[] = [];
    const all = [...this.entries.values()].reverse();
    const wanted: EntryFilter = { kind: filter.kind ?? ['action', 'refusals'], policy: filter.policy, target: filter.target, outcome: filter.outcome };
    for (const e of all) {
      if (!entryMatches(e, wanted)) continue;
      out.push(e);
      if (out.length >= (filter.limit ?? 100)) break;
    }
    return out;
  }
}
