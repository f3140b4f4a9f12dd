import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Journal } from '../../../engine/audit/journal.js';
import type { NewRecord } from '../../../engine/audit/journal.js';
import { IndexedLedger } from '../../../engine/plan/ledger.js';
import { replay, snapshotOf } from '../../../engine/runtime/recovery.js';
import { EmbeddedStateStore } from '../../../engine/state/store.js';

const NOW = Date.parse('2026-12-03T12:00:00Z');
const dirs: string[] = [];

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A store on a journal in DIR, as the engine builds it: replayed state, appends to that journal. */
function openStore(dir: string): { store: EmbeddedStateStore; journal: Journal } {
  const { journal, records } = Journal.open(dir);
  const state = replay(records);
  const ledger = IndexedLedger.restore(state, () => NOW);
  const store = new EmbeddedStateStore(state.kv, () => ledger, async (entries, record) => {
    const all: NewRecord[] = entries.map((entry) => ({ t: 'entry', entry }));
    if (record) all.push(record);
    await journal.append(all).durable;
  }, () => NOW);
  return { store, journal };
}

describe('EmbeddedStateStore', () => {
  it('keeps what was committed across a restart, the last change of a key winning', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hs-state-'));
    dirs.push(dir);
    const first = openStore(dir);
    await first.store.commit([['pause', { by: 'alice', reason: 'db migration' }], ['approval/a1', { policy: 'p' }], ['approval/a2', { policy: 'q' }]]);
    await first.store.commit([['approval/a1', null], ['pause', { by: 'bob', reason: 'still migrating' }]]);
    expect(first.store.list('approval/')).toEqual([['approval/a2', { policy: 'q' }]]);
    await first.journal.close();

    const second = openStore(dir);
    expect(second.store.get('pause')).toEqual({ by: 'bob', reason: 'still migrating' });
    expect(second.store.get('approval/a1')).toBeUndefined();
    expect(second.store.list('approval/')).toEqual([['approval/a2', { policy: 'q' }]]);
    await second.journal.close();
  });

  it('keeps the state through a compaction of the journal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hs-state-'));
    dirs.push(dir);
    const first = openStore(dir);
    await first.store.commit([['breaker', { open: true, since: NOW }], ['pause', { by: 'alice' }]]);
    await first.store.commit([['pause', null]]);
    await first.journal.compact((records) => snapshotOf(replay(records), NOW));
    await first.store.commit([['approval/a3', { policy: 'r' }]]);
    await first.journal.close();

    const second = openStore(dir);
    expect(second.store.list('')).toEqual([['breaker', { open: true, since: NOW }], ['approval/a3', { policy: 'r' }]]);
    await second.journal.close();
  });
});
