/**
 * A payload's records into the journal as they are serialized: a storm's 'refusals' entries
 * (some 125 MB of JSON in all) are handed over one at a time, so that the journal writes each
 * while the next is made instead of all of them being held until one write.
 *
 * The records of the payload then have seqs that other records (an action's outcome, say)
 * may come between. The auditor writes "committed up to seq N" records; one written for an
 * interleaved record would cover this payload's entries before they are even queued. So the
 * payload's first seq is held from the auditor (Auditor.expect) until its entries are queued.
 */
import type { AuditEntry } from '../audit/entry.js';
import type { Journal, Line } from '../audit/journal.js';
import { encodeEntryParts } from '../audit/journal-text.js';
import type { Auditor } from './auditor.js';

export interface Appended {
  /** The entries' seqs, in order. */
  seqs: number[];
  /** Resolves once every record is on disk. */
  durable: Promise<void>;
  /** Lets the auditor's 'committed' records reach these entries: call once they are queued (or given up). */
  release: () => void;
}

/** Appends an entry record per entry, then `last` (the state and guard records) if any, in that order. */
export async function appendInParts(journal: Journal, auditor: Pick<Auditor, 'expect'>, entries: readonly AuditEntry[], last: string | null | readonly string[]): Promise<Appended> {
  const seqs: number[] = [];
  const durables: Promise<void>[] = [];
  let release = (): void => undefined;
  let texts: Line[] = [];
  const append = (): void => {
    const appended = journal.appendSerialized(texts);
    texts = [];
    if (seqs.length === 0 && appended.seqs.length > 0) release = auditor.expect(appended.seqs[0]!);
    seqs.push(...appended.seqs);
    // Awaited together below; handled now, so that an error before then leaves none unhandled.
    appended.durable.catch(() => undefined);
    durables.push(appended.durable);
  };
  try {
    for (const entry of entries) {
      if (entry.kind !== 'refusals') {
        texts.push(`{"t":"entry","entry":${JSON.stringify(entry)}}`);
        continue;
      }
      // A 'refusals' entry is serialized a slice at a time (journal-text.ts), then handed over.
      texts.push(['{"t":"entry","entry":', ...(await encodeEntryParts(entry, false)), '}']);
      append();
    }
  } catch (error) {
    release();
    throw error;
  }
  if (typeof last === 'string') texts.push(last);
  else if (last !== null) texts.push(...last);
  if (texts.length > 0 || durables.length === 0) append();
  return { seqs: seqs.slice(0, entries.length), durable: Promise.all(durables).then(() => undefined), release };
}
