/**
 * Reading the newest entries of one kind from a real audit repository, day directory by day
 * directory: newest first across days, months and years, only the kind asked for (not an
 * entry whose parameters merely hold a "kind" key), `since` and `through` cutting where asked,
 * and a reader that stops early.
 */
import { describe, expect, it } from 'vitest';
import { newEntryId, serializeEntry } from '../../engine/audit/entry.js';
import type { AuditEntry } from '../../engine/audit/entry.js';
import { writeKind } from '../../engine/audit/repo.js';
import type { AuditRepo, NewestQuery } from '../../engine/audit/repo.js';
import { gitSandbox } from '../helpers/git.js';

const sandbox = gitSandbox('homeostat-newest-');

function entry(kind: 'run' | 'action', at: string, params: Record<string, unknown> = {}): AuditEntry {
  const id = newEntryId(Date.parse(at));
  return {
    apiVersion: 'homeostat.dev/v1', kind, id, at, revision: 'r', action: 'step', type: 'script', phase: kind === 'run' ? 'schedule' : 'actions', target: 'web-1', params,
    ...(kind === 'run' ? { schedule: { name: 'nightly', runId: `nightly@${at}`, trigger: 'cron', due: at, timezone: 'UTC', by: null } } : { policy: 'restart' }),
    verdict: 'run', reason: null, guards: { passed: [], refusedBy: null }, outcome: 'succeeded', execution: null,
  } as AuditEntry;
}

async function collect(repo: AuditRepo, query: NewestQuery, stopAfter = Infinity): Promise<string[]> {
  const out: string[] = [];
  for await (const e of repo.newestOfKind(query)) {
    out.push(e.at);
    if (out.length >= stopAfter) break;
  }
  return out;
}

describe('newestOfKind', () => {
  it('reads the runs newest first across days, months and years, cut by since and through', async () => {
    const repo = await sandbox.openAudit({ repackEvery: 1000 });
    const runs = ['2025-12-31T23:59:00.000Z', '2026-01-01T03:00:00.000Z', '2026-01-01T04:00:00.000Z', '2026-02-10T03:00:00.000Z'].map((at) => entry('run', at));
    // An action on a day of runs, and one on a day of its own whose parameters hold a "kind": "run".
    const others = [entry('action', '2026-01-01T03:30:00.000Z'), entry('action', '2026-01-05T00:00:00.000Z', { kind: 'run' })];
    const all = [...runs, ...others];
    await repo.commit(all.map((e) => ({ id: e.id, kind: writeKind(e), content: serializeEntry(e), message: `${e.kind} ${e.at}`, trailers: {} })));
    const newest = runs.map((r) => r.at).reverse();
    expect(await collect(repo, { kind: 'run' })).toEqual(newest);
    expect(await collect(repo, { kind: 'action' })).toEqual(['2026-01-05T00:00:00.000Z', '2026-01-01T03:30:00.000Z']);
    expect(await collect(repo, { kind: 'run', since: new Date('2026-01-01T03:00:00.000Z') })).toEqual(newest.slice(0, 3));
    expect(await collect(repo, { kind: 'run', since: new Date('2026-01-01T03:00:00.001Z') })).toEqual(newest.slice(0, 2));
    expect(await collect(repo, { kind: 'run', through: runs[2]!.id })).toEqual(['2026-01-01T04:00:00.000Z', '2026-01-01T03:00:00.000Z', '2025-12-31T23:59:00.000Z']);
    expect(await collect(repo, { kind: 'run', through: runs[2]!.id, since: new Date('2026-01-01T00:00:00.000Z') })).toEqual(['2026-01-01T04:00:00.000Z', '2026-01-01T03:00:00.000Z']);
    expect(await collect(repo, { kind: 'run', since: new Date('2026-03-01T00:00:00.000Z') })).toEqual([]);
    expect(await collect(repo, { kind: 'run' }, 2)).toEqual(newest.slice(0, 2));
  });

  it('finds nothing in a repository without entries', async () => {
    const repo = await sandbox.openAudit();
    expect(await collect(repo, { kind: 'run' })).toEqual([]);
  });
});
