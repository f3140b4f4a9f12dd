/**
 * A journal segment read line by line through one fixed buffer, for a compaction: a storm's
 * segment is some 130 MB, most of it 'refusals' lines a compaction does not need, and reading
 * it whole held the file's bytes and their text at once (over 250 MB on top of the engine).
 * Only the lines the caller wants are decoded; of the others, their place in the file is kept
 * (readLineAt reads one back when it is needed after all).
 */
import { open } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';

export interface SegmentLine {
  /** 1-based, as an editor numbers lines. */
  number: number;
  /** Where the line starts in the file, and its length without the newline, in bytes. */
  start: number;
  bytes: number;
  /** The line's first HEAD_BYTES bytes, decoded (a character they cut reads as U+FFFD). */
  head: string;
  /** The line's text, when `wanted(head)` said so; null otherwise. */
  text: string | null;
}

const READ_BYTES = 1024 * 1024;
const HEAD_BYTES = 120;
const NEWLINE = 0x0a;

/** The lines of the file at `path`, the last one even without its newline (none if empty). */
export async function* segmentLines(path: string, wanted: (head: string) => boolean): AsyncGenerator<SegmentLine> {
  const file = await open(path, 'r');
  const buffer = Buffer.allocUnsafe(READ_BYTES);
  let line = new LineReader(0, 1, wanted);
  let offset = 0;
  try {
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, READ_BYTES, offset);
      if (bytesRead === 0) break;
      const read = buffer.subarray(0, bytesRead);
      for (let at = 0; at < bytesRead; ) {
        const end = read.indexOf(NEWLINE, at);
        line.add(read.subarray(at, end === -1 ? bytesRead : end));
        if (end === -1) break;
        yield line.end();
        line = new LineReader(offset + end + 1, line.number + 1, wanted);
        at = end + 1;
      }
      offset += bytesRead;
    }
    if (line.bytes > 0) yield line.end();
  } finally {
    await file.close();
  }
}

/** One line's bytes as they are read: its head first, then decoded if it is wanted, only counted if not. */
class LineReader {
  bytes = 0;
  /** The head's bytes, copied: the read buffer is reused. */
  private early: Buffer[] = [];
  private earlyBytes = 0;
  private head: string | null = null;
  private decoder: StringDecoder | null = null;
  private parts: string[] = [];

  constructor(
    readonly start: number,
    readonly number: number,
    private readonly wanted: (head: string) => boolean,
  ) {}

  add(piece: Buffer): void {
    this.bytes += piece.length;
    let rest = piece;
    if (this.head === null) {
      const take = Math.min(piece.length, HEAD_BYTES - this.earlyBytes);
      this.early.push(Buffer.from(piece.subarray(0, take)));
      this.earlyBytes += take;
      if (this.earlyBytes < HEAD_BYTES) return;
      this.decide();
      rest = piece.subarray(take);
    }
    if (this.decoder && rest.length > 0) this.parts.push(this.decoder.write(rest));
  }

  end(): SegmentLine {
    if (this.head === null) this.decide();
    const text = this.decoder ? this.parts.join('') + this.decoder.end() : null;
    return { number: this.number, start: this.start, bytes: this.bytes, head: this.head!, text };
  }

  private decide(): void {
    const early = Buffer.concat(this.early);
    this.early = [];
    this.head = early.toString('utf8');
    if (!this.wanted(this.head)) return;
    this.decoder = new StringDecoder('utf8');
    this.parts.push(this.decoder.write(early));
  }
}

/** The text of the line `segmentLines` found at `start`, `bytes` long. */
export async function readLineAt(path: string, start: number, bytes: number): Promise<string> {
  const file = await open(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(bytes);
    const { bytesRead } = await file.read(buffer, 0, bytes, start);
    return buffer.toString('utf8', 0, bytesRead);
  } finally {
    await file.close();
  }
}
