/**
 * The run history (GET /api/v1/runs) of a real engine (journal, git audit, scripts) whose memory
 * keeps only three actions: the runs memory dropped are read from the audit repository, `since`
 * reaches them, pages follow each other without a gap or a repeat; after a restart the runs
 * before it are still listed, and the due times the stop left beyond the starting deadline are
 * recorded missed, one entry per target.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { closeTestEngine, startTestEngine, waitFor } from '../helpers/engine.js';
import type { TestEngine } from '../helpers/engine.js';

const ADMIN = 'admin-token-for-run-history';
const STEP = '#!/bin/sh\ntouch "$DIR/ran-$SCHEDULE_TARGET-$$"\n';

function files(dir: string): Record<string, string> {
  return {
    'scripts/step.sh': STEP,
    'rules/hourly.yaml': `apiVersion: homeostat/v1
kind: Schedule
metadata: { name: hourly }
spec:
  cron: '0 * * * *'
  targets: { hosts: [web-1, web-2] }
  concurrencyPolicy: Allow
  startingDeadline: 1m
  actions:
    - name: step
      script: { path: scripts/step.sh, env: { DIR: '${dir}' } }
`,
  };
}

interface Run { id: string; schedule: string; target: string; trigger: string; outcome: string | null; durationMs: number | null; missed?: { count: number } }

let t: TestEngine | undefined;
afterEach(async () => (t = await closeTestEngine(t)));

async function get(e: TestEngine, query: string): Promise<{ runs: Run[]; next: string | null; incomplete?: string }> {
  const response = await e.app.inject({ method: 'GET', url: `/api/v1/runs?${query}`, headers: { authorization: `Bearer ${ADMIN}` } });
  expect(response.statusCode).toBe(200);
  return response.json();
}

describe('the run history beyond memory', () => {
  it('lists what memory dropped from git, reaches it with since, pages through it, and keeps it across a restart with the missed runs per target', async () => {
    const root = mkdtempSync(join(tmpdir(), 'homeostat-run-history-'));
    t = await startTestEngine({ files: files(root), dataDir: join(root, 'data'), config: { adminToken: ADMIN }, recentActions: 3 });
    await waitFor(() => t!.engine.schedules.list().length === 1, 'the schedule to be active');
    for (let i = 0; i < 4; i++) {
      const asked = await t.app.inject({ method: 'POST', url: '/api/v1/schedules/hourly/run', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, payload: `{"by":"run-${i}"}` });
      expect(asked.statusCode).toBe(202);
    }
    // 4 runs on 2 targets: 8 entries, their outcomes committed (memory keeps 3 of them at most).
    const all = await waitFor(async () => {
      const page = await get(t!, 'schedule=hourly&limit=500');
      return page.runs.length === 8 && page.runs.every((r) => r.outcome === 'succeeded') ? page : undefined;
    }, 'the 8 runs to succeed and be listed');
    expect(all.next).toBeNull();
    expect(all.incomplete).toBeUndefined();
    expect(readdirSync(root).filter((f) => f.startsWith('ran-'))).toHaveLength(8);
    const ids = all.runs.map((r) => r.id);
    expect(new Set(ids).size).toBe(8);
    expect(ids).toEqual([...ids].sort().reverse());
    for (const r of all.runs) expect(r).toMatchObject({ schedule: 'hourly', trigger: 'manual', outcome: 'succeeded', durationMs: expect.any(Number) });
    const oldest = ids.at(-1)!;
    expect(t.engine.recent.get(oldest)).toBeUndefined(); // read from git, not memory
    expect(t.engine.recent.list({ kind: 'run', limit: 100 }).length).toBeLessThanOrEqual(3);

    // since: from the oldest run's creation on, all of them; from just after it, one fewer.
    const stamp = (id: string) => new Date(`${id.slice(0, 4)}-${id.slice(4, 6)}-${id.slice(6, 8)}T${id.slice(9, 11)}:${id.slice(11, 13)}:${id.slice(13, 15)}.${id.slice(15, 18)}Z`);
    expect((await get(t, `schedule=hourly&limit=500&since=${stamp(oldest).toISOString()}`)).runs.map((r) => r.id)).toEqual(ids);
    const later = new Date(stamp(oldest).getTime() + 1).toISOString();
    expect((await get(t, `limit=500&since=${later}`)).runs.map((r) => r.id)).toEqual(ids.filter((id) => stamp(id).getTime() > stamp(oldest).getTime()));
    // Pages of 3: 3, 3, 2, in order, each `next` the last id shown.
    const pages: Run[][] = [];
    let before: string | null = null;
    do {
      const page = await get(t, `schedule=hourly&limit=3${before ? `&before=${before}` : ''}`);
      pages.push(page.runs);
      before = page.next;
      if (before) expect(before).toBe(page.runs.at(-1)!.id);
    } while (before);
    expect(pages.map((p) => p.length)).toEqual([3, 3, 2]);
    expect(pages.flat().map((r) => r.id)).toEqual(ids);
    const badCursor = await t.app.inject({ method: 'GET', url: '/api/v1/runs?before=../x', headers: { authorization: `Bearer ${ADMIN}` } });
    expect([badCursor.statusCode, badCursor.json()]).toEqual([400, { error: 'before: not a run id; give the next of the previous page' }]);
    expect((await get(t, 'outcome=failed&limit=500')).runs).toEqual([]);
    expect((await get(t, 'target=web-2&limit=500')).runs.map((r) => r.id)).toEqual(all.runs.filter((r) => r.target === 'web-2').map((r) => r.id));

    // A restart whose clock stands at half past the hour, three hours on: the hourly due times
    // came and went beyond the 1m starting deadline while it was down.
    const dataDir = t.dataDir;
    const firstSeen = Date.parse(t.engine.schedules.list()[0]!.lastDue);
    await t.close();
    const now = Date.now();
    const offset = Math.ceil(now / 3600_000) * 3600_000 + 2 * 3600_000 + 30 * 60_000 - now;
    // The hours begun after the schedule was first seen, up to the restart's half past (three, or four if an hour began during this test).
    const owed = Math.ceil(now / 3600_000) + 2 - Math.floor(firstSeen / 3600_000);
    t = await startTestEngine({ files: files(root), dataDir, config: { adminToken: ADMIN }, recentActions: 3, clock: () => Date.now() + offset });
    const after = await waitFor(async () => {
      const page = await get(t!, 'schedule=hourly&limit=500');
      return page.runs.length === 10 ? page : undefined;
    }, 'the missed runs to be recorded');
    const missed = after.runs.filter((r) => r.outcome === 'missed');
    expect(missed.map((r) => [r.target, r.trigger, r.missed?.count]).sort()).toEqual([['web-1', 'cron', owed], ['web-2', 'cron', owed]]);
    expect(after.runs.map((r) => r.id).slice(2)).toEqual(ids); // the runs before the restart, from git
    expect(readdirSync(root).filter((f) => f.startsWith('ran-'))).toHaveLength(8); // nothing missed ran
  }, 60_000);
});
