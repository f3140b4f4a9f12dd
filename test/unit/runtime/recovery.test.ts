import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../../engine/audit/entry.js';
import type { JournalRecord } from '../../../engine/audit/journal.js';
import type { LedgerEntry } from '../../../engine/plan/ledger.js';
import { LEDGER_RETENTION_MS, SEEN_RETENTION_MS } from '../../../engine/plan/ledger.js';
import { replay, snapshotOf, unfinished } from '../../../engine/runtime/recovery.js';
import { validate } from '../../../engine/schema/validator.js';

const NOW = Date.parse('2026-11-23T12:00:00Z');
const DAY = 24 * 3600_000;

type EntryRecord = Extract<JournalRecord, { t: 'entry' }>;
type StartedRecord = Extract<JournalRecord, { t: 'started' }>;

function id(n: number): string {
  return `20261123T120000${String(n).padStart(3, '0')}Z-0000beef`;
}

/** An action's intent as intake writes it: decided, not run yet. */
function intent(n: number, over: Partial<AuditEntry> = {}): AuditEntry {
  return {
    apiVersion: 'homeostat.dev/v1',
    kind: 'action',
    id: id(n),
    at: '2026-11-23T12:00:00.000Z',
    revision: '4b825dc642cb6eb9a060e54bf8d69288fbee4904',
    alert: {
      fingerprint: 'a1b2c3d4e5f60718',
      alertname: 'HighLoad',
      status: 'firing',
      startsAt: '2026-11-23T11:55:00Z',
      labels: { alertname: 'HighLoad', instance: 'web-1' },
      groupKey: '{}:{alertname="HighLoad"}',
      receiver: 'homeostat',
    },
    policy: 'restart-web',
    action: 'restart',
    type: 'script',
    phase: 'actions',
    target: 'web-1',
    params: { script: 'restart.sh', args: ['web-1'] },
    description: 'run restart.sh web-1',
    verdict: 'run',
    reason: null,
    guards: { passed: ['duplicate', 'cooldown', 'rate-limit'], refusedBy: null },
    approval: null,
    outcome: null,
    execution: null,
    ...over,
  };
}

/** The same action once it ended. */
function ended(entry: AuditEntry, outcome: AuditEntry['outcome'] = 'succeeded'): AuditEntry {
  return {
    ...entry,
    outcome,
    reason: outcome === 'succeeded' ? null : 'exit code 1',
    execution: {
      startedAt: '2026-11-23T12:00:01.000Z',
      endedAt: '2026-11-23T12:00:03.500Z',
      durationMs: 2500,
      exitCode: outcome === 'succeeded' ? 0 : 1,
      signal: null,
      pgid: 4242,
      dryRun: entry.verdict === 'dry-run',
      command: ['scripts/restart.sh', 'web-1'],
      output: 'restarted\n',
      outputTruncated: false,
    },
  };
}

function event(n: number): AuditEntry {
  return {
    apiVersion: 'homeostat.dev/v1',
    kind: 'event',
    id: id(n),
    at: '2026-11-23T12:00:00.000Z',
    revision: '4b825dc642cb6eb9a060e54bf8d69288fbee4904',
    event: { name: 'policies-activated', message: '3 policies active', details: { policies: 3 } },
  };
}

function rec(seq: number, entry: AuditEntry): EntryRecord {
  return { t: 'entry', seq, entry };
}

function startedRec(seq: number, n: number, pgid = 4242): StartedRecord {
  return { t: 'started', seq, id: id(n), pgid, leaderStart: '123456' };
}

function ledgerEntry(at: number, over: Partial<LedgerEntry> = {}): LedgerEntry {
  return { policy: 'restart-web', phase: 'actions', target: 'web-1', disruptive: true, at, ...over };
}

describe('test entries are valid audit entries', () => {
  it.each([
    ['intent', intent(1)],
    ['dry-run intent', intent(2, { verdict: 'dry-run' })],
    ['awaiting approval', intent(3, { verdict: 'awaiting-approval' })],
    ['refused', intent(4, { verdict: 'refused', outcome: 'refused', reason: 'cooldown: restarted 2m ago', guards: { passed: ['duplicate'], refusedBy: 'cooldown' } })],
    ['succeeded', ended(intent(5))],
    ['failed', ended(intent(6), 'failed')],
    ['event', event(7)],
  ])('%s', (_, entry) => {
    expect(validate('AuditEntry', entry)).toEqual([]);
  });
});

describe('replay', () => {
  it('gives an empty state for no records', () => {
    const state = replay([]);
    expect(state).toEqual({ committedUpTo: 0, seen: new Map(), ledger: [], latest: new Map(), started: new Map(), uncommitted: [], kv: new Map() });
    expect(unfinished(state)).toEqual([]);
  });

  it('keeps the latest record of each entry, and the uncommitted records in journal order', () => {
    const a = intent(1);
    const b = intent(2, { target: 'web-2' });
    const records: JournalRecord[] = [
      rec(1, a),
      rec(2, b),
      { t: 'committed', seq: 3, upTo: 2 },
      startedRec(4, 1),
      rec(5, ended(a)),
    ];
    const state = replay(records);
    expect(state.committedUpTo).toBe(2);
    expect([...state.latest.entries()]).toEqual([
      [id(1), rec(5, ended(a))],
      [id(2), rec(2, b)],
    ]);
    expect([...state.started.entries()]).toEqual([[id(1), startedRec(4, 1)]]);
    expect(state.uncommitted).toEqual([rec(5, ended(a))]);
  });

  it('takes the highest committed mark, whatever the order of the committed records', () => {
    const records: JournalRecord[] = [
      rec(1, intent(1)),
      rec(2, intent(2)),
      rec(3, intent(3)),
      { t: 'committed', seq: 4, upTo: 3 },
      { t: 'committed', seq: 5, upTo: 1 },
    ];
    const state = replay(records);
    expect(state.committedUpTo).toBe(3);
    expect(state.uncommitted).toEqual([]);
  });

  it('lists every uncommitted record of an entry, intent and outcome alike', () => {
    const a = intent(1);
    const state = replay([rec(1, a), rec(2, ended(a, 'failed'))]);
    expect(state.uncommitted).toEqual([rec(1, a), rec(2, ended(a, 'failed'))]);
    expect(state.latest.get(id(1))).toEqual(rec(2, ended(a, 'failed')));
  });

  it('rebuilds the guards memory: seen keys at their record time (a later one wins) and the history in order', () => {
    const state = replay([
      { t: 'guard', seq: 1, at: NOW - 10, seen: ['k1', 'k2'], ledger: [ledgerEntry(NOW - 10)] },
      { t: 'guard', seq: 2, at: NOW, seen: ['k2'], ledger: [ledgerEntry(NOW, { target: 'web-2' }), ledgerEntry(NOW, { disruptive: false })] },
    ]);
    expect([...state.seen]).toEqual([
      ['k1', NOW - 10],
      ['k2', NOW],
    ]);
    expect(state.ledger).toEqual([ledgerEntry(NOW - 10), ledgerEntry(NOW, { target: 'web-2' }), ledgerEntry(NOW, { disruptive: false })]);
  });

  it('replays a snapshot as the records it summarizes, then the records after it', () => {
    const pending = intent(1);
    const uncommitted = ended(intent(2));
    const records: JournalRecord[] = [
      {
        t: 'snapshot',
        seq: 10,
        state: {
          committedUpTo: 8,
          seen: [['k1', NOW - DAY]],
          ledger: [ledgerEntry(NOW - DAY)],
          open: [rec(3, pending), startedRec(5, 1), rec(9, uncommitted)],
        },
      },
      { t: 'guard', seq: 11, at: NOW, seen: ['k2'], ledger: [ledgerEntry(NOW)] },
      rec(12, ended(pending)),
    ];
    const state = replay(records);
    expect(state.committedUpTo).toBe(8);
    expect([...state.seen]).toEqual([
      ['k1', NOW - DAY],
      ['k2', NOW],
    ]);
    expect(state.ledger).toEqual([ledgerEntry(NOW - DAY), ledgerEntry(NOW)]);
    expect(state.latest.get(id(1))).toEqual(rec(12, ended(pending)));
    expect(state.latest.get(id(2))).toEqual(rec(9, uncommitted));
    expect(state.started.get(id(1))).toEqual(startedRec(5, 1));
    expect(state.uncommitted).toEqual([rec(9, uncommitted), rec(12, ended(pending))]);
  });
});

describe('unfinished', () => {
  it('lists the actions to run or dry-run whose latest record has no outcome, and nothing else', () => {
    const running = intent(1);
    const dryRunning = intent(2, { verdict: 'dry-run' });
    const done = intent(3);
    const records: JournalRecord[] = [
      rec(1, running),
      rec(2, dryRunning),
      rec(3, done),
      rec(4, intent(4, { verdict: 'awaiting-approval' })),
      rec(5, intent(5, { verdict: 'refused', outcome: 'refused', reason: 'cooldown', guards: { passed: ['duplicate'], refusedBy: 'cooldown' } })),
      rec(6, intent(6, { verdict: 'failed', outcome: 'failed', reason: "label 'pod' is missing", params: null })),
      rec(7, event(7)),
      rec(8, ended(done)),
      startedRec(9, 1),
      { t: 'committed', seq: 10, upTo: 9 },
    ];
    for (const r of records) if (r.t === 'entry') expect(validate('AuditEntry', r.entry), r.entry.id).toEqual([]);
    expect(unfinished(replay(records))).toEqual([rec(1, running), rec(2, dryRunning)]);
  });
});

describe('snapshotOf', () => {
  /** A journal with something of every kind: committed and not, ended and not, old and new. */
  function journal(): JournalRecord[] {
    const committedPending = intent(1); // committed, running, started
    const committedDone = intent(2); // committed and ended: dropped
    const uncommittedPending = intent(3, { verdict: 'dry-run' }); // uncommitted, not started yet
    const awaiting = intent(4, { verdict: 'awaiting-approval' }); // committed, waits for a person
    const uncommittedDone = intent(5); // committed intent, uncommitted outcome
    return [
      { t: 'guard', seq: 1, at: NOW - SEEN_RETENTION_MS - 1, seen: ['too-old'], ledger: [ledgerEntry(NOW - LEDGER_RETENTION_MS - 1)] },
      { t: 'guard', seq: 2, at: NOW - 8 * DAY, seen: ['kept'], ledger: [ledgerEntry(NOW - 8 * DAY)] },
      { t: 'guard', seq: 3, at: NOW, seen: ['new'], ledger: [ledgerEntry(NOW - LEDGER_RETENTION_MS), ledgerEntry(NOW)] },
      rec(4, committedPending),
      rec(5, committedDone),
      rec(6, awaiting),
      rec(7, uncommittedDone),
      startedRec(8, 2, 1111),
      rec(9, ended(committedDone)),
      startedRec(10, 1, 2222),
      { t: 'committed', seq: 11, upTo: 10 },
      rec(12, uncommittedPending),
      startedRec(13, 5, 3333),
      rec(14, ended(uncommittedDone, 'failed')),
      rec(15, event(6)),
    ];
  }

  it('keeps uncommitted records, pending actions with their started records, and the recent guard memory', () => {
    const records = journal();
    const snapshot = snapshotOf(replay(records), NOW);
    expect(snapshot).toEqual({
      committedUpTo: 10,
      seen: [
        ['kept', NOW - 8 * DAY],
        ['new', NOW],
      ],
      ledger: [ledgerEntry(NOW - LEDGER_RETENTION_MS), ledgerEntry(NOW)],
      kv: [],
      open: [
        rec(4, intent(1)),
        rec(6, intent(4, { verdict: 'awaiting-approval' })),
        startedRec(10, 1, 2222),
        rec(12, intent(3, { verdict: 'dry-run' })),
        rec(14, ended(intent(5), 'failed')),
        rec(15, event(6)),
      ],
    });
  });

  it('replays to the same unfinished actions, uncommitted records and committed mark', () => {
    const state = replay(journal());
    const snapshot = snapshotOf(state, NOW);
    const again = replay([{ t: 'snapshot', seq: 16, state: snapshot }]);
    expect(again.committedUpTo).toBe(state.committedUpTo);
    expect(unfinished(again)).toEqual(unfinished(state));
    expect(unfinished(again).map((r) => r.entry.id)).toEqual([id(1), id(3)]);
    expect(again.uncommitted).toEqual(state.uncommitted);
    expect(again.started.get(id(1))).toEqual(startedRec(10, 1, 2222));
    expect(again.seen).toEqual(new Map(snapshot.seen));
    expect(again.ledger).toEqual(snapshot.ledger);
  });

  it('is stable under a second compaction', () => {
    const first = snapshotOf(replay(journal()), NOW);
    const second = snapshotOf(replay([{ t: 'snapshot', seq: 16, state: first }]), NOW);
    expect(second).toEqual(first);
  });

  it('keeps an uncommitted record that is not the latest of its entry', () => {
    const a = intent(1);
    const state = replay([rec(1, a), rec(2, ended(a))]);
    expect(snapshotOf(state, NOW).open).toEqual([rec(1, a), rec(2, ended(a))]);
  });

  it('drops everything of an entry that is committed and ended', () => {
    const a = intent(1);
    const state = replay([rec(1, a), startedRec(2, 1), rec(3, ended(a)), { t: 'committed', seq: 4, upTo: 3 }]);
    expect(snapshotOf(state, NOW)).toEqual({ committedUpTo: 3, seen: [], ledger: [], kv: [], open: [] });
  });
});
