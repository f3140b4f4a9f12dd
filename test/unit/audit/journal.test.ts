import { appendFileSync, fdatasyncSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Journal, JournalError } from '../../../engine/audit/journal.js';
import type { JournalRecord, JournalSnapshot, NewRecord } from '../../../engine/audit/journal.js';

// Wrapped, not replaced: the journal writes real files; the wrappers count writes and fsyncs
// (group fsync) and can make one fsync fail (a full or failing disk).
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  return { ...fs, writeSync: vi.fn(fs.writeSync), fdatasyncSync: vi.fn(fs.fdatasyncSync) };
});

const FIRST = 'journal-000000000000.jsonl';

let dir: string;
let open: Journal[];

beforeEach(() => {
  dir = join(mkdtempSync(join(tmpdir(), 'homeostat-journal-')), 'journal');
  open = [];
  vi.mocked(writeSync).mockClear();
  vi.mocked(fdatasyncSync).mockClear();
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

async function closeJournal(journal: Journal): Promise<void> {
  open = open.filter((j) => j !== journal);
  await journal.close();
}

function committed(upTo: number): NewRecord {
  return { t: 'committed', upTo };
}

function started(id: string, pgid: number): NewRecord {
  return { t: 'started', id, pgid, leaderStart: null };
}

function lines(file: string): string[] {
  return readFileSync(join(dir, file), 'utf8').split('\n');
}

const EMPTY_SNAPSHOT: JournalSnapshot = { committedUpTo: 0, seen: [], ledger: [], open: [] };

describe('Journal: append and reopen', () => {
  it('opens an empty directory with no records, creating the directory and the first segment', () => {
    const { journal, records } = openJournal();
    expect(records).toEqual([]);
    expect(journal.lastSeq).toBe(0);
    expect(journal.broken).toBeNull();
    expect(readdirSync(dir)).toEqual([FIRST]);
  });

  it('numbers records from 1, in order, and writes one JSON line each with its seq', async () => {
    const { journal } = openJournal();
    const first = journal.append([committed(0), started('a', 100)]);
    expect(first.seqs).toEqual([1, 2]);
    const second = journal.append([{ t: 'guard', at: 5, seen: ['k1'], ledger: [{ policy: 'p', phase: 'actions', target: 'web-1', disruptive: true, at: 5 }] }]);
    expect(second.seqs).toEqual([3]);
    expect(journal.lastSeq).toBe(3);
    await Promise.all([first.durable, second.durable]);
    expect(lines(FIRST)).toEqual([
      '{"t":"committed","upTo":0,"seq":1}',
      '{"t":"started","id":"a","pgid":100,"leaderStart":null,"seq":2}',
      '{"t":"guard","at":5,"seen":["k1"],"ledger":[{"policy":"p","phase":"actions","target":"web-1","disruptive":true,"at":5}],"seq":3}',
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

  it('returns no seqs and a resolved promise for an empty append', async () => {
    const { journal } = openJournal();
    const { seqs, durable } = journal.append([]);
    expect(seqs).toEqual([]);
    await expect(durable).resolves.toBeUndefined();
    expect(writeSync).not.toHaveBeenCalled();
  });

  it('resolves sync() at once when nothing is pending, and after the write when something is', async () => {
    const { journal } = openJournal();
    await expect(journal.sync()).resolves.toBeUndefined();
    journal.append([committed(0)]);
    await journal.sync();
    expect(lines(FIRST)).toEqual(['{"t":"committed","upTo":0,"seq":1}', '']);
  });
});

describe('Journal: group fsync', () => {
  it('writes and fsyncs the appends of one tick together, and resolves every one of them', async () => {
    const { journal } = openJournal();
    const appends = Array.from({ length: 50 }, (_, i) => journal.append([started(`id-${i}`, 1000 + i)]));
    expect(appends.map((a) => a.seqs[0])).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    // Nothing is on disk before the write: a caller that did not await must not rely on it.
    expect(readFileSync(join(dir, FIRST), 'utf8')).toBe('');

    await Promise.all(appends.map((a) => a.durable));

    expect(writeSync).toHaveBeenCalledTimes(1);
    expect(fdatasyncSync).toHaveBeenCalledTimes(1);
    const written = lines(FIRST);
    expect(written).toHaveLength(51);
    expect(written.at(-1)).toBe('');
    expect(written.slice(0, 50).map((l) => (JSON.parse(l) as JournalRecord).seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });

  it('puts appends made while a write is in flight into the next write', async () => {
    const { journal } = openJournal();
    const first = journal.append([committed(0)]);
    let second: { seqs: number[]; durable: Promise<void> } | undefined;
    const both = first.durable.then(() => {
      second = journal.append([committed(1), committed(1)]);
      return second.durable;
    });
    await both;
    expect(second!.seqs).toEqual([2, 3]);
    expect(writeSync).toHaveBeenCalledTimes(2);
    expect(fdatasyncSync).toHaveBeenCalledTimes(2);
    expect(lines(FIRST)).toEqual([
      '{"t":"committed","upTo":0,"seq":1}',
      '{"t":"committed","upTo":1,"seq":2}',
      '{"t":"committed","upTo":1,"seq":3}',
      '',
    ]);
  });

  it('breaks for good when a write fails: every waiter is rejected and later appends are refused', async () => {
    const { journal } = openJournal();
    vi.mocked(fdatasyncSync).mockImplementationOnce(() => {
      throw new Error('EIO: i/o error, fdatasync');
    });
    const a = journal.append([committed(0)]);
    const b = journal.append([committed(0)]);
    const message = `journal write failed in ${dir}: EIO: i/o error, fdatasync`;
    await expect(a.durable).rejects.toThrow(new JournalError(message));
    await expect(b.durable).rejects.toBeInstanceOf(JournalError);
    expect(journal.broken?.message).toBe(message);

    const later = journal.append([committed(0)]);
    expect(later.seqs).toEqual([]);
    await expect(later.durable).rejects.toThrow(message);
    await expect(journal.sync()).rejects.toThrow(message);
  });

  it('never reports durable a record that is not whole on disk (short write)', async () => {
    const { journal } = openJournal();
    const real = await vi.importActual<typeof import('node:fs')>('node:fs');
    vi.mocked(writeSync).mockImplementationOnce(((fd: number, text: string) => real.writeSync(fd, text.slice(0, 20))) as typeof writeSync);
    const durable = await journal.append([committed(0), committed(1)]).durable.then(
      () => true,
      () => false,
    );
    const onDisk = openJournal().records.length;
    expect({ durable, onDisk }).toEqual(durable ? { durable: true, onDisk: 2 } : { durable: false, onDisk });
  });
});

describe('Journal: torn and corrupt lines', () => {
  it('drops a torn last line on open, and the next append starts on a line of its own', async () => {
    const { journal } = openJournal();
    await journal.append([started('a', 100), committed(1)]).durable;
    await closeJournal(journal);
    appendFileSync(join(dir, FIRST), '{"t":"started","id":"b","pg');

    const reopened = openJournal();
    expect(reopened.records).toEqual([
      { t: 'started', id: 'a', pgid: 100, leaderStart: null, seq: 1 },
      { t: 'committed', upTo: 1, seq: 2 },
    ]);
    expect(readFileSync(join(dir, FIRST), 'utf8')).toBe('{"t":"started","id":"a","pgid":100,"leaderStart":null,"seq":1}\n{"t":"committed","upTo":1,"seq":2}\n');
    expect(reopened.journal.append([started('c', 300)]).seqs).toEqual([3]);
    await reopened.journal.sync();
    await closeJournal(reopened.journal);

    expect(lines(FIRST)).toEqual([
      '{"t":"started","id":"a","pgid":100,"leaderStart":null,"seq":1}',
      '{"t":"committed","upTo":1,"seq":2}',
      '{"t":"started","id":"c","pgid":300,"leaderStart":null,"seq":3}',
      '',
    ]);
    expect(openJournal().records.map((r) => r.seq)).toEqual([1, 2, 3]);
  });

  it('drops a bad last line followed by a newline for good, so that a later open still succeeds', async () => {
    const { journal } = openJournal();
    await closeJournal(journal);
    writeFileSync(join(dir, FIRST), '{"t":"committed","upTo":0,"seq":1}\n{"t":"comm\n');
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
    appendFileSync(join(dir, FIRST), '{"t":"started","id":"b","pgid":200,"leaderStart":null,"seq":2}');

    const first = openJournal();
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
    text[1] = '{"t":"committed", garbage';
    writeFileSync(path, text.join('\n'));

    expect(() => Journal.open(dir)).toThrow(JournalError);
    expect(() => Journal.open(dir)).toThrow(
      `${path}:2: the journal is corrupt (not JSON); move the file aside to start without it, losing what it holds`,
    );
  });

  it('refuses a torn last line in a segment that is not the newest', async () => {
    await closeJournal(openJournal().journal);
    const older = join(dir, FIRST);
    writeFileSync(older, '{"t":"committed","upTo":0,"seq":1}\n{"t":"comm');
    writeFileSync(join(dir, 'journal-000000000003.jsonl'), '{"t":"committed","upTo":0,"seq":3}\n');
    expect(() => Journal.open(dir)).toThrow(`${older}:2: the journal is corrupt (not JSON)`);
  });

  it('ignores files that are not segments', async () => {
    const { journal } = openJournal();
    await journal.append([committed(0)]).durable;
    await closeJournal(journal);
    writeFileSync(join(dir, 'notes.txt'), 'not json at all\n');
    writeFileSync(join(dir, 'journal-000000000009.jsonl.tmp'), 'half a snapshot');
    expect(openJournal().records).toEqual([{ t: 'committed', upTo: 0, seq: 1 }]);
  });
});

describe('Journal: compaction', () => {
  it('replaces the segments by a snapshot, keeps what is appended after, and reopens as snapshot then newer records', async () => {
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
    expect(readdirSync(dir)).toEqual(['journal-000000000004.jsonl']);
    expect(journal.lastSeq).toBe(4);
    expect(journal.bytes).toBe(readFileSync(join(dir, 'journal-000000000004.jsonl')).length);

    const after = journal.append([committed(3)]);
    expect(after.seqs).toEqual([5]);
    await after.durable;
    await closeJournal(journal);

    const reopened = openJournal();
    expect(reopened.records).toEqual([
      { t: 'snapshot', seq: 4, state: snapshot },
      { t: 'committed', upTo: 3, seq: 5 },
    ]);
    expect(reopened.journal.lastSeq).toBe(5);
  });

  it('includes appends of the same tick as the compact() call in what it summarizes', async () => {
    const { journal } = openJournal();
    const before = journal.append([committed(0)]);
    let count = -1;
    const compaction = journal.compact((records) => {
      count = records.length;
      return EMPTY_SNAPSHOT;
    });
    const sameTick = journal.append([committed(1)]);
    await Promise.all([before.durable, compaction, sameTick.durable]);
    expect(count).toBe(2);
    expect(readdirSync(dir)).toEqual(['journal-000000000003.jsonl']);
    await closeJournal(journal);
    expect(openJournal().records).toEqual([{ t: 'snapshot', seq: 3, state: EMPTY_SNAPSHOT }]);
  });

  it('compacts twice in a row, each time keeping only the newest snapshot and what follows it', async () => {
    const { journal } = openJournal();
    await journal.append([committed(0)]).durable;
    await journal.compact(() => ({ ...EMPTY_SNAPSHOT, committedUpTo: 1 }));
    await journal.append([committed(2)]).durable;
    await journal.compact((records) => {
      expect(records.map((r) => [r.t, r.seq])).toEqual([['snapshot', 2], ['committed', 3]]);
      return { ...EMPTY_SNAPSHOT, committedUpTo: 3 };
    });
    await journal.append([committed(4)]).durable;
    await closeJournal(journal);
    expect(readdirSync(dir)).toEqual(['journal-000000000004.jsonl']);
    expect(openJournal().records).toEqual([
      { t: 'snapshot', seq: 4, state: { ...EMPTY_SNAPSHOT, committedUpTo: 3 } },
      { t: 'committed', upTo: 4, seq: 5 },
    ]);
  });

  it('keeps the snapshot and later records when compacting a journal that has no records yet', async () => {
    const { journal } = openJournal();
    await journal.compact(() => EMPTY_SNAPSHOT);
    await journal.append([committed(0)]).durable;
    await closeJournal(journal);
    expect(readdirSync(dir)).toEqual(['journal-000000000001.jsonl']);
    expect(openJournal().records).toEqual([
      { t: 'snapshot', seq: 1, state: EMPTY_SNAPSHOT },
      { t: 'committed', upTo: 0, seq: 2 },
    ]);
  });


  // sync() (its `.then` runs before compact() resumes) gets seq N but is written after the
  // snapshot, which takes seq N+1. On reopen the records are [snapshot N+1, record N]; open()
  // takes lastSeq from the last record (N), so the next append reuses N+1, the snapshot's seq.
  // Expected: seqs strictly increase on disk and after reopen.
  it('keeps seqs increasing when an append lands between the sync of a compaction and the snapshot', async () => {
    const { journal } = openJournal();
    const racing = journal.append([committed(0)]).durable.then(() => journal.append([committed(1)]).durable);
    await Promise.all([journal.compact(() => EMPTY_SNAPSHOT), racing]);
    await closeJournal(journal);

    const reopened = openJournal();
    const seqs = reopened.records.map((r) => r.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(reopened.journal.append([committed(2)]).seqs[0]).toBeGreaterThan(Math.max(...seqs));
  });
});
