/**
 * The write-ahead journal: every audit entry (intent, outcome, event), every process start and
 * what the guards must remember, appended as JSON lines and fsynced before anyone relies on
 * it. Appends that arrive while a write is in flight share the next write and fsync (group
 * fsync), so a storm costs a few fsyncs, not one per alert. At start-up the journal is read
 * back whole; a torn last line (a crash mid-write) is dropped, since it was never acknowledged.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { closeSync, existsSync, fdatasync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, truncateSync, write, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
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
  private compacting: Promise<unknown> = Promise.resolve();
  private rotation: { resolve: (r: { seq: number; old: string[] }) => void; reject: (e: Error) => void } | null = null;

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
    // A segment's name is a number no record gets (see rotateNow): numbering goes on above it.
    const named = segments.length ? Number(SEGMENT.exec(segments.at(-1)!)![1]) : 0;
    const lastSeq = records.reduce((max, r) => Math.max(max, r.seq), named);
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
      // `{"seq":N,…}` without copying the record (a spread copy of each entry, per alert).
      this.pending.push(`{"seq":${seq},${JSON.stringify(record).slice(1)}`);
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
    await nextTurn();
    while (this.pending.length || this.waiters.length) {
      this.rotateNow(); // a compaction waits for this moment: no write in flight
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
        // On libuv's thread pool: the event loop takes the next webhook while this one syncs.
        const bytes = Buffer.from(`${lines.join('\n')}\n`, 'utf8');
        await writeFullyAsync(this.fd, bytes);
        await fdatasyncAsync(this.fd);
        this.segmentBytes += bytes.length;
        for (const w of waiters) w.resolve();
      } catch (error) {
        this.failure = new JournalError(`journal write failed in ${this.dir}: ${(error as Error).message}`);
        for (const w of [...waiters, ...this.waiters]) w.reject(this.failure);
        this.waiters = [];
        this.pending = [];
      }
      await nextTurn();
    }
    this.rotateNow();
    this.writing = null;
  }

  /**
   * Replaces the older segments by a snapshot of what is still open in them, so that a journal
   * of months stays the size of what is still open. First the journal moves on to a new
   * segment, between two writes: later records never land in a segment that is about to go.
   * The older segments are then read a slice at a time (the webhook is answered meanwhile),
   * `summarize` gets their records, and the snapshot is fsynced under a temporary name and
   * renamed in (it sorts between them and the new segment) before anything is removed. A
   * crash at any point leaves a journal that replays to the same state.
   */
  compact(summarize: (records: JournalRecord[]) => JournalSnapshot): Promise<void> {
    // One at a time: a second rotation must not start while the first one's segments are read.
    const run = this.compacting.then(() => this.compactOnce(summarize));
    this.compacting = run.catch(() => undefined);
    return run;
  }

  private async compactOnce(summarize: (records: JournalRecord[]) => JournalSnapshot): Promise<void> {
    const { seq, old } = await this.rotate();
    const records = await readSegmentsSliced(this.dir, old);
    const name = segmentName(seq);
    const text = `${JSON.stringify({ t: 'snapshot', seq, state: summarize(records) })}\n`;
    const tmp = join(this.dir, `${name}.tmp`);
    const fd = openSync(tmp, 'w');
    try {
      writeFully(fd, Buffer.from(text));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, join(this.dir, name));
    fsyncDir(this.dir);
    for (const f of old) rmSync(join(this.dir, f), { force: true });
  }

  /** Moves appends to a new segment once no write is in flight; resolves with the seq kept for the snapshot and the older segments. */
  private rotate(): Promise<{ seq: number; old: string[] }> {
    return new Promise((resolve, reject) => {
      this.rotation = { resolve, reject };
      if (!this.writing) this.rotateNow();
    });
  }

  private rotateNow(): void {
    const rotation = this.rotation;
    this.rotation = null;
    if (!rotation) return;
    try {
      const old = listSegments(this.dir);
      // The snapshot takes seq; the new segment is named seq + 1, a number no record gets, so
      // that the next snapshot's name can never be that of a segment it replaces.
      const seq = ++this.seq;
      this.seq++;
      const fd = openSync(join(this.dir, segmentName(seq + 1)), 'a');
      fsyncDir(this.dir);
      closeSync(this.fd);
      this.fd = fd;
      this.segmentBytes = 0;
      rotation.resolve({ seq, old });
    } catch (error) {
      rotation.reject(error as Error);
    }
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

/** Lines parsed per slice when a compaction reads the older segments. */
const SLICE_LINES = 1000;
const REFUSALS_LINE = /^\{"seq":(\d+),"t":"entry","entry":\{"apiVersion":"[^"]*","kind":"refusals"/;

/**
 * The records of complete segments (not the one being written), parsed a slice at a time.
 * A 'refusals' entry is closed when it is written, so once it is committed nothing of it goes
 * into a snapshot: its line is only parsed if no 'committed' record covers it. Under a storm
 * such lines are most of the journal's bytes (each holds the labels of hundreds of alerts).
 */
async function readSegmentsSliced(dir: string, segments: readonly string[]): Promise<JournalRecord[]> {
  // In file order, as Journal.open reads them (after a rotation, seqs are not in file order).
  const read: (JournalRecord | { seq: number; line: string; where: string })[] = [];
  let committedUpTo = 0;
  let count = 0;
  for (const segment of segments) {
    const path = join(dir, segment);
    const lines = (await readFile(path, 'utf8')).split('\n');
    for (const [i, line] of lines.entries()) {
      if (++count % SLICE_LINES === 0) await nextTurn();
      if (line === '') continue;
      const refusal = REFUSALS_LINE.exec(line.slice(0, 120));
      if (refusal) {
        read.push({ seq: Number(refusal[1]), line, where: `${path}:${i + 1}` });
        continue;
      }
      const record = parseLine(line, `${path}:${i + 1}`);
      if (record.t === 'committed') committedUpTo = Math.max(committedUpTo, record.upTo);
      read.push(record);
    }
  }
  return read.flatMap((r) => ('line' in r ? (r.seq > committedUpTo ? [parseLine(r.line, r.where)] : []) : [r]));
}

function parseLine(line: string, where: string): JournalRecord {
  try {
    return JSON.parse(line) as JournalRecord;
  } catch {
    throw new JournalError(`${where}: the journal is corrupt (not JSON); move the file aside to start without it, losing what it holds`);
  }
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

const writeAsync = promisify(write);
const fdatasyncAsync = promisify(fdatasync);

async function writeFullyAsync(fd: number, data: Buffer): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await writeAsync(fd, data, offset, data.length - offset, null);
    if (bytesWritten <= 0) throw new Error(`short write: ${offset} of ${data.length} bytes`);
    offset += bytesWritten;
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
