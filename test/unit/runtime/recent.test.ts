import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../../engine/audit/entry.js';
import { RecentActions } from '../../../engine/runtime/recent.js';

function action(n: number, over: Partial<AuditEntry> = {}): AuditEntry {
  return {
    apiVersion: 'homeostat.dev/v1',
    kind: 'action',
    id: `20261123T120000${String(n).padStart(3, '0')}Z-0000beef`,
    at: '2026-11-23T12:00:00.000Z',
    revision: 'rev-1',
    alert: { fingerprint: 'fp', alertname: 'HighLoad', status: 'firing', startsAt: '2026-11-23T11:55:00Z', labels: {} },
    policy: 'restart-web',
    action: 'restart',
    type: 'script',
    phase: 'actions',
    target: 'web-1',
    params: {},
    description: null,
    verdict: 'run',
    reason: null,
    guards: { passed: [], refusedBy: null },
    approval: null,
    outcome: null,
    execution: null,
    ...over,
  };
}

function event(n: number): AuditEntry {
  return {
    apiVersion: 'homeostat.dev/v1',
    kind: 'event',
    id: `20261123T120000${String(n).padStart(3, '0')}Z-0000cafe`,
    at: '2026-11-23T12:00:00.000Z',
    revision: 'rev-1',
    event: { name: 'paused', message: 'paused by admin' },
  };
}

function ids(entries: readonly AuditEntry[]): string[] {
  return entries.map((e) => e.id.slice(12, 18));
}

describe('RecentActions', () => {
  it('lists nothing when empty', () => {
    expect(new RecentActions(10).list()).toEqual([]);
  });

  it('lists newest first', () => {
    const recent = new RecentActions(10);
    for (const n of [1, 2, 3]) recent.put(action(n));
    expect(ids(recent.list())).toEqual(['000003', '000002', '000001']);
  });

  it('keeps at most its capacity, forgetting the oldest', () => {
    const recent = new RecentActions(3);
    for (const n of [1, 2, 3, 4, 5]) recent.put(action(n));
    expect(ids(recent.list())).toEqual(['000005', '000004', '000003']);
    expect(recent.get(action(1).id)).toBeUndefined();
    expect(recent.get(action(2).id)).toBeUndefined();
    expect(recent.get(action(3).id)).toEqual(action(3));
  });

  it('replaces an entry put again, moves it to the front, and does not count it twice', () => {
    const recent = new RecentActions(3);
    for (const n of [1, 2, 3]) recent.put(action(n));
    const done = action(1, { outcome: 'succeeded' });
    recent.put(done);
    expect(ids(recent.list())).toEqual(['000001', '000003', '000002']);
    expect(recent.get(done.id)).toBe(done);
    // The re-put one is now the newest: the next put evicts 2, not 1.
    recent.put(action(4));
    expect(ids(recent.list())).toEqual(['000004', '000001', '000003']);
  });

  it('keeps events (they count toward capacity) but lists only actions', () => {
    const recent = new RecentActions(3);
    recent.put(action(1));
    recent.put(event(2));
    recent.put(action(3));
    expect(ids(recent.list())).toEqual(['000003', '000001']);
    expect(recent.get(event(2).id)).toEqual(event(2));
    recent.put(action(4));
    recent.put(action(5));
    expect(ids(recent.list())).toEqual(['000005', '000004', '000003']);
  });

  it('filters by policy, target and outcome (pending for no outcome yet), together', () => {
    const recent = new RecentActions(100);
    recent.put(action(1, { policy: 'restart-web', target: 'web-1', outcome: 'succeeded' }));
    recent.put(action(2, { policy: 'restart-web', target: 'web-2', outcome: null }));
    recent.put(action(3, { policy: 'drain-node', target: 'web-1', outcome: 'failed' }));
    recent.put(action(4, { policy: 'restart-web', target: 'web-1', outcome: 'failed' }));
    recent.put(action(5, { policy: 'restart-web', target: null, outcome: 'refused' }));

    expect(ids(recent.list({ policy: 'restart-web' }))).toEqual(['000005', '000004', '000002', '000001']);
    expect(ids(recent.list({ target: 'web-1' }))).toEqual(['000004', '000003', '000001']);
    expect(ids(recent.list({ outcome: 'failed' }))).toEqual(['000004', '000003']);
    expect(ids(recent.list({ outcome: 'pending' }))).toEqual(['000002']);
    expect(ids(recent.list({ policy: 'restart-web', target: 'web-1', outcome: 'failed' }))).toEqual(['000004']);
    expect(ids(recent.list({ policy: 'nope' }))).toEqual([]);
  });

  it('stops at the limit, 100 by default', () => {
    const recent = new RecentActions(500);
    for (let n = 1; n <= 150; n++) recent.put(action(n));
    expect(recent.list()).toHaveLength(100);
    expect(ids(recent.list()).slice(0, 2)).toEqual(['000150', '000149']);
    expect(ids(recent.list({ limit: 1 }))).toEqual(['000150']);
    expect(ids(recent.list({ limit: 2 }))).toEqual(['000150', '000149']);
    expect(ids(recent.list({ limit: 2, policy: 'restart-web', target: 'web-1' }))).toEqual(['000150', '000149']);
  });
});
