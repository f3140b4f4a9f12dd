/**
 * Routine jobs in a real engine (in one process, real time, real journal, git audit and
 * scripts): each run audited with its outcome and listed by GET /api/v1/runs and /metrics,
 * concurrencyPolicy Forbid recording an overlapping run skipped, a run and an alert's action on
 * one target sharing its lock and cooldown, and run-now with its refusals.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../engine/audit/entry.js';
import { closeTestEngine, payload, startTestEngine, waitFor } from '../helpers/engine.js';
import type { TestEngine } from '../helpers/engine.js';

/** Writes "<tag> <target>" to $DIR/started-N, then waits for $DIR/release if $WAIT is set. */
const STEP = `#!/bin/sh
n=0; while [ -e "$DIR/started-$1-$n" ]; do n=$((n+1)); done
echo "$SCHEDULE_NAME $SCHEDULE_TARGET $SCHEDULE_DUE" > "$DIR/started-$1-$n"
if [ -n "$WAIT" ]; then while [ ! -e "$DIR/release" ]; do sleep 0.05; done; fi
`;

function schedule(name: string, dir: string, spec: string, env = ''): string {
  return `apiVersion: homeostat/v1
kind: Schedule
metadata: { name: ${name} }
spec:
  cron: '* * * * * *'
  targets: { hosts: [web-1] }
${spec}
  actions:
    - name: step
      script: { path: scripts/step.sh, args: ['${name}'], env: { DIR: '${dir}'${env} } }
      timeout: 1m
`;
}

/** On alert Hold: step.sh for the alert's host, which holds its target until released. */
const HOLD_POLICY = (dir: string) => `apiVersion: homeostat/v1
kind: Policy
metadata: { name: hold }
spec:
  match: { alertname: Hold }
  target: '{{ labels.host }}'
  actions: [{ name: hold, timeout: 1m, script: { path: scripts/step.sh, args: ['alert'], env: { DIR: '${dir}', WAIT: '1' } } }]
  guards: { cooldown: 0s }
`;

let t: TestEngine | undefined;
afterEach(async () => (t = await closeTestEngine(t)));

const ADMIN = 'admin-token-for-schedules';

async function start(files: (dir: string) => Record<string, string>): Promise<{ t: TestEngine; dir: string }> {
  const placeholder = HOLD_POLICY('/nonexistent').replace('name: hold', 'name: placeholder').replace('alertname: Hold', 'alertname: Placeholder');
  const engine = await startTestEngine({ files: { 'scripts/step.sh': STEP, 'rules/placeholder.yaml': placeholder }, config: { adminToken: ADMIN } });
  const dir = engine.root;
  const { writeRepo } = await import('../helpers/engine.js');
  const written = files(dir);
  writeRepo(engine.repoDir, written);
  expect((await engine.engine.policies.load()).ok).toBe(true);
  // The revision's schedules are taken once their first sight is journaled.
  const expected = Object.values(written).filter((text) => text.includes('kind: Schedule')).length;
  await waitFor(() => engine.engine.schedules.list().length === expected, 'the schedules to be active');
  return { t: engine, dir };
}

function runs(t: TestEngine, name?: string): AuditEntry[] {
  return t.engine.recent.list({ kind: 'run', limit: 10_000 }).filter((e) => name === undefined || e.schedule?.name === name);
}

async function api(t: TestEngine, method: 'GET' | 'POST', url: string, body?: unknown) {
  const response = await t.app.inject({ method, url, headers: { authorization: `Bearer ${ADMIN}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { payload: JSON.stringify(body) } : {}) });
  return { status: response.statusCode, body: response.json() as Record<string, unknown> };
}

describe('routine jobs in the engine', () => {
  it('runs each due time once, audits intent and outcome, and lists them in /api/v1/runs and /metrics', async () => {
    ({ t } = await start((dir) => ({ 'rules/every-second.yaml': schedule('every-second', dir, '  concurrencyPolicy: Allow') })));
    await waitFor(() => runs(t!, 'every-second').filter((e) => e.outcome === 'succeeded').length >= 2, 'two runs to succeed');
    const done = runs(t, 'every-second').filter((e) => e.outcome === 'succeeded');
    expect(done[0]).toMatchObject({ kind: 'run', action: 'step', type: 'script', target: 'web-1', verdict: 'run', schedule: { name: 'every-second', trigger: 'cron', timezone: 'UTC', by: null } });
    const dues = runs(t, 'every-second').map((e) => e.schedule!.due);
    expect(new Set(dues).size).toBe(dues.length);
    // In git: the intent, then the outcome, of one file.
    const id = done.at(-1)!.id;
    await waitFor(() => t!.git('log', '--format=%s', 'main').includes(`succeeded: schedule every-second/step (script) on web-1`), 'the outcome commit');
    expect(t.auditEntry(id)).toMatchObject({ kind: 'run', outcome: 'succeeded', execution: { exitCode: 0 } });
    const listed = await api(t, 'GET', '/api/v1/runs?schedule=every-second');
    expect(listed.status).toBe(200);
    expect((listed.body.runs as { outcome: string; durationMs: number }[]).find((r) => r.outcome === 'succeeded')).toMatchObject({ schedule: 'every-second', target: 'web-1', trigger: 'cron' });
    expect((listed.body.runs as { durationMs: number | null }[]).filter((r) => typeof r.durationMs === 'number').length).toBeGreaterThan(0);
    const metrics = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/homeostat_schedule_runs_total\{schedule="every-second",outcome="succeeded"\} \d+/);
    expect(metrics.body).toMatch(/homeostat_schedule_last_success_timestamp_seconds\{schedule="every-second"\} \d+/);
  });

  it('concurrencyPolicy Forbid: a run due while the previous one still runs is recorded skipped, not started', async () => {
    ({ t } = await start((dir) => ({ 'rules/slow.yaml': schedule('slow', dir, '  concurrencyPolicy: Forbid', ", WAIT: '1'") })));
    await waitFor(() => runs(t!, 'slow').some((e) => e.outcome === 'skipped'), 'a skipped run');
    const skipped = runs(t, 'slow').find((e) => e.outcome === 'skipped')!;
    expect(skipped).toMatchObject({ verdict: 'refused', target: 'web-1', execution: null, guards: { refusedBy: 'concurrency-policy' } });
    expect(skipped.reason).toMatch(/still queued or running \(concurrencyPolicy: Forbid\)/);
    const dir = t.root;
    expect(existsSync(join(dir, 'started-slow-0'))).toBe(true);
    expect(existsSync(join(dir, 'started-slow-1'))).toBe(false); // the skipped one never started
    writeFileSync(join(dir, 'release'), '');
    await waitFor(() => runs(t!, 'slow').some((e) => e.outcome === 'succeeded'), 'the first run to end');
  });

  it('a run and an alert action on the same target share its lock; a schedule\'s cooldown holds it off a target an alert action was decided for', async () => {
    ({ t } = await start((dir) => ({
      'rules/hold.yaml': HOLD_POLICY(dir),
      'rules/queued.yaml': schedule('queued', dir, '  concurrencyPolicy: Allow').replace("cron: '* * * * * *'", "cron: '0 0 1 1 *'"),
      'rules/cooled.yaml': schedule('cooled', dir, '  guards: { cooldown: 1h }').replace("cron: '* * * * * *'", "cron: '@yearly'").replace('web-1', 'web-2'),
    })));
    expect((await t.post(payload({ alertname: 'Hold', host: 'web-1' }))).statusCode).toBe(202);
    await waitFor(() => existsSync(join(t!.root, 'started-alert-0')), 'the alert action to start');
    const asked = await api(t, 'POST', '/api/v1/schedules/queued/run', { by: 'alice' });
    expect(asked.status).toBe(202);
    const [run] = asked.body.runs as { id: string; verdict: string }[];
    expect(run).toMatchObject({ verdict: 'run', trigger: 'manual', by: 'alice', target: 'web-1' });
    // Four slots are free, yet the run waits: the alert's action holds web-1.
    await waitFor(() => t!.engine.status().queue.waiting === 1, 'the run to wait in the queue');
    expect(existsSync(join(t.root, 'started-queued-0'))).toBe(false);
    writeFileSync(join(t.root, 'release'), '');
    await waitFor(() => runs(t!, 'queued').some((e) => e.outcome === 'succeeded'), 'the run to succeed after the alert action');
    // Cooldown: an alert action decided for web-2, then the schedule (never run before) on web-2 is refused.
    expect((await t.post(payload({ alertname: 'Hold', host: 'web-2' }))).statusCode).toBe(202);
    const cooled = await api(t, 'POST', '/api/v1/schedules/cooled/run', { by: 'alice' });
    expect(cooled.status).toBe(202);
    const [refused] = cooled.body.runs as { outcome: string; target: string; reason: string }[];
    expect(refused).toMatchObject({ target: 'web-2', outcome: 'refused' });
    expect(refused!.reason).toMatch(/^cooldown: an action was decided for web-2 (just now|.* ago) \(cooldown of cooled: 1h\)$/);
    expect(runs(t, 'cooled').map((e) => e.guards?.refusedBy)).toEqual(['cooldown']);
  });

  it('the other way: a run of a schedule with a cooldown holds a policy\'s action off its target; a check without one holds nothing', async () => {
    ({ t } = await start((dir) => ({
      'rules/restart.yaml': HOLD_POLICY(dir).replace('name: hold', 'name: restart').replace('alertname: Hold', 'alertname: Restart').replace(", WAIT: '1'", '').replace('cooldown: 0s', 'cooldown: 10m'),
      'rules/restarter.yaml': schedule('restarter', dir, '  guards: { cooldown: 1h }').replace("cron: '* * * * * *'", "cron: '@yearly'").replace('web-1', 'web-3'),
      'rules/checker.yaml': schedule('checker', dir, '').replace("cron: '* * * * * *'", "cron: '@yearly'").replace('web-1', 'web-4'),
    })));
    for (const name of ['restarter', 'checker']) expect((await api(t, 'POST', `/api/v1/schedules/${name}/run`, { by: 'alice' })).status).toBe(202);
    await waitFor(() => runs(t!).filter((e) => e.outcome === 'succeeded').length === 2, 'both runs to succeed');
    expect((await t.post(payload({ alertname: 'Restart', host: 'web-3' }))).statusCode).toBe(202);
    expect((await t.post(payload({ alertname: 'Restart', host: 'web-4' }))).statusCode).toBe(202);
    const actions = t.engine.recent.list({ policy: 'restart' });
    expect(actions.map((e) => [e.target, e.verdict, e.guards?.refusedBy ?? null]).sort()).toEqual([['web-3', 'refused', 'cooldown'], ['web-4', 'run', null]]);
    expect(actions.find((e) => e.target === 'web-3')!.reason).toMatch(/^cooldown: schedule restarter decided a run on web-3 .* ago \(cooldown of restart: 10m\)$/);
    await waitFor(() => existsSync(join(t!.root, 'started-alert-0')), 'the action on web-4 to run');
  });

  it('run-now refuses an unknown schedule, a target not its own, and a request without the admin token', async () => {
    ({ t } = await start((dir) => ({ 'rules/yearly.yaml': schedule('yearly', dir, '').replace("cron: '* * * * * *'", "cron: '@yearly'") })));
    expect(await api(t, 'POST', '/api/v1/schedules/nope/run')).toEqual({ status: 404, body: { error: "no schedule named 'nope' in the active revision" } });
    expect(await api(t, 'POST', '/api/v1/schedules/yearly/run', { target: 'db-9' })).toEqual({ status: 400, body: { error: "'db-9' is not a target of schedule yearly (web-1)" } });
    const anonymous = await t.app.inject({ method: 'POST', url: '/api/v1/schedules/yearly/run' });
    expect(anonymous.statusCode).toBe(401);
    expect(runs(t)).toEqual([]);
  });
});
