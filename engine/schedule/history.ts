/**
 * The routine jobs' run history (GET /api/v1/runs, `homeostat runs`), newest first, a page at a
 * time. The engine's memory of recent entries holds every entry created after its mark
 * (runtime/recent.ts `completeAfter`): those come from memory, the older ones (before the
 * engine started, or dropped from memory) from the audit repository, read only as far back as
 * the page needs. Memory's copy of an entry wins: it may hold an outcome git has not yet.
 */
import type { AuditEntry } from '../audit/entry.js';
import { entryMatches, idStamp } from '../audit/filter.js';
import type { NewestQuery } from '../audit/newest.js';

export interface RunQuery {
  schedule?: string;
  target?: string;
  /** An outcome, or 'pending' for none yet. */
  outcome?: string;
  /** Only runs decided at or after this instant. */
  since?: Date;
  /** An entry id: only runs decided before it (the `next` of the previous page). */
  before?: string;
  limit: number;
}

export interface RunPage {
  runs: AuditEntry[];
  /** Give it as `before` for the next page; null on the last page. */
  next: string | null;
  /** Why the runs older than memory could not be read (the page then holds memory's only). */
  incomplete?: string;
}

export interface RunMemory {
  list(filter: { kind: 'run'; limit: number }): AuditEntry[];
  readonly completeAfter: string;
}

/** Where older runs are read: the audit repository, newest first (audit/newest.ts). */
export interface RunArchive {
  newestOfKind(query: NewestQuery): AsyncIterable<AuditEntry>;
}

export class RunHistory {
  private archive: Promise<RunArchive> | null = null;

  constructor(
    private readonly memory: RunMemory,
    /** Opens the archive; called once, and again after a failure. */
    private readonly open: () => Promise<RunArchive>,
  ) {}

  async list(query: RunQuery): Promise<RunPage> {
    return listRuns(query, this.memory, (q) => this.read(q));
  }

  private async *read(query: NewestQuery): AsyncGenerator<AuditEntry> {
    this.archive ??= this.open();
    let archive: RunArchive;
    try {
      archive = await this.archive;
    } catch (error) {
      this.archive = null;
      throw error;
    }
    yield* archive.newestOfKind(query);
  }
}

const newestFirst = (a: AuditEntry, b: AuditEntry) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

export async function listRuns(query: RunQuery, memory: RunMemory, archive: (query: NewestQuery) => AsyncIterable<AuditEntry>): Promise<RunPage> {
  const wanted = query.limit + 1; // one more than the page: whether there is a next one
  const since = query.since ? idStamp(query.since) : null;
  const inRange = (id: string) => (since === null || id >= since) && (query.before === undefined || id < query.before);
  const matches = (e: AuditEntry) => e.kind === 'run' && (query.schedule === undefined || e.schedule?.name === query.schedule) && entryMatches(e, { target: query.target, outcome: query.outcome });
  const held = new Map<string, AuditEntry>();
  for (const e of memory.list({ kind: 'run', limit: Number.MAX_SAFE_INTEGER })) if (inRange(e.id)) held.set(e.id, e);
  const horizon = memory.completeAfter;
  const runs = [...held.values()].filter((e) => e.id > horizon && matches(e)).sort(newestFirst);
  let incomplete: string | undefined;
  if (runs.length < wanted && horizon !== '' && (since === null || since <= horizon)) {
    const through = query.before !== undefined && query.before < horizon ? query.before : horizon;
    const older: AuditEntry[] = [];
    const stored = new Set<string>();
    let stoppedAt: string | null = null;
    try {
      for await (const entry of archive({ kind: 'run', through, ...(query.since ? { since: query.since } : {}) })) {
        if (!inRange(entry.id)) continue;
        stored.add(entry.id);
        const e = held.get(entry.id) ?? entry;
        if (matches(e)) older.push(e);
        if (runs.length + older.length >= wanted) {
          stoppedAt = entry.id;
          break;
        }
      }
    } catch (error) {
      incomplete = `runs older than the engine's memory could not be read from the audit repository: ${(error as Error).message}`;
    }
    // Runs memory holds that git does not have yet, among those the archive was read for.
    for (const e of held.values()) if (e.id <= through && !stored.has(e.id) && (stoppedAt === null || e.id > stoppedAt) && matches(e)) older.push(e);
    runs.push(...older.sort(newestFirst));
  }
  const page = runs.slice(0, query.limit);
  return { runs: page, next: runs.length > query.limit ? page.at(-1)!.id : null, ...(incomplete ? { incomplete } : {}) };
}
