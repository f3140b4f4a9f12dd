/**
 * The write-ahead journal: every audit entry (intent, outcome, event), every process start and
 * what the guards must remember, appended as JSON lines and fsynced before anyone relies on
 * it. Appends that arrive while a write is in flight share the next write and fsync (group
 * fsync), so a storm costs a few fsyncs, not one per alert. At start-up the journal is read
 * back whole; a torn last line (a crash mid-write) is dropped, since it was never acknowledged.
 */
import { closeSync, existsSync, fdatasyncSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditEntry } from './entry.js';
import type { LedgerEntry } from '../plan/ledger.js';

export type JournalRecord =
  /** An entry's full content at this point. */
  | { t: 'entry'; seq: number; entry: AuditEntry }
  /** What decisions taught the guards (dedup keys, actions decided): restores their memory. */
  | { t: 'guard'; seq: number; at: number; seen: string[]; ledger: LedgerEntry[] }
  /** An action's process started: start-up ends this group if the engine died meanwhile. */
  | { t: 'started'; seq: number; id: string; pgid: number; leaderStart: string | null }
  /** Every entry record up to `upTo` is committed to the audit repository. */
  | { t: 'committed'; seq: number; upTo: number }
  /** A compacted past: what the records before it established (see compact()). */
  | { t: 'snapshot'; seq: number; state: JournalSnapshot };

export interface JournalSnapshot {
  committedUpTo: number;
  seen: [string, number][];
  ledger: LedgerEntry[];
  /** Entry records not yet committed, or whose action has not ended: kept as they were. */
  open: Extract<JournalRecord, { t: 'entry' | 'started' }>[];
}

type Unsequenced<R> = R extends JournalRecord ? Omit<R, 'seq'> : never;
export type NewRecord = Unsequenced<JournalRecord>;

const SEGMENT = /^journal-(\d{12})\.jsonl$/;

export class JournalError extends Error {}

export class Journal {
  private fd: number;
  private seq: number;
  private pending: string[] = [];
  private waiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private writing: Promise<void> | null = null;
  private failure: Error | null = null;
  private segmentBytes = 0;

  private constructor(
    readonly dir: string,
    segment: string,
    lastSeq: number,
  ) {
    this.fd = openSync(join(dir, segment), 'a');
    this.seq = lastSeq;
  }

  /** Opens the journal in `dir`, returning it with every record it holds, oldest first. */
  static open(dir: string): { journal: Journal; records: JournalRecord[] } {
    mkdirSync(dir, { recursive: true });
    const segments = listSegments(dir);
    const records: JournalRecord[] = [];
    for (const [i, segment] of segments.entries()) {
      const last = i === segments.length - 1;
      const read = readSegment(join(dir, segment), last);
      records.push(...read.records);
      if (last) repairTail(join(dir, segment), read.validBytes);
    }
    // Records written during a compaction follow its snapshot with lower numbers: take the max.
    const lastSeq = records.reduce((max, r) => Math.max(max, r.seq), 0);
    // Segment names are the first seq they hold; a fresh journal starts at 0 so that the
    // first snapshot (seq >= 1) never takes the name of the segment it replaces.
    const segment = segments.at(-1) ?? segmentName(0);
    const journal = new Journal(dir, segment, lastSeq);
    return { journal, records };
  }

  get lastSeq(): number {
    return this.seq;
  }

  get broken(): Error | null {
    return this.failure;
  }

  get bytes(): number {
    return this.segmentBytes;
  }

  /** Gives each record its sequence number now; resolves once they are on disk. */
  append(records: readonly NewRecord[]): { seqs: number[]; durable: Promise<void> } {
    if (this.failure) return { seqs: [], durable: Promise.reject(this.failure) };
    const seqs: number[] = [];
    for (const record of records) {
      const seq = ++this.seq;
      seqs.push(seq);
      this.pending.push(JSON.stringify({ ...record, seq }));
    }
    return { seqs, durable: this.sync() };
  }

  /** Resolves once everything appended so far is on disk. */
  sync(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.pending.length === 0 && !this.writing) return Promise.resolve();
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.writing ??= this.drain();
    return done;
  }

  private async drain(): Promise<void> {
    // Let appends of the same tick (the other alerts of a payload, concurrent webhooks) join.
    await new Promise((r) => setImmediate(r));
    while (this.pending.length || this.waiters.length) {
      const lines = this.pending;
      const waiters = this.waiters;
      this.pending = [];
      this.waiters = [];
      try {
        // Waiters with no lines of their own asked after an earlier write that is now done.
        if (lines.length === 0) {
          for (const w of waiters) w.resolve();
          continue;
        }
        const text = `${lines.join('\n')}\n`;
        writeFully(this.fd, Buffer.from(text));
        fdatasyncSync(this.fd);
        this.segmentBytes += Buffer.byteLength(text);
        for (const w of waiters) w.resolve();
      } catch (error) {
        this.failure = new JournalError(`journal write failed in ${this.dir}: ${(error as Error).message}`);
        for (const w of [...waiters, ...this.waiters]) w.reject(this.failure);
        this.waiters = [];
        this.pending = [];
      }
      await new Promise((r) => setImmediate(r));
    }
    this.writing = null;
  }

  /**
   * Starts a new segment that opens with a snapshot of everything before it, and removes the
   * older segments, so that a journal of months stays the size of what is still open.
   * `summarize` gets every record on disk; once nothing is pending, nothing here yields, so no
   * append lands in a segment that is about to go.
   * The snapshot is fsynced under a temporary name and renamed in before anything is removed.
   */
  async compact(summarize: (records: JournalRecord[]) => JournalSnapshot): Promise<void> {
    // Until nothing is pending at the moment the synchronous part below begins: then every
    // record numbered before the snapshot is on disk before it, in the old segments.
    while (this.pending.length || this.writing) await this.sync();
    const old = listSegments(this.dir);
    const records = readSegments(this.dir, old);
    const seq = ++this.seq;
    const name = segmentName(seq);
    const tmp = join(this.dir, `${name}.tmp`);
    const fd = openSync(tmp, 'w');
    const text = `${JSON.stringify({ t: 'snapshot', seq, state: summarize(records) })}\n`;
    writeFully(fd, Buffer.from(text));
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, join(this.dir, name));
    fsyncDir(this.dir);
    closeSync(this.fd);
    this.fd = openSync(join(this.dir, name), 'a');
    this.segmentBytes = Buffer.byteLength(text);
    for (const f of old) rmSync(join(this.dir, f), { force: true });
  }

  async close(): Promise<void> {
    await this.sync().catch(() => undefined);
    closeSync(this.fd);
  }
}

/** Every record of a journal, read only (nothing repaired): for `homeostat audit verify`. */
export function readJournal(dir: string): JournalRecord[] {
  return existsSync(dir) ? readSegments(dir, listSegments(dir)) : [];
}

/** Segment file names, oldest first (a name is the first seq it holds, zero-padded). */
function listSegments(dir: string): string[] {
  return readdirSync(dir).filter((f) => SEGMENT.test(f)).sort();
}

function readSegments(dir: string, segments: readonly string[]): JournalRecord[] {
  return segments.flatMap((f, i) => readSegment(join(dir, f), i === segments.length - 1).records);
}

function segmentName(firstSeq: number): string {
  return `journal-${String(firstSeq).padStart(12, '0')}.jsonl`;
}

/** The records of a segment, and how many leading bytes of it hold whole, valid lines. */
function readSegment(path: string, last: boolean): { records: JournalRecord[]; validBytes: number } {
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  const records: JournalRecord[] = [];
  let validBytes = 0;
  for (const [i, line] of lines.entries()) {
    const terminated = i < lines.length - 1;
    if (line !== '') {
      try {
        records.push(JSON.parse(line) as JournalRecord);
      } catch {
        // Only the very end of the newest segment can be torn (a crash mid-write, never
        // acknowledged); anywhere else is corruption.
        const tail = lines.slice(i + 1).every((l) => l === '');
        if (last && tail) break;
        throw new JournalError(`${path}:${i + 1}: the journal is corrupt (not JSON); move the file aside to start without it, losing what it holds`);
      }
    }
    validBytes += Buffer.byteLength(line) + (terminated ? 1 : 0);
  }
  return { records, validBytes };
}

/**
 * Makes the newest segment end on a whole line, so the next append starts a line of its own:
 * a torn line is cut; a whole record that only lacks its newline gets one.
 */
function repairTail(path: string, validBytes: number): void {
  const size = statSync(path).size;
  if (validBytes < size) truncateSync(path, validBytes);
  if (validBytes === 0) return;
  const fd = openSync(path, 'r+');
  try {
    const lastByte = Buffer.alloc(1);
    readSync(fd, lastByte, 0, 1, validBytes - 1);
    if (lastByte[0] !== 0x0a) writeFully(fd, Buffer.from('\n'), validBytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** writeSync may write less than asked (a full disk): keep going, or fail loudly. */
function writeFully(fd: number, data: Buffer, position?: number): void {
  let offset = 0;
  while (offset < data.length) {
    const written = writeSync(fd, data, offset, data.length - offset, position === undefined ? null : position + offset);
    if (written <= 0) throw new Error(`short write: ${offset} of ${data.length} bytes`);
    offset += written;
  }
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
