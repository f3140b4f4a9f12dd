import { appendFileSync, fdatasync, mkdtempSync, readdirSync, readFileSync, rmSync, write, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AuditEntry } from '../../../engine/audit/entry.js';
import { Journal, JournalError, readJournal } from '../../../engine/audit/journal.js';
import type { JournalRecord, JournalSnapshot, NewRecord } from '../../../engine/audit/journal.js';
import { askedToWrite, systemError } from '../../helpers/fs-faults.js';
import type { WriteArgs, WriteCallback } from '../../helpers/fs-faults.js';
import { waitFor } from '../../helpers/wait.js';

// The wrappers count the appends' writes and fsyncs (group fsync) and can make one of them
// fail or fall short (a full or failing disk).
vi.mock('node:fs', async (importOriginal) => (await import('../../helpers/fs-faults.js')).faultyFs(importOriginal));

const real = await vi.importActual<typeof import('node:fs')>('node:fs');


/** Makes the next `write` of an append run `impl` instead. */
function onNextWrite(impl: (...args: WriteArgs) => void): void {
  vi.mocked(write).mockImplementationOnce(impl as unknown as typeof write);
}

/** Makes the next `fdatasync` of an append run `impl` instead. */
function onNextFdatasync(impl: (fd: number, callback: (error: NodeJS.ErrnoException | null) => void) => void): void {
  vi.mocked(fdatasync).mockImplementationOnce(impl as unknown as typeof fdatasync);
}

/** The text the `i`th `write` call was asked to write. */
function writtenBy(i: number): string {
  return askedToWrite(write)[i]!;
}

const FIRST = 'journal-000000000000.jsonl';

function segment(firstSeq: number): string {
  return `journal-${String(firstSeq).padStart(12, '0')}.jsonl`;
}

let dir: string;
let open: Journal[];

beforeEach(() => {
  dir = join(mkdtempSync(join(tmpdir(), 'homeostat-journal-')), 'journal');
  open = [];
  // Back to the real calls: an unused one-off implementation must not leak into the next test.
  vi.mocked(write).mockReset();
  askedToWrite(write).length = 0;
  vi.mocked(fdatasync).mockReset();
  vi.mocked(writeSync).mockReset();
});

afterEach(async () => {
  for (const journal of open) await journal.close().catch(() => undefined);
  rmSync(join(dir, '..'), { recursive: true, force: true });
});

function openJournal(): { journal: Journal; records: JournalRecord[] } {
  const opened = Journal.open(dir);
  open.push(opened.journal);
  return opened;
}

async function closeJournal(journal: Journal, waitMs?: number): Promise<void> {
  open = open.filter((j) => j !== journal);
  await journal.close(waitMs);
}

function committed(upTo: number): NewRecord {
  return { t: 'committed', upTo };
}

function started(id: string, pgid: number): NewRecord {
  return { t: 'started', id, pgid, leaderStart: null };
}

function entryOf(kind: 'action' | 'refusals', id: string): AuditEntry {
  return kind === 'refusals'
    ? { apiVersion: 'homeostat.dev/v1', kind, id, at: '2026-01-01T00:00:00.000Z', revision: 'r1', guard: 'blast-radius', count: 0, refusals: [] }
    : { apiVersion: 'homeostat.dev/v1', kind, id, at: '2026-01-01T00:00:00.000Z', revision: 'r1', outcome: null };
}

function lines(file: string): string[] {
  return readFileSync(join(dir, file), 'utf8').split('\n');
}

const EMPTY_SNAPSHOT: JournalSnapshot = { committedUpTo: 0, seen: [], ledger: [], open: [] };

/**
 * A summarize that replays the records in the order given, as start-up does: a snapshot's open
 * records are applied where the snapshot stands, and a later record of an entry (or a process)
 * supersedes an earlier one, wherever it sits in it.
 */
function carry(records: readonly JournalRecord[]): JournalSnapshot {
  let committedUpTo = 0;
  const open = new Map<string, JournalSnapshot['open'][number]>();
  const apply = (record: JournalRecord): void => {
    if (record.t === 'entry') open.set(`entry:${record.entry.id}`, record);
    else if (record.t === 'started') open.set(`started:${record.id}`, record);
    else if (record.t === 'committed') committedUpTo = Math.max(committedUpTo, record.upTo);
    else if (record.t === 'snapshot') {
      committedUpTo = Math.max(committedUpTo, record.state.committedUpTo);
      for (const kept of record.state.open) apply(kept);
    }
  };
  for (const record of records) apply(record);
  return { ...EMPTY_SNAPSHOT, committedUpTo, open: [...open.values()] };
}

describe('Journal: append and reopen', () => {
  it('opens an empty directory with no records, creating the directory and the first segment', () => {
    const { journal, records } = openJournal();
    expect(records).toEqual([]);
    expect(journal.lastSeq).toBe(0);
    expect(journal.broken).toBeNull();
    expect(readdirSync(dir)).toEqual([FIRST]);
  });

  it('numbers records from 1, in order, and writes one JSON line each, its seq first', async () => {
    const { journal } = openJournal();
    const first = journal.append([committed(0), started('a', 100)]);
    expect(first.seqs).toEqual([1, 2]);
    const second = journal.append([{ t: 'guard', at: 5, seen: ['k1'], ledger: [{ policy: 'p', phase: 'actions', target: 'web-1', disruptive: true, at: 5 }] }]);
    expect(second.seqs).toEqual([3]);
    expect(journal.lastSeq).toBe(3);
    await Promise.all([first.durable, second.durable]);
    expect(lines(FIRST)).toEqual([
      '{"seq":1,"t":"committed","upTo":0}',
      '{"seq":2,"t":"started","id":"a","pgid":100,"leaderStart":null}',
      '{"seq":3,"t":"guard","at":5,"seen":["k1"],"ledger":[{"policy":"p","phase":"actions","target":"web-1","disruptive":true,"at":5}]}',
      '',
    ]);
    expect(journal.bytes).toBe(readFileSync(join(dir, FIRST)).length);
  });

  it('gives the same records back on reopen, in order, and goes on numbering after them', async () => {
    const { journal } = openJournal();
    await journal.append([started('a', 100), committed(1)]).durable;
    await journal.append([started('b', 200)]).durable;
    await closeJournal(journal);

    const reopened = openJournal();
    expect(reopened.records).toEqual([
      { t: 'started', id: 'a', pgid: 100, leaderStart: null, seq: 1 },
      { t: 'committed', upTo: 1, seq: 2 },
      { t: 'started', id: 'b', pgid: 200, leaderStart: null, seq: 3 },
    ]);
    expect(reopened.journal.lastSeq).toBe(3);
    const next = reopened.journal.append([committed(3)]);
    expect(next.seqs).toEqual([4]);
    await next.durable;
    await closeJournal(reopened.journal);
    expect(openJournal().records.map((r) => r.seq)).toEqual([1, 2, 3, 4]);
  });

  it('returns no seqs and a resolved promise for an empty append, writing nothing', async () => {
    const { journal } = openJournal();
    const { seqs, durable } = journal.append([]);
    expect(seqs).toEqual([]);
    await expect(durable).resolves.toBeUndefined();
    expect(write).not.toHaveBeenCalled();
    expect(fdatasync).not.toHaveBeenCalled();
    expect(readFileSync(join(dir, FIRST), 'utf8')).toBe('');
  });

  it('resolves sync() at once when nothing is pending, and after the write when something is', async () => {
    const { journal } = openJournal();
    await expect(journal.sync()).resolves.toBeUndefined();
    expect(write).not.toHaveBeenCalled();
    journal.append([committed(0)]);
    await journal.sync();
    expect(fdatasync).toHaveBeenCalledTimes(1);
    expect(lines(FIRST)).toEqual(['{"seq":1,"t":"committed","upTo":0}', '']);
  });
});

describe('Journal: group fsync', () => {
  it('writes and fsyncs the appends of one tick together, and resolves every one of them', async () => {
    const { journal } = openJournal();
    const appends = Array.from({ length: 50 }, (_, i) => journal.append([started(`id-${i}`, 1000 + i)]));
    expect(appends.map((a) => a.seqs[0])).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    // Nothing is on disk before the write: a caller that did not await must not rely on it.
    expect(readFileSync(join(dir, FIRST), 'utf8')).toBe('');
    expect(write).not.toHaveBeenCalled();

    await Promise.all(appends.map((a) => a.durable));

    expect(write).toHaveBeenCalledTimes(1);
    expect(fdatasync).toHaveBeenCalledTimes(1);
    // The fsync is of the file just written, and comes after the write.
    expect(vi.mocked(fdatasync).mock.calls[0]![0]).toBe(vi.mocked(write).mock.calls[0]![0]);
    expect(vi.mocked(fdatasync).mock.invocationCallOrder[0]).toBeGreaterThan(vi.mocked(write).mock.invocationCallOrder[0]!);
    const written = lines(FIRST);
    expect(written).toHaveLength(51);
    expect(written.at(-1)).toBe('');
    expect(writtenBy(0)).toBe(`${written.slice(0, 50).join('\n')}\n`);
    expect(written.slice(0, 50).map((l) => (JSON.parse(l) as JournalRecord).seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });

  it('puts appends made while a write is in flight into the next write', async () => {
    const { journal } = openJournal();
    let second: { seqs: number[]; durable: Promise<void> } | undefined;
    const resolved: string[] = [];
    onNextWrite((fd, buffer, offset, length, position, callback) => {
      // The first write has started and not finished: these appends cannot be part of it.
      second = journal.append([committed(1), committed(1)]);
      void second.durable.then(() => resolved.push('second'));
      real.write(fd, buffer, offset, length, position, callback);
    });
    const first = journal.append([committed(0)]);
    await first.durable.then(() => resolved.push('first'));
    expect(second).toBeDefined();
    await second!.durable;

    expect(second!.seqs).toEqual([2, 3]);
    expect(resolved).toEqual(['first', 'second']);
    expect(write).toHaveBeenCalledTimes(2);
    expect(fdatasync).toHaveBeenCalledTimes(2);
    expect(writtenBy(0)).toBe('{"seq":1,"t":"committed","upTo":0}\n');
    expect(writtenBy(1)).toBe('{"seq":2,"t":"committed","upTo":1}\n{"seq":3,"t":"committed","upTo":1}\n');
    expect(lines(FIRST)).toEqual([
      '{"seq":1,"t":"committed","upTo":0}',
      '{"seq":2,"t":"committed","upTo":1}',
      '{"seq":3,"t":"committed","upTo":1}',
      '',
    ]);
  });

  it('finishes a short write before reporting anything durable', async () => {
    const { journal } = openJournal();
    onNextWrite((fd, buffer, offset, length, position, callback) => real.write(fd, buffer, offset, Math.min(length, 20), position, callback));
    await journal.append([committed(0), committed(1)]).durable;

    // The rest of the bytes went in a second write, and the fsync came after both.
    expect(write).toHaveBeenCalledTimes(2);
    expect(writtenBy(0).slice(0, 20) + writtenBy(1)).toBe('{"seq":1,"t":"committed","upTo":0}\n{"seq":2,"t":"committed","upTo":1}\n');
    expect(fdatasync).toHaveBeenCalledTimes(1);
    expect(vi.mocked(fdatasync).mock.invocationCallOrder[0]).toBeGreaterThan(vi.mocked(write).mock.invocationCallOrder[1]!);
    expect(lines(FIRST)).toEqual(['{"seq":1,"t":"committed","upTo":0}', '{"seq":2,"t":"committed","upTo":1}', '']);
    expect(journal.bytes).toBe(readFileSync(join(dir, FIRST)).length);
    expect(openJournal().records.map((r) => r.seq)).toEqual([1, 2]);
  });
});

describe('Journal: a write that fails (a full disk), then succeeds', () => {
  /**
   * Every `write` fails until space is back: one that gets the first bytes of an attempt
   * writes 10 of them (a filling disk takes what fits), then the next one fails. Records the
   * segment as each attempt found it.
   */
  function fillDisk(path: string): { attempts: string[]; spaceBack: () => void } {
    const attempts: string[] = [];
    let cut = false;
    vi.mocked(write).mockImplementation(((fd: number, buffer: Buffer, offset: number, length: number, position: number | null, callback: WriteCallback) => {
      if ((cut = !cut)) {
        attempts.push(readFileSync(path, 'utf8'));
        real.write(fd, buffer, offset, Math.min(length, 10), position, callback);
      } else {
        setImmediate(() => callback(systemError('ENOSPC', 'write'), 0, buffer));
      }
    }) as unknown as typeof write);
    return { attempts, spaceBack: () => vi.mocked(write).mockReset() };
  }

  const FULL = (where: string) => `journal write failed in ${where}: ENOSPC: no space left on device, write`;

  it('keeps what a full disk refuses, cuts every torn part, retries, and resumes by itself once space is back', async () => {
    const { journal } = openJournal();
    await journal.append([committed(0)]).durable; // 1: written and fsynced
    const good = readFileSync(join(dir, FIRST), 'utf8');
    const disk = fillDisk(join(dir, FIRST));
    let settled = false;
    const a = journal.append([started('a', 100)]); // 2
    void a.durable.finally(() => (settled = true));
    await journal.whenBroken();
    expect(journal.broken?.message).toBe(FULL(dir));
    const b = journal.append([committed(1)]); // 3: waits with the others, in order
    expect(b.seqs).toEqual([3]);
    await waitFor(() => disk.attempts.length >= 3, 'three attempts');
    // Each attempt found the segment as the last good write left it: nothing torn stays.
    expect(disk.attempts.slice(0, 3)).toEqual([good, good, good]);
    expect(settled).toBe(false);
    expect(fdatasync).toHaveBeenCalledTimes(1);

    disk.spaceBack();
    await journal.whenWritable();
    await Promise.all([a.durable, b.durable]);
    expect(journal.broken).toBeNull();
    expect(lines(FIRST)).toEqual([
      '{"seq":1,"t":"committed","upTo":0}',
      '{"seq":2,"t":"started","id":"a","pgid":100,"leaderStart":null}',
      '{"seq":3,"t":"committed","upTo":1}',
      '',
    ]);
    expect(journal.bytes).toBe(readFileSync(join(dir, FIRST)).length);
    expect(openJournal().records.map((r) => r.seq)).toEqual([1, 2, 3]);
  });

  it('writes the lines of a failed fsync once more after the last good byte, and resolves their waiters only then', async () => {
    const { journal } = openJournal();
    await journal.append([committed(0)]).durable; // 1
    let during: { seqs: number[]; durable: Promise<void> } | undefined;
    onNextFdatasync((_fd, callback) => {
      during = journal.append([committed(2)]); // 3: appended while the failing fsync runs
      setImmediate(() => callback(systemError('EIO', 'fdatasync')));
    });
    const a = journal.append([committed(1)]); // 2
    await journal.whenBroken();
    expect(journal.broken?.message).toBe(`journal write failed in ${dir}: EIO: i/o error, fdatasync`);
    // Cut back at once: after a failed fsync the kernel may have dropped those pages.
    await waitFor(() => readFileSync(join(dir, FIRST), 'utf8') === '{"seq":1,"t":"committed","upTo":0}\n', 'the segment cut back');
    await Promise.all([a.durable, during!.durable]);
    expect(journal.broken).toBeNull();
    expect(writtenBy(2)).toBe('{"seq":2,"t":"committed","upTo":1}\n{"seq":3,"t":"committed","upTo":2}\n');
    expect(fdatasync).toHaveBeenCalledTimes(3);
    expect(lines(FIRST)).toEqual(['{"seq":1,"t":"committed","upTo":0}', '{"seq":2,"t":"committed","upTo":1}', '{"seq":3,"t":"committed","upTo":2}', '']);
  });

  it('counts a write that makes no progress as failed, and retries it', async () => {
    const { journal } = openJournal();
    onNextWrite((_fd, buffer, _offset, _length, _position, callback) => setImmediate(() => callback(null, 0, buffer)));
    const size = Buffer.byteLength('{"seq":1,"t":"committed","upTo":0}\n{"seq":2,"t":"committed","upTo":1}\n');
    const appended = journal.append([committed(0), committed(1)]);
    await journal.whenBroken();
    expect(journal.broken).toEqual(new JournalError(`journal write failed in ${dir}: short write: 0 of ${size} bytes`));
    await appended.durable;
    expect(journal.broken).toBeNull();
    expect(openJournal().records.map((r) => r.seq)).toEqual([1, 2]);
  });

  it('refuses a compaction while broken, touching no file, and compacts once writes resume', async () => {
    const { journal } = openJournal();
    await journal.append([started('a', 100)]).durable; // 1
    const disk = fillDisk(join(dir, FIRST));
    const pending = journal.append([committed(1)]); // 2
    await journal.whenBroken();
    await expect(journal.compact(carry)).rejects.toThrow(new JournalError(`no compaction now: ${FULL(dir)}`));
    expect(readdirSync(dir)).toEqual([FIRST]);

    disk.spaceBack();
    await pending.durable;
    await journal.compact(carry); // snapshot 3, new segment 4
    await closeJournal(journal);
    expect(openJournal().records).toEqual([
      { t: 'snapshot', seq: 3, state: { ...EMPTY_SNAPSHOT, committedUpTo: 1, open: [{ t: 'started', id: 'a', pgid: 100, leaderStart: null, seq: 1 }] } },
    ]);
  });

  it('leaves the journal as it was, and no temporary file, when a full disk refuses the snapshot', async () => {
    const { journal } = openJournal();
    await journal.append([started('a', 100), committed(0)]).durable; // 1, 2
    vi.mocked(writeSync).mockImplementationOnce(() => {
      throw systemError('ENOSPC', 'write');
    });
    await expect(journal.compact(carry)).rejects.toThrow('ENOSPC: no space left on device, write');
    // The rotation took 3 for the snapshot and named the new segment 4; the snapshot is not there.
    expect(readdirSync(dir)).toEqual([FIRST, segment(4)]);
    expect(journal.broken).toBeNull();
    expect(journal.append([committed(1)]).seqs).toEqual([5]);
    await journal.sync();
    await closeJournal(journal);

    const reopened = openJournal();
    expect(reopened.records.map((r) => r.seq)).toEqual([1, 2, 5]);
    await reopened.journal.compact(carry);
    await closeJournal(reopened.journal);
    expect(carry(openJournal().records)).toEqual(carry(reopened.records));
  });

  it('closes after a bounded wait while broken: what is pending is dropped, its waiters rejected, and no part of it stays on disk', async () => {
    const { journal } = openJournal();
    await journal.append([committed(0)]).durable; // 1
    const good = readFileSync(join(dir, FIRST), 'utf8');
    fillDisk(join(dir, FIRST));
    const a = journal.append([committed(1)]);
    const closedMessage = `the journal in ${dir} was closed before these records could be written (${FULL(dir)})`;
    const rejected = expect(a.durable).rejects.toThrow(new JournalError(closedMessage));
    await journal.whenBroken();
    const writable = journal.whenWritable();
    await closeJournal(journal, 50);
    await rejected;
    await writable; // whoever waited for the journal to heal is let go
    const later = journal.append([committed(2)]);
    expect(later.seqs).toEqual([]);
    await expect(later.durable).rejects.toThrow(closedMessage);
    expect(readFileSync(join(dir, FIRST), 'utf8')).toBe(good);
    vi.mocked(write).mockReset();
    expect(openJournal().records.map((r) => r.seq)).toEqual([1]);
  });
});

describe('Journal: torn and corrupt lines', () => {
  it('drops a torn last line on open, and the next append starts on a line of its own', async () => {
    const { journal } = openJournal();
    await journal.append([started('a', 100), committed(1)]).durable;
    await closeJournal(journal);
    appendFileSync(join(dir, FIRST), '{"seq":3,"t":"started","id":"b","pg');

    const reopened = openJournal();
    expect(reopened.records).toEqual([
      { t: 'started', id: 'a', pgid: 100, leaderStart: null, seq: 1 },
      { t: 'committed', upTo: 1, seq: 2 },
    ]);
    expect(readFileSync(join(dir, FIRST), 'utf8')).toBe('{"seq":1,"t":"started","id":"a","pgid":100,"leaderStart":null}\n{"seq":2,"t":"committed","upTo":1}\n');
    expect(reopened.journal.append([started('c', 300)]).seqs).toEqual([3]);
    await reopened.journal.sync();
    await closeJournal(reopened.journal);

    expect(lines(FIRST)).toEqual([
      '{"seq":1,"t":"started","id":"a","pgid":100,"leaderStart":null}',
      '{"seq":2,"t":"committed","upTo":1}',
      '{"seq":3,"t":"started","id":"c","pgid":300,"leaderStart":null}',
      '',
    ]);
    expect(openJournal().records.map((r) => r.seq)).toEqual([1, 2, 3]);
  });

  it('drops a bad last line followed by a newline for good, so that a later open still succeeds', async () => {
    const { journal } = openJournal();
    await closeJournal(journal);
    writeFileSync(join(dir, FIRST), '{"seq":1,"t":"committed","upTo":0}\n{"seq":2,"t":"comm\n');
    const reopened = openJournal();
    expect(reopened.records).toEqual([{ t: 'committed', upTo: 0, seq: 1 }]);
    await reopened.journal.append([committed(1)]).durable;
    await closeJournal(reopened.journal);
    expect(openJournal().records).toEqual([
      { t: 'committed', upTo: 0, seq: 1 },
      { t: 'committed', upTo: 1, seq: 2 },
    ]);
  });

  it('returns the same records from two opens of a journal whose last line is unterminated but whole', async () => {
    const { journal } = openJournal();
    await journal.append([committed(0)]).durable;
    await closeJournal(journal);
    appendFileSync(join(dir, FIRST), '{"seq":2,"t":"started","id":"b","pgid":200,"leaderStart":null}');

    const first = openJournal();
    expect(first.records).toEqual([
      { t: 'committed', upTo: 0, seq: 1 },
      { t: 'started', id: 'b', pgid: 200, leaderStart: null, seq: 2 },
    ]);
    // The whole record got its newline: the next append starts a line of its own.
    expect(readFileSync(join(dir, FIRST), 'utf8').endsWith('"leaderStart":null}\n')).toBe(true);
    await closeJournal(first.journal);
    const second = openJournal();
    expect(second.records).toEqual(first.records);
  });

  it('refuses a journal with a corrupt line before the end, naming the file and line', async () => {
    const { journal } = openJournal();
    await journal.append([committed(0), committed(0), committed(0)]).durable;
    await closeJournal(journal);
    const path = join(dir, FIRST);
    const text = readFileSync(path, 'utf8').split('\n');
    text[1] = '{"seq":2,"t":"committed", garbage';
    writeFileSync(path, text.join('\n'));

    expect(() => Journal.open(dir)).toThrow(JournalError);
    expect(() => Journal.open(dir)).toThrow(
      `${path}:2: the journal is corrupt (not JSON); move the file aside to start without it, losing what it holds`,
    );
  });

  it('refuses a torn last line in a segment that is not the newest', async () => {
    await closeJournal(openJournal().journal);
    const older = join(dir, FIRST);
    writeFileSync(older, '{"seq":1,"t":"committed","upTo":0}\n{"seq":2,"t":"comm');
    writeFileSync(join(dir, segment(3)), '{"seq":3,"t":"committed","upTo":0}\n');
    expect(() => Journal.open(dir)).toThrow(`${older}:2: the journal is corrupt (not JSON)`);
  });

  it('ignores files that are not segments', async () => {
    const { journal } = openJournal();
    await journal.append([committed(0)]).durable;
    await closeJournal(journal);
    writeFileSync(join(dir, 'notes.txt'), 'not json at all\n');
    writeFileSync(join(dir, `${segment(9)}.tmp`), 'half a snapshot');
    expect(openJournal().records).toEqual([{ t: 'committed', upTo: 0, seq: 1 }]);
  });
});

describe('Journal: compaction', () => {
  it('replaces the older segments by a snapshot, moves later writes to a new segment, and reopens as snapshot then newer records', async () => {
    const { journal } = openJournal();
    await journal.append([started('a', 100), committed(1), started('b', 200)]).durable;
    const snapshot: JournalSnapshot = {
      committedUpTo: 1,
      seen: [['k', 7]],
      ledger: [],
      open: [{ t: 'started', id: 'b', pgid: 200, leaderStart: null, seq: 3 }],
    };
    let given: JournalRecord[] | undefined;
    await journal.compact((records) => {
      given = records;
      return snapshot;
    });
    expect(given).toEqual([
      { t: 'started', id: 'a', pgid: 100, leaderStart: null, seq: 1 },
      { t: 'committed', upTo: 1, seq: 2 },
      { t: 'started', id: 'b', pgid: 200, leaderStart: null, seq: 3 },
    ]);
    // The snapshot takes seq 4 and its name; what comes after it goes to segment 5, empty so far.
    // 5 is reserved for that name: no record gets it, so the next one is 6.
    expect(readdirSync(dir)).toEqual([segment(4), segment(5)]);
    expect(lines(segment(4))).toEqual([JSON.stringify({ t: 'snapshot', seq: 4, state: snapshot }), '']);
    expect(readFileSync(join(dir, segment(5)), 'utf8')).toBe('');
    expect(journal.lastSeq).toBe(5);
    expect(journal.bytes).toBe(0);

    const after = journal.append([committed(3)]);
    expect(after.seqs).toEqual([6]);
    await after.durable;
    expect(lines(segment(5))).toEqual(['{"seq":6,"t":"committed","upTo":3}', '']);
    expect(journal.bytes).toBe(readFileSync(join(dir, segment(5))).length);
    await closeJournal(journal);

    const reopened = openJournal();
    expect(reopened.records).toEqual([
      { t: 'snapshot', seq: 4, state: snapshot },
      { t: 'committed', upTo: 3, seq: 6 },
    ]);
    expect(reopened.journal.lastSeq).toBe(6);
  });

  it('summarizes only what is on disk: appends still pending at the compact() call go to the new segment, after the snapshot', async () => {
    const { journal } = openJournal();
    await journal.append([committed(0)]).durable;
    const before = journal.append([committed(1)]);
    let given: JournalRecord[] | undefined;
    const compaction = journal.compact((records) => {
      given = records;
      return EMPTY_SNAPSHOT;
    });
    const sameTick = journal.append([committed(2)]);
    expect([before.seqs, sameTick.seqs]).toEqual([[2], [3]]);
    await Promise.all([before.durable, compaction, sameTick.durable]);

    expect(given).toEqual([{ t: 'committed', upTo: 0, seq: 1 }]);
    // The rotation waited for the write in flight, then took seq 4 for the snapshot and 5 for
    // the new segment's name.
    expect(readdirSync(dir)).toEqual([segment(4), segment(5)]);
    expect(lines(segment(5))).toEqual(['{"seq":2,"t":"committed","upTo":1}', '{"seq":3,"t":"committed","upTo":2}', '']);
    expect(journal.lastSeq).toBe(5);
    await closeJournal(journal);

    const reopened = openJournal();
    expect(reopened.records).toEqual([
      { t: 'snapshot', seq: 4, state: EMPTY_SNAPSHOT },
      { t: 'committed', upTo: 1, seq: 2 },
      { t: 'committed', upTo: 2, seq: 3 },
    ]);
    // Above the newest segment's name (5), though no record there has a seq above 3.
    expect(reopened.journal.lastSeq).toBe(5);
    expect(reopened.journal.append([committed(3)]).seqs).toEqual([6]);
    await reopened.journal.sync();
  });

  it('compacts twice in a row, each time keeping only the newest snapshot and what follows it', async () => {
    const { journal } = openJournal();
    await journal.append([committed(0)]).durable;
    await journal.compact(() => ({ ...EMPTY_SNAPSHOT, committedUpTo: 1 }));
    expect(readdirSync(dir)).toEqual([segment(2), segment(3)]);
    expect(journal.append([committed(2)]).seqs).toEqual([4]);
    await journal.sync();
    let given: JournalRecord[] | undefined;
    await journal.compact((records) => {
      given = records;
      return { ...EMPTY_SNAPSHOT, committedUpTo: 4 };
    });
    expect(given).toEqual([
      { t: 'snapshot', seq: 2, state: { ...EMPTY_SNAPSHOT, committedUpTo: 1 } },
      { t: 'committed', upTo: 2, seq: 4 },
    ]);
    expect(journal.append([committed(4)]).seqs).toEqual([7]);
    await journal.sync();
    await closeJournal(journal);
    expect(readdirSync(dir)).toEqual([segment(5), segment(6)]);
    expect(openJournal().records).toEqual([
      { t: 'snapshot', seq: 5, state: { ...EMPTY_SNAPSHOT, committedUpTo: 4 } },
      { t: 'committed', upTo: 4, seq: 7 },
    ]);
  });

  it('keeps the snapshot and later records when compacting a journal that has no records yet', async () => {
    const { journal } = openJournal();
    let given: JournalRecord[] | undefined;
    await journal.compact((records) => {
      given = records;
      return EMPTY_SNAPSHOT;
    });
    expect(given).toEqual([]);
    expect(journal.append([committed(0)]).seqs).toEqual([3]);
    await journal.sync();
    await closeJournal(journal);
    expect(readdirSync(dir)).toEqual([segment(1), segment(2)]);
    expect(openJournal().records).toEqual([
      { t: 'snapshot', seq: 1, state: EMPTY_SNAPSHOT },
      { t: 'committed', upTo: 0, seq: 3 },
    ]);
  });

  // The compaction waits for the write in flight (seq 1), takes seq 2 for its snapshot and 3 for
  // the new segment's name; the append that follows that write gets seq 4. Both land in the new
  // segment, so on reopen seq 1 follows the snapshot (2): numbering goes on after the highest
  // seq, never reusing one.
  it('goes on numbering after the highest seq on reopen when a record written during a compaction has a lower seq than its snapshot', async () => {
    const { journal } = openJournal();
    const racing = journal.append([committed(0)]).durable.then(() => journal.append([committed(1)]).durable);
    await Promise.all([journal.compact(() => EMPTY_SNAPSHOT), racing]);
    expect(readdirSync(dir)).toEqual([segment(2), segment(3)]);
    await closeJournal(journal);

    const reopened = openJournal();
    expect(reopened.records).toEqual([
      { t: 'snapshot', seq: 2, state: EMPTY_SNAPSHOT },
      { t: 'committed', upTo: 0, seq: 1 },
      { t: 'committed', upTo: 1, seq: 4 },
    ]);
    expect(reopened.journal.lastSeq).toBe(4);
    const next = reopened.journal.append([committed(2)]);
    expect(next.seqs).toEqual([5]);
    await next.durable;
    await closeJournal(reopened.journal);
    const seqs = openJournal().records.map((r) => r.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
  });

  it("leaves a committed 'refusals' entry out of what it summarizes, and keeps one not yet committed", async () => {
    const { journal } = openJournal();
    const refused = entryOf('refusals', '20260101T000000000Z-00000001');
    const action = entryOf('action', '20260101T000000000Z-00000002');
    const later = entryOf('refusals', '20260101T000000000Z-00000003');
    await journal.append([
      { t: 'entry', entry: refused }, // 1: covered by the committed record below
      { t: 'entry', entry: action }, // 2: covered too, but only 'refusals' entries are skipped
      committed(2), // 3
      { t: 'entry', entry: later }, // 4: not covered
      committed(1), // 5: the highest upTo counts, not the last
    ]).durable;
    // The line the compaction recognizes without parsing it.
    expect(lines(FIRST)[0]!.startsWith('{"seq":1,"t":"entry","entry":{"apiVersion":"homeostat.dev/v1","kind":"refusals"')).toBe(true);

    let given: JournalRecord[] | undefined;
    await journal.compact((records) => {
      given = records;
      return EMPTY_SNAPSHOT;
    });
    expect(given).toEqual([
      { t: 'entry', entry: action, seq: 2 },
      { t: 'committed', upTo: 2, seq: 3 },
      { t: 'entry', entry: later, seq: 4 },
      { t: 'committed', upTo: 1, seq: 5 },
    ]);
  });

  // Regression: the snapshot of the second compaction took the name of the (empty) segment the
  // first one had opened, was renamed onto it, then removed with the older segments: all lost.
  it('keeps the state through two compactions in a row with no append between them', async () => {
    const { journal } = openJournal();
    await journal.append([started('a', 100), committed(0)]).durable; // 1, 2
    await journal.compact(carry);
    const first: JournalSnapshot = { ...EMPTY_SNAPSHOT, open: [{ t: 'started', id: 'a', pgid: 100, leaderStart: null, seq: 1 }] };
    expect(readdirSync(dir)).toEqual([segment(3), segment(4)]);
    expect(readFileSync(join(dir, segment(4)), 'utf8')).toBe('');

    let given: JournalRecord[] | undefined;
    await journal.compact((records) => {
      given = records;
      return carry(records);
    });
    expect(given).toEqual([{ t: 'snapshot', seq: 3, state: first }]);
    // The second snapshot takes 5, above the name of every segment it replaces (3 and 4).
    expect(readdirSync(dir)).toEqual([segment(5), segment(6)]);
    const written = lines(segment(5));
    expect(written).toHaveLength(2);
    expect(JSON.parse(written[0]!)).toEqual({ t: 'snapshot', seq: 5, state: first });
    expect(readFileSync(join(dir, segment(6)), 'utf8')).toBe('');

    expect(journal.append([started('b', 200)]).seqs).toEqual([7]);
    await journal.sync();
    await closeJournal(journal);
    const reopened = openJournal();
    expect(reopened.records).toEqual([
      { t: 'snapshot', seq: 5, state: first },
      { t: 'started', id: 'b', pgid: 200, leaderStart: null, seq: 7 },
    ]);
    expect(reopened.journal.lastSeq).toBe(7);
    expect(readdirSync(dir)).toEqual([segment(5), segment(6)]);
  });

  it('keeps the state when a compaction follows a compaction and a reopen with nothing appended', async () => {
    const { journal } = openJournal();
    await journal.append([started('a', 100)]).durable; // 1
    await journal.compact(carry); // snapshot 2, new segment 3, empty
    await closeJournal(journal);
    const first: JournalSnapshot = { ...EMPTY_SNAPSHOT, open: [{ t: 'started', id: 'a', pgid: 100, leaderStart: null, seq: 1 }] };

    const reopened = openJournal();
    expect(readdirSync(dir)).toEqual([segment(2), segment(3)]);
    expect(reopened.records).toEqual([{ t: 'snapshot', seq: 2, state: first }]);
    // Numbering goes on above the newest segment's name, though no record has that seq.
    expect(reopened.journal.lastSeq).toBe(3);

    let given: JournalRecord[] | undefined;
    await reopened.journal.compact((records) => {
      given = records;
      return carry(records);
    });
    expect(given).toEqual([{ t: 'snapshot', seq: 2, state: first }]);
    expect(readdirSync(dir)).toEqual([segment(4), segment(5)]);
    expect(reopened.journal.append([committed(0)]).seqs).toEqual([6]);
    await reopened.journal.sync();
    await closeJournal(reopened.journal);

    // And once more, straight after this reopen.
    const again = openJournal();
    expect(again.records).toEqual([
      { t: 'snapshot', seq: 4, state: first },
      { t: 'committed', upTo: 0, seq: 6 },
    ]);
    expect(again.journal.lastSeq).toBe(6);
    await again.journal.compact(carry);
    await closeJournal(again.journal);
    expect(readdirSync(dir)).toEqual([segment(7), segment(8)]);
    expect(openJournal().records).toEqual([{ t: 'snapshot', seq: 7, state: first }]);
  });

  // Regression: the second call's rotation replaced the first one's while it waited for the
  // write in flight, and the first compact() never settled.
  it('settles two compact() calls made in the same tick, one after the other, and reopens to the same state', async () => {
    const { journal } = openJournal();
    await journal.append([started('a', 100)]).durable; // 1
    const pending = journal.append([started('b', 200)]); // 2: in flight when the calls are made
    const calls: { order: string; records: JournalRecord[] }[] = [];
    const compactions = [
      journal.compact((records) => {
        calls.push({ order: 'first', records });
        return carry(records);
      }),
      journal.compact((records) => {
        calls.push({ order: 'second', records });
        return carry(records);
      }),
    ];
    const settled = await Promise.race([
      Promise.all([...compactions, pending.durable]).then(() => 'settled'),
      new Promise((resolve) => setTimeout(() => resolve('a compact() never settled'), 2000)),
    ]);
    expect(settled).toBe('settled');

    const a = { t: 'started', id: 'a', pgid: 100, leaderStart: null, seq: 1 } as const;
    const b = { t: 'started', id: 'b', pgid: 200, leaderStart: null, seq: 2 } as const;
    // The first rotation came before the write of 2 (snapshot 3, segment 4); the second one
    // read what the first left, in file order (snapshot 5, segment 6).
    expect(calls).toEqual([
      { order: 'first', records: [a] },
      { order: 'second', records: [{ t: 'snapshot', seq: 3, state: { ...EMPTY_SNAPSHOT, open: [a] } }, b] },
    ]);
    expect(readdirSync(dir)).toEqual([segment(5), segment(6)]);
    expect(journal.append([committed(0)]).seqs).toEqual([7]);
    await journal.sync();
    await closeJournal(journal);

    const reopened = openJournal();
    expect(reopened.records).toEqual([
      { t: 'snapshot', seq: 5, state: { ...EMPTY_SNAPSHOT, open: [a, b] } },
      { t: 'committed', upTo: 0, seq: 7 },
    ]);
    // The same state as the records before any compaction, replayed.
    expect(carry(reopened.records)).toEqual(carry([a, b, { t: 'committed', upTo: 0, seq: 7 }]));
  });

  it('goes on with the next compaction after one whose summarize throws', async () => {
    const { journal } = openJournal();
    await journal.append([started('a', 100)]).durable; // 1
    const failing = journal.compact(() => {
      throw new Error('summarize failed');
    });
    const next = journal.compact(carry);
    await expect(failing).rejects.toThrow('summarize failed');
    await next;
    await closeJournal(journal);
    // The failed one took 2 and named a segment 3; the next one took 4 and named a segment 5.
    expect(readdirSync(dir).filter((f) => !f.endsWith('.tmp'))).toEqual([segment(4), segment(5)]);
    expect(openJournal().records).toEqual([
      { t: 'snapshot', seq: 4, state: { ...EMPTY_SNAPSHOT, open: [{ t: 'started', id: 'a', pgid: 100, leaderStart: null, seq: 1 }] } },
    ]);
  });

  // Regression: the older segments were sorted by seq, so a record written during a rotation
  // (seq below its snapshot's, in the segment after it) came before the snapshot, and the
  // snapshot's older state superseded it, unlike at start-up.
  it("gives the next compaction's summarize the records written during a rotation after the snapshot, in file order", async () => {
    const { journal } = openJournal();
    const id = '20260101T000000000Z-00000001';
    const decided = entryOf('action', id);
    const ended: AuditEntry = { ...decided, outcome: 'succeeded' };
    await journal.append([{ t: 'entry', entry: decided }]).durable; // 1
    const pending = journal.append([{ t: 'entry', entry: ended }]); // 2: written after the rotation
    const first = journal.compact(carry); // snapshot 3, new segment 4 that gets 2
    await Promise.all([pending.durable, first]);
    expect(readdirSync(dir)).toEqual([segment(3), segment(4)]);

    // What start-up reads, in this order: the snapshot (3) then the newer record (2).
    const onDisk = readJournal(dir);
    expect(onDisk).toEqual([
      { t: 'snapshot', seq: 3, state: { ...EMPTY_SNAPSHOT, open: [{ t: 'entry', entry: decided, seq: 1 }] } },
      { t: 'entry', entry: ended, seq: 2 },
    ]);
    let given: JournalRecord[] | undefined;
    await journal.compact((records) => {
      given = records;
      return carry(records);
    });
    expect(given?.map((r) => [r.t, r.seq])).toEqual([
      ['snapshot', 3],
      ['entry', 2],
    ]);
    expect(given).toEqual(onDisk);
    await closeJournal(journal);

    // The entry's later record won, as it does when the journal is replayed.
    const reopened = openJournal();
    expect(readdirSync(dir)).toEqual([segment(5), segment(6)]);
    expect(reopened.records).toEqual([{ t: 'snapshot', seq: 5, state: { ...EMPTY_SNAPSHOT, open: [{ t: 'entry', entry: ended, seq: 2 }] } }]);
    expect(carry(reopened.records)).toEqual(carry(onDisk));
  });

  it("keeps a 'refusals' entry written during a rotation after the snapshot, in file order, and leaves it out once committed", async () => {
    const { journal } = openJournal();
    const refused = entryOf('refusals', '20260101T000000000Z-00000001');
    await journal.append([committed(0)]).durable; // 1
    const pending = journal.append([{ t: 'entry', entry: refused }]); // 2: after the rotation
    const first = journal.compact(carry); // snapshot 3, new segment 4 that gets 2
    await Promise.all([pending.durable, first]);
    // The line the compaction recognizes without parsing it, in the segment after the snapshot.
    expect(lines(segment(4))[0]!.startsWith('{"seq":2,"t":"entry","entry":{"apiVersion":"homeostat.dev/v1","kind":"refusals"')).toBe(true);

    let given: JournalRecord[] | undefined;
    await journal.compact((records) => {
      given = records;
      return carry(records);
    });
    expect(given).toEqual([
      { t: 'snapshot', seq: 3, state: EMPTY_SNAPSHOT },
      { t: 'entry', entry: refused, seq: 2 },
    ]);

    // Once a committed record covers it (here one with a higher seq, in a later segment), it is left out.
    expect(journal.append([committed(2)]).seqs).toEqual([7]);
    await journal.sync();
    await journal.compact((records) => {
      given = records;
      return carry(records);
    });
    expect(given).toEqual([
      { t: 'snapshot', seq: 5, state: { ...EMPTY_SNAPSHOT, open: [{ t: 'entry', entry: refused, seq: 2 }] } },
      { t: 'committed', upTo: 2, seq: 7 },
    ]);
  });
});
