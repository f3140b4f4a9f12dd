/**
 * The run history's merge of memory and the audit repository (schedule/history.ts), on plain
 * data: memory whole after its mark, the archive before it, memory's copy of an entry winning
 * (an outcome git has not yet), a run git lacks still shown, and an archive that cannot be read
 * said in `incomplete`.
 */
import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../../engine/audit/entry.js';
import type { NewestQuery } from '../../../engine/audit/newest.js';
import { listRuns } from '../../../engine/schedule/history.js';

const id = (n: number) => `20261203T1000${String(n).padStart(2, '0')}000Z-0000000${n % 10}`;

function run(n: number, outcome: AuditEntry['outcome'] = 'succeeded'): AuditEntry {
  return { apiVersion: 'homeostat.dev/v1', kind: 'run', id: id(n), at: '2026-12-03T10:00:00Z', revision: 'r', schedule: { name: n % 2 ? 'odd' : 'even', runId: `r${n}`, trigger: 'cron', due: '2026-12-03T10:00:00Z' }, action: 'a', type: 'script', target: 'web-1', verdict: 'run', reason: null, outcome } as AuditEntry;
}

function memory(entries: AuditEntry[], completeAfter: string) {
  return { completeAfter, list: () => [...entries].reverse() };
}

/** The archive's entries with ids at or before `through`, newest first, as newest.ts yields them. */
function archive(entries: AuditEntry[], asked: NewestQuery[] = []) {
  return async function* (query: NewestQuery) {
    asked.push(query);
    yield* [...entries].filter((e) => query.through === undefined || e.id <= query.through).sort((a, b) => (a.id < b.id ? 1 : -1));
  };
}

describe('listRuns', () => {
  it('takes memory after its mark and git up to it, newest first, with memory\'s newer copy', async () => {
    const git = [run(1), run(2), run(3, null), run(4, null)];
    const held = [run(3), run(4), run(5), run(6)]; // 3 and 4 ended; git has their intents only
    const asked: NewestQuery[] = [];
    const page = await listRuns({ limit: 10 }, memory(held, id(4)), archive(git, asked));
    expect(page.runs.map((e) => [e.id, e.outcome])).toEqual([[id(6), 'succeeded'], [id(5), 'succeeded'], [id(4), 'succeeded'], [id(3), 'succeeded'], [id(2), 'succeeded'], [id(1), 'succeeded']]);
    expect(page.next).toBeNull();
    expect(asked).toEqual([{ kind: 'run', through: id(4) }]);
    // The outcome filter sees memory's copy: none is pending any more.
    expect((await listRuns({ limit: 10, outcome: 'pending' }, memory(held, id(4)), archive(git))).runs).toEqual([]);
  });

  it('does not read git when memory fills the page; pages on with before', async () => {
    const asked: NewestQuery[] = [];
    const held = [run(3), run(4), run(5), run(6)];
    const first = await listRuns({ limit: 2 }, memory(held, id(2)), archive([run(1), run(2)], asked));
    expect([first.runs.map((e) => e.id), first.next]).toEqual([[id(6), id(5)], id(5)]);
    expect(asked).toEqual([]);
    const second = await listRuns({ limit: 3, before: first.next! }, memory(held, id(2)), archive([run(1), run(2)], asked));
    expect([second.runs.map((e) => e.id), second.next]).toEqual([[id(4), id(3), id(2)], id(2)]);
    const third = await listRuns({ limit: 3, before: second.next! }, memory(held, id(2)), archive([run(1), run(2)], asked));
    expect([third.runs.map((e) => e.id), third.next]).toEqual([[id(1)], null]);
    expect(asked.at(-1)).toEqual({ kind: 'run', through: id(2) });
  });

  it('shows a run memory holds before its mark that git lacks, filters by schedule, and says when git cannot be read', async () => {
    const held = [run(2), run(5)];
    expect((await listRuns({ limit: 10 }, memory(held, id(3)), archive([run(1)]))).runs.map((e) => e.id)).toEqual([id(5), id(2), id(1)]);
    expect((await listRuns({ limit: 10, schedule: 'odd' }, memory(held, id(3)), archive([run(1)]))).runs.map((e) => e.id)).toEqual([id(5), id(1)]);
    const broken = async function* (): AsyncGenerator<AuditEntry> {
      throw new Error('git cat-file failed');
    };
    const page = await listRuns({ limit: 10 }, memory(held, id(3)), broken);
    expect(page.runs.map((e) => e.id)).toEqual([id(5), id(2)]);
    expect(page.incomplete).toBe("runs older than the engine's memory could not be read from the audit repository: git cat-file failed");
  });
});
