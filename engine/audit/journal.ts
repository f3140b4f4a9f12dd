/**
 * The write-ahead journal: every audit entry (intent, outcome, event), every process start and
 * what the guards must remember, appended as JSON lines and fsynced before anyone relies on
 * it. Appends that arrive while a write is in flight share the next write and fsync (group
 * fsync), so a storm costs a few fsyncs, not one per alert. At start-up the journal is read
 * back whole; a torn last line (a crash mid-write) is dropped, since it was never acknowledged.
 *
 * A write or fsync that fails (a full disk) loses nothing: its lines stay pending, in order,
 * their callers keep waiting, and the journal reports itself `broken` (the engine then takes
 * no alert and starts no action) while it retries with a back-off. Each retry first cuts the
 * segment back to the last byte known written and fsynced (a failed write may have left part
 * of a line, and after a failed fsync the kernel may have dropped the pages it held), then
 * writes the lines again. The first retry that succeeds clears `broken` and resolves them.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { closeSync, fdatasync, fstatSync, ftruncate, ftruncateSync, mkdirSync, openSync, rmSync, write } from 'node:fs';
import { promisify } from 'node:util';
import { join } from 'node:path';
import type { AuditEntry } from './entry.js';
import type { AuditLogger } from './repo.js';
import type { LedgerEntry } from '../plan/ledger.js';
import { fsyncDir, JournalError, listSegments, readSegment, readSegmentsSliced, repairTail, segmentName, segmentNumber, writeFileDurably } from './journal-segments.js';

export { JournalError, readJournal } from './journal-segments.js';

export type JournalRecord =
  /** An entry's full content at this point. */
  | { t: 'entry'; seq: number; entry: AuditEntry }
  /** What decisions taught the guards (dedup keys, actions decided): restores their memory. */
  | { t: 'guard'; seq: number; at: number; seen: string[]; ledger: LedgerEntry[] }
  /** An action's process started: start-up ends this group if the engine died meanwhile. */
  | { t: 'started'; seq: number; id: string; pgid: number; leaderStart: string | null }
  /** Every entry record up to `upTo` is committed to the audit repository. */
  | { t: 'committed'; seq: number; upTo: number }
  /**
   * Durable state beyond the guards' history (engine/state/): each change sets a key to a
   * value, or deletes it (null). The last change of a key wins.
   */
  | { t: 'state'; seq: number; at: number; changes: StateChange[] }
  /** A compacted past: what the records before it established (see compact()). */
  | { t: 'snapshot'; seq: number; state: JournalSnapshot };

/** A key of the durable state and its new value; null deletes it. */
export type StateChange = [key: string, value: unknown];

export interface JournalSnapshot {
  committedUpTo: number;
  seen: [string, number][];
  ledger: LedgerEntry[];
  /** The durable state's keys and values (absent in journals written before it existed). */
  kv?: [string, unknown][];
  /** Entry records not yet committed, or whose action has not ended: kept as they were. */
  open: Extract<JournalRecord, { t: 'entry' | 'started' }>[];
}

type Unsequenced<R> = R extends JournalRecord ? Omit<R, 'seq'> : never;
export type NewRecord = Unsequenced<JournalRecord>;

/** Between two attempts at a write that failed: from the first, doubling, up to the last. */
const RETRY_MS = { first: 100, max: 2_000 };
/**
 * How long close() waits for what is pending to be written (a full disk may get space back
 * meanwhile), and then again for a write still in flight (a hung disk).
 */
const CLOSE_WAIT_MS = 5_000;

interface Waiter {
  resolve: () => void;
  reject: (e: Error) => void;
}

export class Journal {
  private fd: number;
  private seq: number;
  /** Lines to write, each a string or the parts it is made of (a storm's large entry). */
  private pending: Line[] = [];
  private waiters: Waiter[] = [];
  private writing: Promise<void> | null = null;
  /** Why the last write failed; null once a write succeeds again. */
  private failure: JournalError | null = null;
  private failedAt = 0;
  /** Called at the next change between writable and broken. */
  private onChange: (() => void)[] = [];
  /** Set by close(): from then on nothing is written. */
  private closed: JournalError | null = null;
  /** Ends the back-off pause between two attempts early (close()). */
  private wake: (() => void) | null = null;
  /** Bytes of the current segment known written and fsynced: a failed write is cut back to this. */
  private segmentBytes: number;
  private compacting: Promise<unknown> = Promise.resolve();
  private rotation: { resolve: (r: { seq: number; old: string[] }) => void; reject: (e: Error) => void } | null = null;
  /** Reused by every write (one at a time): encoded() says why. */
  private readonly out = Buffer.allocUnsafe(WRITE_BYTES);

  private constructor(
    readonly dir: string,
    segment: string,
    lastSeq: number,
    private readonly log: AuditLogger | null,
  ) {
    this.fd = openSync(join(dir, segment), 'a');
    this.segmentBytes = fstatSync(this.fd).size;
    this.seq = lastSeq;
  }

  /** Opens the journal in `dir`, returning it with every record it holds, oldest first. */
  static open(dir: string, log: AuditLogger | null = null): { journal: Journal; records: JournalRecord[] } {
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
    const named = segments.length ? segmentNumber(segments.at(-1)!) : 0;
    const lastSeq = records.reduce((max, r) => Math.max(max, r.seq), named);
    // Segment names are the first seq they hold; a fresh journal starts at 0 so that the
    // first snapshot (seq >= 1) never takes the name of the segment it replaces.
    const segment = segments.at(-1) ?? segmentName(0);
    const journal = new Journal(dir, segment, lastSeq, log);
    return { journal, records };
  }

  get lastSeq(): number {
    return this.seq;
  }

  /** Why records cannot be written now (they wait, and are retried), or null. */
  get broken(): Error | null {
    return this.failure;
  }

  get bytes(): number {
    return this.segmentBytes;
  }

  /**
   * Gives each record its sequence number now; `durable` resolves once they are on disk. While
   * the disk refuses them it waits; it rejects only if the journal is closed first.
   */
  append(records: readonly NewRecord[]): { seqs: number[]; durable: Promise<void> } {
    return this.appendSerialized(records.map((record) => JSON.stringify(record)));
  }

  /**
   * append() for records already serialized (JSON.stringify of each NewRecord, or the parts
   * that text is made of): a large one is made a slice at a time by its caller
   * (journal-text.ts), not here in one go, and never joined into one string.
   */
  appendSerialized(texts: readonly Line[]): { seqs: number[]; durable: Promise<void> } {
    if (this.closed) return { seqs: [], durable: Promise.reject(this.closed) };
    const seqs: number[] = [];
    for (const text of texts) {
      const seq = ++this.seq;
      seqs.push(seq);
      // `{"seq":N,…}` without copying the record (a spread copy of each entry, per alert).
      if (typeof text === 'string') this.pending.push(`{"seq":${seq},${text.slice(1)}`);
      else this.pending.push([`{"seq":${seq},${text[0]!.slice(1)}`, ...text.slice(1)]);
    }
    return { seqs, durable: this.sync() };
  }

  /** Resolves once everything appended so far is on disk (rejects only if closed first). */
  sync(): Promise<void> {
    if (this.closed) return Promise.reject(this.closed);
    if (this.pending.length === 0 && !this.writing) return Promise.resolve();
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.writing ??= this.drain();
    return done;
  }

  /** Resolves once the journal is not broken (at once if it is not), or closed. */
  whenWritable(): Promise<void> {
    return this.until(() => this.failure === null);
  }

  /** Resolves once a write has failed and is not yet retried with success (at once if so). */
  whenBroken(): Promise<void> {
    return this.until(() => this.failure !== null);
  }

  private async until(condition: () => boolean): Promise<void> {
    while (!condition() && !this.closed) await new Promise<void>((resolve) => this.onChange.push(resolve));
  }

  private async drain(): Promise<void> {
    // Let appends of the same tick (the other alerts of a payload, concurrent webhooks) join.
    await nextTurn();
    let retryMs = RETRY_MS.first;
    while (!this.closed && (this.pending.length || this.waiters.length)) {
      this.rotateNow(); // a compaction waits for this moment: no write in flight
      const lines = this.pending;
      const waiters = this.waiters;
      this.pending = [];
      this.waiters = [];
      // Waiters with no lines of their own asked after an earlier write that is now done.
      if (lines.length === 0) {
        for (const w of waiters) w.resolve();
        continue;
      }
      try {
        await this.writeLines(lines);
      } catch (error) {
        // Nothing is dropped: the lines go back ahead of what came meanwhile, in seq order.
        this.pending = lines.concat(this.pending);
        this.waiters = waiters.concat(this.waiters);
        await this.failed(error as Error, retryMs);
        retryMs = Math.min(retryMs * 2, RETRY_MS.max);
        continue;
      }
      retryMs = RETRY_MS.first;
      this.healed();
      for (const w of waiters) w.resolve();
      await nextTurn();
    }
    if (this.closed) this.abandon(this.closed);
    else this.rotateNow();
    this.writing = null;
  }

  /** One attempt: the lines written whole after the last good byte, then fsynced. */
  private async writeLines(lines: readonly Line[]): Promise<void> {
    if (this.failure) await ftruncateAsync(this.fd, this.segmentBytes);
    // On libuv's thread pool: the event loop takes the next webhook while this one syncs. A
    // storm's lines go through the write buffer, never copied whole into one.
    let written = 0;
    for (const chunk of encoded(lines, this.out)) {
      await writeFullyAsync(this.fd, chunk);
      written += chunk.length;
    }
    await fdatasyncAsync(this.fd);
    this.segmentBytes += written;
  }

  private async failed(error: Error, retryMs: number): Promise<void> {
    const first = this.failure === null;
    this.failure = new JournalError(`journal write failed in ${this.dir}: ${error.message}`);
    // Cut what the attempt left at once, so that a crash now cannot replay records nobody was
    // told are durable (the next attempt cuts again in case this fails too).
    await ftruncateAsync(this.fd, this.segmentBytes).catch(() => undefined);
    if (first) {
      this.failedAt = Date.now();
      this.log?.error({ err: error, dir: this.dir, pending: this.pending.length }, 'journal write failed; retrying, no alert is taken and no action starts meanwhile');
      this.changed();
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.wake?.(), retryMs);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
    });
  }

  private healed(): void {
    if (!this.failure) return;
    this.failure = null;
    this.log?.info({ dir: this.dir, failedForMs: Date.now() - this.failedAt }, 'journal writes resumed');
    this.changed();
  }

  private changed(): void {
    for (const call of this.onChange.splice(0)) call();
  }

  /** Fails every waiter and drops what is pending: only at close, none of it was acknowledged. */
  private abandon(error: JournalError): void {
    this.pending = [];
    for (const w of this.waiters.splice(0)) w.reject(error);
  }

  /**
   * Replaces the older segments by a snapshot of what is still open in them, so that a journal
   * of months stays the size of what is still open. First the journal moves on to a new
   * segment, between two writes: later records never land in a segment that is about to go.
   * The older segments are then read a slice at a time (the webhook is answered meanwhile),
   * `summarize` gets their records, and the snapshot is fsynced under a temporary name and
   * renamed in (it sorts between them and the new segment) before anything is removed. A
   * crash or a failed write (a full disk) at any point leaves a journal that replays to the
   * same state; while the journal is broken, a compaction is refused at once.
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
    const text = `${JSON.stringify({ t: 'snapshot', seq, state: summarize(records) })}\n`;
    writeFileDurably(join(this.dir, segmentName(seq)), text);
    fsyncDir(this.dir);
    for (const f of old) rmSync(join(this.dir, f), { force: true });
  }

  /** Moves appends to a new segment once no write is in flight; resolves with the seq kept for the snapshot and the older segments. */
  private rotate(): Promise<{ seq: number; old: string[] }> {
    return new Promise((resolve, reject) => {
      this.rotation = { resolve, reject };
      if (!this.writing || this.failure) this.rotateNow();
    });
  }

  private rotateNow(): void {
    const rotation = this.rotation;
    this.rotation = null;
    if (!rotation) return;
    // The current segment may end in part of a line a failed write left: it must not become
    // an older segment, where a torn line reads as corruption.
    const refused = this.closed ?? this.failure;
    if (refused) {
      rotation.reject(new JournalError(`no compaction now: ${refused.message}`));
      return;
    }
    let fd: number | null = null;
    // The snapshot takes seq; the new segment is named seq + 1, a number no record gets, so
    // that the next snapshot's name can never be that of a segment it replaces.
    const seq = this.seq + 1;
    const next = join(this.dir, segmentName(seq + 1));
    try {
      const old = listSegments(this.dir);
      fd = openSync(next, 'a');
      fsyncDir(this.dir);
      this.seq += 2;
      closeSync(this.fd);
      this.fd = fd;
      this.segmentBytes = 0;
      rotation.resolve({ seq, old });
    } catch (error) {
      // Writes go on in the current segment; a new one that is not known to be there goes.
      if (fd !== null) {
        closeSync(fd);
        rmSync(next, { force: true });
      }
      rotation.reject(error as Error);
    }
  }

  /**
   * Writes what is pending, then closes. A shutdown while the disk refuses writes does not
   * wait for good: past a bounded wait, what is still pending is dropped and its waiters are
   * rejected. Nothing acknowledged is lost that way: a record is only pending as long as
   * nobody has been told it is durable (the webhook answers after its records are written,
   * an action starts after its intent is).
   */
  async close(waitMs = CLOSE_WAIT_MS): Promise<void> {
    if (this.closed) return;
    await within(this.sync().catch(() => undefined), waitMs);
    this.closed = new JournalError(`the journal in ${this.dir} was closed before these records could be written${this.failure ? ` (${this.failure.message})` : ''}`);
    this.wake?.();
    if (this.writing) await within(this.writing, waitMs);
    this.abandon(this.closed);
    this.rotation?.reject(this.closed);
    this.rotation = null;
    this.changed();
    if (this.failure && !this.writing) {
      try {
        ftruncateSync(this.fd, this.segmentBytes); // no part of what was dropped stays on disk
      } catch {
        // Start-up cuts a torn last line anyway.
      }
    }
    closeSync(this.fd);
  }
}

/** Waits for `promise`, at most `ms`. */
async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/** The journal's write buffer: lines are encoded into it and written a buffer-full at a time. */
export const WRITE_BYTES = 1024 * 1024;

/**
 * A line of the journal: its text, or the parts it is made of (without the newline), text or
 * UTF-8 bytes (journal-text.ts encodeEntryParts), the first one text.
 */
export type Line = string | readonly [string, ...(string | Buffer)[]];

/**
 * The lines, each ending in a newline, encoded into `buffer` and handed out a buffer-full at a
 * time: the caller writes each before it asks for the next, which reuses the buffer. No line
 * is joined into one string or copied into a buffer of its own (a storm's are 125 MB): that
 * garbage, in large objects and large allocations, was what the engine's memory peaked on.
 */
function* encoded(lines: readonly Line[], buffer: Buffer): Generator<Buffer> {
  let used = 0;
  for (const line of lines) {
    for (const piece of typeof line === 'string' ? [line, '\n'] : [...line, '\n']) {
      const bytes = typeof piece === 'string' ? Buffer.byteLength(piece, 'utf8') : piece.length;
      if (used > 0 && used + bytes > buffer.length) {
        yield buffer.subarray(0, used);
        used = 0;
      }
      if (bytes <= buffer.length) {
        used += typeof piece === 'string' ? buffer.write(piece, used, 'utf8') : piece.copy(buffer, used);
        continue;
      }
      if (typeof piece !== 'string') yield piece;
      // Three bytes at most per UTF-16 unit: each slice fits.
      else for (const slice of slices(piece, Math.floor(buffer.length / 3))) yield buffer.subarray(0, buffer.write(slice, 0, 'utf8'));
    }
  }
  if (used > 0) yield buffer.subarray(0, used);
}

/** A long piece `size` characters at a time, never cutting a surrogate pair in two. */
function* slices(text: string, size: number): Generator<string> {
  for (let at = 0; at < text.length; ) {
    let end = Math.min(at + size, text.length);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    yield text.slice(at, end);
    at = end;
  }
}

const writeAsync = promisify(write);
const fdatasyncAsync = promisify(fdatasync);
const ftruncateAsync = promisify(ftruncate);

async function writeFullyAsync(fd: number, data: Buffer): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await writeAsync(fd, data, offset, data.length - offset, null);
    if (bytesWritten <= 0) throw new Error(`short write: ${offset} of ${data.length} bytes`);
    offset += bytesWritten;
  }
}
