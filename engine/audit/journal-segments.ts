/**
 * The journal's files: segments named after the first seq they hold, read back whole at
 * start-up (a torn last line dropped), read a slice at a time for a compaction, and the
 * snapshot a compaction writes. Journal (journal.ts) owns the order of writes; this file only
 * knows the format on disk.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { closeSync, existsSync, fsyncSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { JournalRecord } from './journal.js';
import { readLineAt, segmentLines } from './segment-lines.js';

export class JournalError extends Error {}

const SEGMENT = /^journal-(\d{12})\.jsonl$/;

/** Every record of a journal, read only (nothing repaired): for `homeostat audit verify`. */
export function readJournal(dir: string): JournalRecord[] {
  return existsSync(dir) ? readSegments(dir, listSegments(dir)) : [];
}

/** Segment file names, oldest first (a name is the first seq it holds, zero-padded). */
export function listSegments(dir: string): string[] {
  return readdirSync(dir).filter((f) => SEGMENT.test(f)).sort();
}

/** The number a segment's name holds. */
export function segmentNumber(segment: string): number {
  return Number(SEGMENT.exec(segment)![1]);
}

export function segmentName(firstSeq: number): string {
  return `journal-${String(firstSeq).padStart(12, '0')}.jsonl`;
}

function readSegments(dir: string, segments: readonly string[]): JournalRecord[] {
  return segments.flatMap((f, i) => readSegment(join(dir, f), i === segments.length - 1).records);
}

/** Lines parsed per slice when a compaction reads the older segments. */
const SLICE_LINES = 1000;
const REFUSALS_LINE = /^\{"seq":(\d+),"t":"entry","entry":\{"apiVersion":"[^"]*","kind":"refusals"/;

/**
 * The records of complete segments (not the one being written), parsed a slice at a time.
 * A 'refusals' entry is closed when it is written, so once it is committed nothing of it goes
 * into a snapshot: its line is only read (again) if no 'committed' record covers it. Under a
 * storm such lines are most of the journal's bytes (each holds the labels of thousands of
 * alerts), and the segments are read through one buffer (segment-lines.ts).
 */
export async function readSegmentsSliced(dir: string, segments: readonly string[]): Promise<JournalRecord[]> {
  // In file order, as Journal.open reads them (after a rotation, seqs are not in file order).
  const read: (JournalRecord | { seq: number; path: string; start: number; bytes: number; where: string })[] = [];
  let committedUpTo = 0;
  let count = 0;
  for (const segment of segments) {
    const path = join(dir, segment);
    for await (const line of segmentLines(path, (head) => !REFUSALS_LINE.test(head))) {
      if (++count % SLICE_LINES === 0) await nextTurn();
      const where = `${path}:${line.number}`;
      if (line.text === null) {
        read.push({ seq: Number(REFUSALS_LINE.exec(line.head)![1]), path, start: line.start, bytes: line.bytes, where });
        continue;
      }
      if (line.text === '') continue;
      const record = parseLine(line.text, where);
      if (record.t === 'committed') committedUpTo = Math.max(committedUpTo, record.upTo);
      read.push(record);
    }
  }
  const records: JournalRecord[] = [];
  for (const r of read) {
    if (!('path' in r)) records.push(r);
    else if (r.seq > committedUpTo) records.push(parseLine(await readLineAt(r.path, r.start, r.bytes), r.where));
  }
  return records;
}

function parseLine(line: string, where: string): JournalRecord {
  try {
    return JSON.parse(line) as JournalRecord;
  } catch {
    throw new JournalError(`${where}: the journal is corrupt (not JSON); move the file aside to start without it, losing what it holds`);
  }
}

/** The records of a segment, and how many leading bytes of it hold whole, valid lines. */
export function readSegment(path: string, last: boolean): { records: JournalRecord[]; validBytes: number } {
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
export function repairTail(path: string, validBytes: number): void {
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

/**
 * Writes `text` to `path` all or nothing: fsynced under a temporary name, then renamed in. A
 * failure (a full disk) removes the temporary file, so that it holds no space.
 */
export function writeFileDurably(path: string, text: string): void {
  const tmp = `${path}.tmp`;
  try {
    const fd = openSync(tmp, 'w');
    try {
      writeFully(fd, Buffer.from(text));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
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

export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
