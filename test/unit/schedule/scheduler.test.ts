/**
 * The scheduler on a fake clock (vitest's fake timers move setTimeout and Date.now together):
 * each due time dispatched once, progress resumed from the journaled keys after a stop, a
 * failed dispatch tried again, a revision's schedules taken at once.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { pino } from 'pino';
import { lastDue } from '../../../engine/schedule/keys.js';
import type { DueRun } from '../../../engine/schedule/scheduler.js';
import { Scheduler } from '../../../engine/schedule/scheduler.js';
import type { CompiledSchedule } from '../../../engine/policy/types.js';

const log = pino({ level: 'silent' });
const T0 = Date.parse('2026-01-01T00:00:00.500Z');
const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

function schedule(name: string, cron: string, startingDeadlineMs = 600_000): CompiledSchedule {
  return {
    name, cron, timezone: 'UTC', startingDeadlineMs, source: { file: 'rules/s.yaml', line: 1 }, targets: { hosts: ['localhost'] }, inventory: null,
    concurrencyPolicy: 'Forbid', actions: [], dryRun: false,
    guards: { cooldownMs: 0, rateLimit: null, concurrency: 1, approval: { required: false, ttlMs: 0 }, window: null },
  };
}

/** A journal in memory: the keys marked or dispatched, with when. */
class Harness {
  readonly journal = new Map<string, number>();
  readonly runs: { name: string; run: string | null; missed: number }[] = [];
  /** Each dispatch: the due times it runs. */
  readonly batches: string[][] = [];
  fail = false;
  scheduler: Scheduler;

  constructor() {
    this.scheduler = this.start();
  }

  start(): Scheduler {
    this.scheduler = new Scheduler(
      {
        clock: Date.now,
        log,
        mark: async (keys) => keys.forEach((k) => this.journal.set(k, Date.now())),
        dispatch: async (due: DueRun) => {
          if (this.fail) throw new Error('not ready');
          this.batches.push(due.owed.run.map((t) => iso(t)!));
          if (due.owed.run.length === 0) this.runs.push({ name: due.schedule.name, run: null, missed: due.owed.missed?.count ?? 0 });
          for (const t of due.owed.run) this.runs.push({ name: due.schedule.name, run: iso(t), missed: due.owed.missed?.count ?? 0 });
          this.journal.set(due.key, Date.now());
        },
      },
      lastDue(this.journal),
    );
    return this.scheduler;
  }
}

describe('Scheduler', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: T0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('dispatches each due time once, in time, and nothing before it', async () => {
    const h = new Harness();
    await h.scheduler.activate([schedule('every-2s', '*/2 * * * * *')]);
    expect(h.journal.size).toBe(1); // first sight: nothing before now is owed
    await vi.advanceTimersByTimeAsync(1_000);
    expect(h.runs).toEqual([]);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(h.runs).toEqual([
      { name: 'every-2s', run: '2026-01-01T00:00:02.000Z', missed: 0 },
      { name: 'every-2s', run: '2026-01-01T00:00:04.000Z', missed: 0 },
      { name: 'every-2s', run: '2026-01-01T00:00:06.000Z', missed: 0 },
    ]);
    h.scheduler.stop();
  });

  it('after a stop, resumes from the journaled keys: each due time within the deadline runs once, in one decision, none twice', async () => {
    const h = new Harness();
    await h.scheduler.activate([schedule('every-2s', '*/2 * * * * *')]);
    await vi.advanceTimersByTimeAsync(2_000);
    h.scheduler.stop(); // a kill -9: only the journal remains
    expect(h.runs.map((r) => r.run)).toEqual(['2026-01-01T00:00:02.000Z']);
    vi.setSystemTime(Date.parse('2026-01-01T00:00:09.000Z'));
    h.start();
    await h.scheduler.activate([schedule('every-2s', '*/2 * * * * *')]);
    await vi.advanceTimersByTimeAsync(0);
    expect(h.batches.slice(1)).toEqual([['2026-01-01T00:00:04.000Z', '2026-01-01T00:00:06.000Z', '2026-01-01T00:00:08.000Z']]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(h.runs.slice(1).map((r) => r.run)).toEqual(['2026-01-01T00:00:04.000Z', '2026-01-01T00:00:06.000Z', '2026-01-01T00:00:08.000Z', '2026-01-01T00:00:10.000Z']);
    h.scheduler.stop();
  });

  it('a due time found past its deadline is missed, not run', async () => {
    const h = new Harness();
    await h.scheduler.activate([schedule('nightly', '0 3 * * *', 600_000)]);
    h.scheduler.stop();
    vi.setSystemTime(Date.parse('2026-01-01T04:00:00Z'));
    h.start();
    await h.scheduler.activate([schedule('nightly', '0 3 * * *', 600_000)]);
    await vi.advanceTimersByTimeAsync(0);
    expect(h.runs).toEqual([{ name: 'nightly', run: null, missed: 1 }]);
    h.scheduler.stop();
  });

  it('a dispatch that fails is tried again, and a changed cron starts afresh while the others keep their progress', async () => {
    const h = new Harness();
    await h.scheduler.activate([schedule('a', '*/2 * * * * *'), schedule('b', '*/5 * * * * *')]);
    h.fail = true;
    await vi.advanceTimersByTimeAsync(2_000);
    expect(h.runs).toEqual([]);
    h.fail = false;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(h.runs).toEqual([{ name: 'a', run: '2026-01-01T00:00:02.000Z', missed: 0 }]);
    await h.scheduler.activate([schedule('a', '*/2 * * * * *'), schedule('b', '*/7 * * * * *')]);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(h.runs.map((r) => `${r.name} ${r.run}`)).toEqual([
      'a 2026-01-01T00:00:02.000Z',
      'a 2026-01-01T00:00:04.000Z',
      'a 2026-01-01T00:00:06.000Z',
      'b 2026-01-01T00:00:07.000Z',
      'a 2026-01-01T00:00:08.000Z',
    ]);
    h.scheduler.stop();
  });
});
