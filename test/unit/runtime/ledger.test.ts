import { describe, expect, it } from 'vitest';
import type { LedgerEntry } from '../../../engine/plan/ledger.js';
import { MemoryLedger } from '../../helpers/memory-ledger.js';
import { IndexedLedger, LEDGER_RETENTION_MS, SEEN_RETENTION_MS } from '../../../engine/plan/ledger.js';

const NOW = Date.parse('2026-11-23T12:00:00Z');
const MINUTE = 60_000;
const DAY = 24 * 3600_000;

function entry(at: number, over: Partial<LedgerEntry> = {}): LedgerEntry {
  return { policy: 'restart-web', phase: 'actions', target: 'web-1', disruptive: false, at, ...over };
}

describe('IndexedLedger: dedup keys', () => {
  it('remembers the keys marked seen, and no others', () => {
    const ledger = new IndexedLedger(() => NOW);
    expect(ledger.seen('alert-1/policy')).toBe(false);
    ledger.markSeen('alert-1/policy');
    expect(ledger.seen('alert-1/policy')).toBe(true);
    expect(ledger.seen('alert-2/policy')).toBe(false);
    expect(ledger.size).toEqual({ seen: 1, entries: 0 });
  });

  it('stamps a key with the clock unless given a time, and a re-mark moves the stamp', () => {
    let clock = NOW;
    const ledger = new IndexedLedger(() => clock);
    ledger.markSeen('a');
    ledger.markSeen('b', NOW - DAY);
    clock = NOW + MINUTE;
    ledger.markSeen('b');
    expect(ledger.export(NOW + MINUTE).seen).toEqual([
      ['a', NOW],
      ['b', NOW + MINUTE],
    ]);
    expect(ledger.size.seen).toBe(2);
  });
});

describe('IndexedLedger: guard history', () => {
  it('answers lastStart per policy, phase and target, undefined for one never started', () => {
    const ledger = new IndexedLedger(() => NOW);
    ledger.record(entry(NOW - 10 * MINUTE));
    ledger.record(entry(NOW - 5 * MINUTE, { target: 'web-2' }));
    ledger.record(entry(NOW - 2 * MINUTE, { phase: 'onResolved' }));
    expect(ledger.lastStart('restart-web', 'actions', 'web-1')).toBe(NOW - 10 * MINUTE);
    expect(ledger.lastStart('restart-web', 'actions', 'web-2')).toBe(NOW - 5 * MINUTE);
    expect(ledger.lastStart('restart-web', 'onResolved', 'web-1')).toBe(NOW - 2 * MINUTE);
    expect(ledger.lastStart('restart-web', 'actions', 'web-3')).toBeUndefined();
    expect(ledger.lastStart('other', 'actions', 'web-1')).toBeUndefined();
  });

  it('keeps the latest start as lastStart when an older one is recorded after it', () => {
    const ledger = new IndexedLedger(() => NOW);
    ledger.record(entry(NOW));
    ledger.record(entry(NOW - 30 * MINUTE));
    expect(ledger.lastStart('restart-web', 'actions', 'web-1')).toBe(NOW);
  });

  it('counts a policy phase since a time, the bound included, across targets', () => {
    const ledger = new IndexedLedger(() => NOW);
    for (const [i, target] of ['a', 'b', 'c', 'd'].entries()) ledger.record(entry(NOW - i * MINUTE, { target }));
    ledger.record(entry(NOW, { phase: 'onResolved' }));
    ledger.record(entry(NOW, { policy: 'other' }));
    expect(ledger.countPolicy('restart-web', 'actions', NOW - 3 * MINUTE)).toBe(4);
    expect(ledger.countPolicy('restart-web', 'actions', NOW - 2 * MINUTE)).toBe(3);
    expect(ledger.countPolicy('restart-web', 'actions', NOW - 2 * MINUTE + 1)).toBe(2);
    expect(ledger.countPolicy('restart-web', 'actions', NOW)).toBe(1);
    expect(ledger.countPolicy('restart-web', 'actions', NOW + 1)).toBe(0);
    expect(ledger.countPolicy('restart-web', 'onResolved', 0)).toBe(1);
    expect(ledger.countPolicy('never', 'actions', 0)).toBe(0);
  });

  it('counts only disruptive entries, of any policy, since a time', () => {
    const ledger = new IndexedLedger(() => NOW);
    ledger.record(entry(NOW - 3 * MINUTE, { disruptive: true }));
    ledger.record(entry(NOW - 2 * MINUTE, { disruptive: false }));
    ledger.record(entry(NOW - MINUTE, { disruptive: true, policy: 'drain-node' }));
    expect(ledger.countDisruptive(0)).toBe(2);
    expect(ledger.countDisruptive(NOW - 3 * MINUTE)).toBe(2);
    expect(ledger.countDisruptive(NOW - 2 * MINUTE)).toBe(1);
    expect(ledger.countDisruptive(NOW)).toBe(0);
  });

  it('counts correctly when entries arrive out of order, with equal times', () => {
    const ledger = new IndexedLedger(() => NOW);
    const times = [50, 10, 30, 30, 0, 70, 30, 20, 0, 60];
    for (const at of times) ledger.record(entry(at, { disruptive: true }));
    for (const since of [-1, 0, 1, 10, 20, 29, 30, 31, 60, 70, 71]) {
      const expected = times.filter((t) => t >= since).length;
      expect(ledger.countPolicy('restart-web', 'actions', since), `since ${since}`).toBe(expected);
      expect(ledger.countDisruptive(since), `since ${since}`).toBe(expected);
    }
    expect(ledger.size.entries).toBe(times.length);
  });
});

describe('IndexedLedger: restore and export', () => {
  it('restores seen keys with their times and the history, answering as before', () => {
    const history = [entry(NOW - 5 * MINUTE, { disruptive: true }), entry(NOW - MINUTE, { target: 'web-2' })];
    const ledger = IndexedLedger.restore({ seen: [['k1', NOW - DAY], ['k2', NOW]], ledger: history }, () => NOW);
    expect(ledger.seen('k1')).toBe(true);
    expect(ledger.seen('k2')).toBe(true);
    expect(ledger.seen('k3')).toBe(false);
    expect(ledger.lastStart('restart-web', 'actions', 'web-2')).toBe(NOW - MINUTE);
    expect(ledger.countPolicy('restart-web', 'actions', NOW - 10 * MINUTE)).toBe(2);
    expect(ledger.countDisruptive(NOW - 10 * MINUTE)).toBe(1);
    expect(ledger.export(NOW)).toEqual({ seen: [['k1', NOW - DAY], ['k2', NOW]], ledger: history });
  });

  it('restores from a Map of seen keys (what replay builds)', () => {
    const ledger = IndexedLedger.restore({ seen: new Map([['k', NOW]]), ledger: [] });
    expect(ledger.seen('k')).toBe(true);
    expect(ledger.export(NOW).seen).toEqual([['k', NOW]]);
  });

  it('exports only what a guard can still look at: seen keys for 30 days, history for 7', () => {
    expect(SEEN_RETENTION_MS).toBe(30 * DAY);
    expect(LEDGER_RETENTION_MS).toBe(7 * DAY);
    const ledger = new IndexedLedger(() => NOW);
    ledger.markSeen('old', NOW - SEEN_RETENTION_MS - 1);
    ledger.markSeen('edge', NOW - SEEN_RETENTION_MS);
    ledger.markSeen('week-old', NOW - 8 * DAY);
    const kept = [entry(NOW - LEDGER_RETENTION_MS), entry(NOW)];
    ledger.record(entry(NOW - LEDGER_RETENTION_MS - 1));
    for (const e of kept) ledger.record(e);

    expect(ledger.export(NOW)).toEqual({
      seen: [['edge', NOW - SEEN_RETENTION_MS], ['week-old', NOW - 8 * DAY]],
      ledger: kept,
    });
    // Exporting drops nothing from the live ledger.
    expect(ledger.size).toEqual({ seen: 3, entries: 3 });
    expect(ledger.seen('old')).toBe(true);
  });

  it('round-trips through export and restore', () => {
    const ledger = new IndexedLedger(() => NOW);
    ledger.markSeen('a', NOW - MINUTE);
    ledger.record(entry(NOW - MINUTE, { disruptive: true }));
    ledger.record(entry(NOW - 2 * MINUTE, { target: 'web-9' }));
    const again = IndexedLedger.restore(ledger.export(NOW), () => NOW);
    expect(again.export(NOW)).toEqual(ledger.export(NOW));
    expect(again.countDisruptive(0)).toBe(1);
    expect(again.lastStart('restart-web', 'actions', 'web-9')).toBe(NOW - 2 * MINUTE);
  });
});

/** A small deterministic PRNG (mulberry32): a failing seed reproduces. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('IndexedLedger against MemoryLedger', () => {
  const POLICIES = ['p1', 'p2', 'p3'];
  const PHASES = ['actions', 'onResolved'];
  const TARGETS = ['t1', 't2', 't3', 't4'];

  it.each(Array.from({ length: 40 }, (_, i) => i + 1))('answers every query as MemoryLedger does (seed %i)', (seed) => {
    const next = random(seed);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
    const indexed = new IndexedLedger(() => NOW);
    const memory = new MemoryLedger();
    // MemoryLedger's lastStart is the last one recorded; the engine's ledger keeps the latest
    // time, which is the same when times come in order. Track the latest for the comparison.
    const latest = new Map<string, number>();
    const steps = 20 + Math.floor(next() * 200);
    for (let step = 0; step < steps; step++) {
      const roll = next();
      if (roll < 0.5) {
        // Out of order, often on a millisecond already used.
        const at = NOW - (next() < 0.6 ? Math.floor(next() * 10) : Math.floor(next() * 100_000));
        const e: LedgerEntry = { policy: pick(POLICIES), phase: pick(PHASES), target: pick(TARGETS), disruptive: next() < 0.4, at };
        indexed.record(e);
        memory.record(e);
        const key = `${e.policy}/${e.phase}/${e.target}`;
        latest.set(key, Math.max(latest.get(key) ?? -Infinity, e.at));
      } else if (roll < 0.6) {
        const key = `fp-${Math.floor(next() * 20)}`;
        indexed.markSeen(key);
        memory.markSeen(key);
      } else {
        const since = NOW - Math.floor(next() * 110_000);
        const policy = pick(POLICIES);
        const phase = pick(PHASES);
        const target = pick(TARGETS);
        const key = `fp-${Math.floor(next() * 20)}`;
        expect(indexed.countPolicy(policy, phase, since), `countPolicy at step ${step}`).toBe(memory.countPolicy(policy, phase, since));
        expect(indexed.countDisruptive(since), `countDisruptive at step ${step}`).toBe(memory.countDisruptive(since));
        expect(indexed.seen(key), `seen at step ${step}`).toBe(memory.seen(key));
        expect(indexed.lastStart(policy, phase, target), `lastStart at step ${step}`).toBe(latest.get(`${policy}/${phase}/${target}`));
      }
    }
  });

  it('gives the same lastStart as MemoryLedger when starts are recorded in time order', () => {
    const next = random(7);
    const indexed = new IndexedLedger(() => NOW);
    const memory = new MemoryLedger();
    let at = NOW - DAY;
    for (let i = 0; i < 300; i++) {
      at += Math.floor(next() * 3) * MINUTE;
      const e: LedgerEntry = { policy: `p${i % 3}`, phase: 'actions', target: `t${Math.floor(next() * 5)}`, disruptive: next() < 0.5, at };
      indexed.record(e);
      memory.record(e);
    }
    for (const policy of ['p0', 'p1', 'p2']) {
      for (const target of ['t0', 't1', 't2', 't3', 't4', 't5']) {
        expect(indexed.lastStart(policy, 'actions', target)).toBe(memory.lastStart(policy, 'actions', target));
      }
    }
  });
});
