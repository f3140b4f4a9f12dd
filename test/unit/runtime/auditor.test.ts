import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../../engine/audit/entry.js';
import { Journal, readJournal } from '../../../engine/audit/journal.js';
import type { AuditWrite } from '../../../engine/audit/repo.js';
import { Auditor } from '../../../engine/runtime/auditor.js';
import type { AuditSink } from '../../../engine/runtime/auditor.js';
import { createMetrics } from '../../../engine/runtime/metrics.js';
import { systemError } from '../../helpers/fs-faults.js';
import { waitFor } from '../../helpers/wait.js';

const EVENT: AuditEntry = {
  apiVersion: 'homeostat.dev/v1',
  kind: 'event',
  id: '20261123T120000001Z-0000beef',
  at: '2026-11-23T12:00:00.000Z',
  revision: '4b825dc642cb6eb9a060e54bf8d69288fbee4904',
  event: { name: 'policies-activated', message: '3 policies active' },
};

/** A sink that records each commit's ids, and refuses the first `failures` commits. */
function sink(failures: number): AuditSink & { commits: string[][] } {
  const commits: string[][] = [];
  return {
    commits,
    commit: async (writes: readonly AuditWrite[]) => {
      if (failures-- > 0) throw new Error(`git fast-import failed: ${systemError('ENOSPC', 'write').message}`);
      commits.push(writes.map((w) => w.id));
      return 'c0ffee';
    },
  };
}

let dir: string;
let unhandled: unknown[];
const onUnhandled = (reason: unknown): void => void unhandled.push(reason);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'homeostat-auditor-'));
  unhandled = [];
  process.on('unhandledRejection', onUnhandled);
});

afterEach(() => {
  process.off('unhandledRejection', onUnhandled);
  rmSync(dir, { recursive: true, force: true });
});

function auditor(target: AuditSink, journal: Journal): Auditor {
  return new Auditor(target, journal, pino({ level: 'silent' }), createMetrics({ defaults: false }));
}

describe('Auditor', () => {
  it('retries a commit the disk refuses, says why meanwhile, and journals the commit once it succeeds', async () => {
    const { journal } = Journal.open(dir);
    const refusing = sink(1);
    const audit = auditor(refusing, journal);
    const committed = audit.enqueue(1, EVENT);
    expect(await waitFor(() => audit.error ?? undefined, 'the refused commit')).toBe('cannot commit to the audit repository: git fast-import failed: ENOSPC: no space left on device, write');
    await committed;
    expect(refusing.commits).toEqual([[EVENT.id]]);
    expect(audit.error).toBeNull();
    await journal.close();
    expect(readJournal(dir)).toEqual([{ t: 'committed', upTo: 1, seq: 1 }]);
  });

  // Regression: the record of a commit was appended and not awaited; a journal that refused it
  // made that an unhandled rejection, and the process died.
  it('leaves no unhandled rejection when the journal refuses the record of a commit', async () => {
    const { journal } = Journal.open(dir);
    await journal.close();
    const audit = auditor(sink(0), journal);
    await audit.enqueue(1, EVENT);
    await audit.flush();
    await journal.sync().catch(() => undefined); // the record's write has settled, one way or the other
    await new Promise((resolve) => setImmediate(resolve)); // where an unhandled rejection surfaces
    expect(unhandled).toEqual([]);
  });

  // A storm's entries are journaled in parts (append-parts.ts): a record that came between
  // them may be committed first, and its 'committed' record must not cover entries not queued.
  it('says nothing is committed from a seq it was told to expect until that hold is released', async () => {
    const { journal } = Journal.open(dir);
    const audit = auditor(sink(0), journal);
    const release = audit.expect(5);
    await audit.enqueue(9, EVENT); // came between the parts of the entries from seq 5 on
    release();
    await audit.enqueue(10, { ...EVENT, id: '20261123T120000001Z-0000cafe' });
    await audit.flush();
    await journal.close();
    expect(readJournal(dir).map((r) => r.t === 'committed' && r.upTo)).toEqual([4, 10]);
  });

  // The engine compacts the journal once this resolves: a small webhook answered while a
  // storm's backlog is committed must not start a compaction that finds the storm uncommitted.
  it('says when every entry journaled so far is committed, not only the last one asked about', async () => {
    const { journal } = Journal.open(dir);
    const gate: { open?: () => void } = {};
    const commits: string[][] = [];
    const held: AuditSink = {
      commit: async (writes) => {
        if (commits.length === 0) await new Promise<void>((resolve) => (gate.open = resolve));
        commits.push(writes.map((w) => w.id));
        return 'c0ffee';
      },
    };
    const audit = auditor(held, journal);
    await audit.queuedCommitted(); // nothing queued: at once
    const storm = [1, 2, 3].map((i) => audit.enqueue(i, { ...EVENT, id: `20261123T120000001Z-0000000${i}` }));
    const everything = audit.queuedCommitted();
    let settled = false;
    void everything.then(() => (settled = true));
    await waitFor(() => gate.open, 'the first commit to start');
    expect(settled).toBe(false);
    gate.open!();
    await everything;
    await Promise.all(storm);
    expect(commits.flat()).toEqual(['20261123T120000001Z-00000001', '20261123T120000001Z-00000002', '20261123T120000001Z-00000003']);

    // A payload still being journaled (its entries not queued yet) is waited for too.
    const release = audit.expect(4);
    let after = false;
    const journaled = audit.queuedCommitted().then(() => (after = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(after).toBe(false);
    const queued = audit.enqueue(4, { ...EVENT, id: '20261123T120000001Z-00000004' });
    release();
    await journaled;
    await queued;
    expect(commits.flat()).toContain('20261123T120000001Z-00000004');
    await journal.close();
  });
});
