/**
 * Start-up from the journal: rebuild the guards' memory, end the process groups a crash left
 * running, record every action that had not ended as interrupted (it is never re-run by
 * itself), and hand back what is not yet in the audit repository, oldest first.
 */
import type { AuditEntry } from '../audit/entry.js';
import type { JournalRecord, JournalSnapshot } from '../audit/journal.js';
import { endProcessGroup } from '../exec/exec.js';
import type { LedgerEntry } from '../plan/ledger.js';
import { interrupted } from './executor.js';
import { retained } from '../plan/ledger.js';
import { applyChanges } from '../state/store.js';

type EntryRecord = Extract<JournalRecord, { t: 'entry' }>;
type StartedRecord = Extract<JournalRecord, { t: 'started' }>;

export interface JournalState {
  committedUpTo: number;
  seen: Map<string, number>;
  ledger: LedgerEntry[];
  /** The latest record of each entry, by id. */
  latest: Map<string, EntryRecord>;
  started: Map<string, StartedRecord>;
  /** Entry records not yet committed, in journal order. */
  uncommitted: EntryRecord[];
  /** The durable state (engine/state/): the last value of each key not deleted. */
  kv: Map<string, unknown>;
}

export function replay(records: readonly JournalRecord[]): JournalState {
  const state: JournalState = { committedUpTo: 0, seen: new Map(), ledger: [], latest: new Map(), started: new Map(), uncommitted: [], kv: new Map() };
  const entries: EntryRecord[] = [];
  const apply = (record: JournalRecord) => {
    switch (record.t) {
      case 'entry':
        entries.push(record);
        state.latest.set(record.entry.id, record);
        break;
      case 'started':
        state.started.set(record.id, record);
        break;
      case 'guard':
        for (const key of record.seen) state.seen.set(key, record.at);
        state.ledger.push(...record.ledger);
        break;
      case 'state':
        applyChanges(state.kv, record.changes);
        break;
      case 'committed':
        state.committedUpTo = Math.max(state.committedUpTo, record.upTo);
        break;
      case 'snapshot':
        state.committedUpTo = Math.max(state.committedUpTo, record.state.committedUpTo);
        for (const [key, at] of record.state.seen) state.seen.set(key, at);
        state.ledger.push(...record.state.ledger);
        applyChanges(state.kv, record.state.kv ?? []);
        for (const open of record.state.open) apply(open);
        break;
    }
  };
  for (const record of records) apply(record);
  state.uncommitted = entries.filter((r) => r.seq > state.committedUpTo);
  return state;
}

/** Actions whose last record has no outcome and that were to run: the ones a crash cut short. */
export function unfinished(state: JournalState): EntryRecord[] {
  return [...state.latest.values()].filter((r) => (r.entry.kind === 'action' || r.entry.kind === 'run') && r.entry.outcome === null && (r.entry.verdict === 'run' || r.entry.verdict === 'dry-run'));
}

/** Ends what is left of each unfinished run and returns its interrupted entry. */
export async function interruptUnfinished(state: JournalState, now: number): Promise<{ entry: AuditEntry; ended: boolean }[]> {
  const results: { entry: AuditEntry; ended: boolean }[] = [];
  for (const record of unfinished(state)) {
    const started = state.started.get(record.entry.id);
    let ended = false;
    if (started) ended = await endProcessGroup(started.pgid, started.leaderStart);
    const reason = started
      ? `interrupted: the engine stopped while this ran${ended ? `; its process group ${started.pgid} was ended at start-up` : ''}; not re-run`
      : 'interrupted: the engine stopped before a start of this was journaled (it had not started, or had only just); not re-run';
    const entry = interrupted(record.entry, now, reason, started?.pgid ?? null);
    results.push({ entry, ended });
  }
  return results;
}

/**
 * What a compacted journal must still hold (see Journal.compact): the guards' memory that a
 * guard can still look at, and every record of an entry that is not committed or not ended.
 */
export function snapshotOf(state: JournalState, now: number): JournalSnapshot {
  const open: JournalSnapshot['open'] = [...state.uncommitted];
  const kept = new Set(state.uncommitted);
  for (const record of state.latest.values()) {
    if (record.entry.outcome !== null) continue;
    if (!kept.has(record)) open.push(record);
    const started = state.started.get(record.entry.id);
    if (started) open.push(started);
  }
  open.sort((a, b) => a.seq - b.seq);
  return {
    committedUpTo: state.committedUpTo,
    ...retained([...state.seen], state.ledger, now),
    kv: [...state.kv],
    open,
  };
}
