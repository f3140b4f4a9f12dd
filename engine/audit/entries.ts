/**
 * Reading the entry files of a revision in bulk: `git ls-tree -r` names them (with their blob
 * ids), `git cat-file --batch` reads a chunk of them per process. 20,000 entries cost one
 * ls-tree and five cat-file processes, never a process per file, and a chunk at a time in
 * memory.
 */
import { listTree, readBlobs } from '../git/git.js';
import type { Git } from '../git/git.js';
import type { AuditEntry } from './entry.js';
import { entryMatches, idInRange, needsContent } from './filter.js';
import type { EntryFilter } from './filter.js';

export interface ListedEntry {
  /** The file name without `.json`: the entry id, if the file is where it belongs. */
  id: string;
  path: string;
  /** The blob id of the file: equal blob ids mean equal contents. */
  blob: string;
}

export interface AuditRecord extends ListedEntry {
  content: string;
  /** The parsed file, or null when it is not JSON (see `error`). */
  entry: AuditEntry | null;
  error: string | null;
}

export interface ReadOptions {
  newestFirst?: boolean;
  limit?: number;
}

const CHUNK = 4000;
export const ACTIONS_DIR = 'actions';

/** Every .json file under actions/ at `rev`, oldest first (paths sort by date, ids by time). */
export async function listEntries(git: Git, rev: string): Promise<ListedEntry[]> {
  const files = await listTree(git, rev, ACTIONS_DIR);
  return files
    .filter((f) => f.type === 'blob' && f.path.endsWith('.json'))
    .map((f) => ({ id: f.path.slice(f.path.lastIndexOf('/') + 1, -'.json'.length), path: f.path, blob: f.sha }));
}

export async function* readEntries(git: Git, listed: readonly ListedEntry[], filter: EntryFilter = {}, options: ReadOptions = {}): AsyncGenerator<AuditRecord> {
  let wanted = listed.filter((e) => idInRange(e.id, filter));
  if (options.newestFirst) wanted = wanted.slice().reverse();
  const limit = options.limit ?? Infinity;
  // Without a filter on the content, the limit is known before reading: read only that many.
  if (!needsContent(filter)) wanted = wanted.slice(0, limit);
  let yielded = 0;
  for (let at = 0; at < wanted.length && yielded < limit; at += CHUNK) {
    const chunk = wanted.slice(at, at + CHUNK);
    const blobs = await readBlobs(git, chunk.map((e) => e.blob));
    for (let i = 0; i < chunk.length && yielded < limit; i++) {
      const record = toRecord(chunk[i]!, blobs[i] ?? null);
      if (record.entry && !entryMatches(record.entry, filter)) continue;
      if (!record.entry && needsContent(filter)) continue;
      yielded++;
      yield record;
    }
  }
}

function toRecord(listed: ListedEntry, blob: Buffer | null): AuditRecord {
  if (!blob) return { ...listed, content: '', entry: null, error: `blob ${listed.blob} is missing from the repository` };
  const content = blob.toString('utf8');
  try {
    const entry = JSON.parse(content) as unknown;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return { ...listed, content, entry: null, error: 'not a JSON object' };
    return { ...listed, content, entry: entry as AuditEntry, error: null };
  } catch (error) {
    return { ...listed, content, entry: null, error: `not JSON: ${(error as Error).message}` };
  }
}
