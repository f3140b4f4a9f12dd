/** The last N audit entries as they now stand (GET /api/v1/actions); older ones are in git. */
import type { AuditEntry } from '../audit/entry.js';

export interface RecentFilter {
  policy?: string;
  target?: string;
  outcome?: string;
  limit?: number;
}

export class RecentActions {
  private readonly entries = new Map<string, AuditEntry>();

  constructor(private readonly capacity: number) {}

  put(entry: AuditEntry): void {
    this.entries.delete(entry.id); // re-inserted: a changed entry counts as recent
    this.entries.set(entry.id, entry);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  get(id: string): AuditEntry | undefined {
    return this.entries.get(id);
  }

  /** Newest first. */
  list(filter: RecentFilter = {}): AuditEntry[] {
    const out: AuditEntry[] = [];
    const all = [...this.entries.values()].reverse();
    for (const e of all) {
      if (e.kind !== 'action') continue;
      if (filter.policy !== undefined && e.policy !== filter.policy) continue;
      if (filter.target !== undefined && e.target !== filter.target) continue;
      if (filter.outcome !== undefined && (e.outcome ?? 'pending') !== filter.outcome) continue;
      out.push(e);
      if (out.length >= (filter.limit ?? 100)) break;
    }
    return out;
  }
}
