/**
 * The newest entries of one kind (the runs of the routine jobs, say), read day directory by day
 * directory from the newest back, so that a reader who wants the last hundred, or those since
 * a date, opens only the days it needs: the day directories are listed (`ls-tree -d`, trees
 * only), `git grep` picks the files of that kind in a batch of days (git reads the blobs, not
 * this process), and only those are read (`cat-file --batch`), newest first, a chunk at a time.
 * The reader stops when it has enough.
 */
import { grepFiles, listTree, readBlobs, resolveCommit } from '../git/git.js';
import type { Git } from '../git/git.js';
import type { AuditEntry } from './entry.js';
import { ACTIONS_DIR } from './entries.js';
import { idStamp } from './filter.js';

export interface NewestQuery {
  kind: AuditEntry['kind'];
  /** Only entries created at or after this instant (their id says when). */
  since?: Date;
  /** Only entries whose id sorts at or before this one (ids sort by creation time). */
  through?: string;
}

/** Days grepped together at most: a batch doubles from two days. */
const MAX_DAYS_PER_GREP = 32;
const READ_CHUNK = 200;
const DAY = /^\d{4}\/\d{2}\/\d{2}$/;

/** The top-level `kind` line of an entry file (serializeEntry indents by two). */
function kindLine(kind: string): string {
  return `^  "kind": "${kind}",?$`;
}

/** Entries of `query.kind` at the head of `ref`, newest first; stop iterating when done. */
export async function* newestOfKind(git: Git, ref: string, query: NewestQuery): AsyncGenerator<AuditEntry> {
  const commit = await resolveCommit(git, ref);
  if (commit === null) return;
  const from = query.since ? dayOf(query.since.toISOString().slice(0, 10).replace(/-/g, '')) : null;
  const to = query.through ? dayOf(query.through.slice(0, 8)) : null;
  const since = query.since ? idStamp(query.since) : null;
  let batch: string[] = [];
  let size = 2; // today's and yesterday's first: most readers want the latest runs
  for (const day of await daysNewestFirst(git, commit, from, to)) {
    batch.push(day);
    if (batch.length < size) continue;
    yield* readBatch(git, commit, batch, query, since);
    batch = [];
    size = Math.min(MAX_DAYS_PER_GREP, size * 2);
  }
  if (batch.length) yield* readBatch(git, commit, batch, query, since);
}

async function* readBatch(git: Git, commit: string, days: readonly string[], query: NewestQuery, since: string | null): AsyncGenerator<AuditEntry> {
  const dirs = days.map((d) => `${ACTIONS_DIR}/${d}`);
  const matched = await grepFiles(git, commit, kindLine(query.kind), dirs);
  if (matched.length === 0) return;
  // Read by blob id: a `commit:path` spec makes cat-file walk the day's tree (thousands of
  // entries) once per file, which cost 7 times the reading itself.
  const blobOf = new Map((await listTree(git, commit, dirs)).map((e) => [e.path, e.sha]));
  const paths = matched
    .filter((path) => path.endsWith('.json') && blobOf.has(path))
    .map((path) => ({ blob: blobOf.get(path)!, id: path.slice(path.lastIndexOf('/') + 1, -'.json'.length) }))
    .filter(({ id }) => (since === null || id >= since) && (query.through === undefined || id <= query.through))
    .sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  for (let at = 0; at < paths.length; at += READ_CHUNK) {
    const chunk = paths.slice(at, at + READ_CHUNK);
    const blobs = await readBlobs(git, chunk.map((p) => p.blob));
    for (const blob of blobs) {
      const entry = parse(blob);
      if (entry?.kind === query.kind) yield entry;
    }
  }
}

/** The day directories ("YYYY/MM/DD") between `from` and `to` (either open), newest first: one `ls-tree -d`. */
async function daysNewestFirst(git: Git, commit: string, from: string | null, to: string | null): Promise<string[]> {
  const prefix = `${ACTIONS_DIR}/`;
  return (await listTree(git, commit, ACTIONS_DIR, { treesOnly: true }))
    .map((e) => e.path.slice(prefix.length))
    .filter((day) => DAY.test(day) && (from === null || day >= from) && (to === null || day <= to))
    .sort()
    .reverse();
}

/** "20261203" as "2026/12/03". */
function dayOf(compact: string): string {
  return `${compact.slice(0, 4)}/${compact.slice(4, 6)}/${compact.slice(6, 8)}`;
}

function parse(blob: Buffer | null): AuditEntry | null {
  if (!blob) return null;
  try {
    const value = JSON.parse(blob.toString('utf8')) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as AuditEntry) : null;
  } catch {
    return null;
  }
}
