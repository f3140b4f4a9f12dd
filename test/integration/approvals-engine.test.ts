/**
 * Approvals in the engine, through the real journal, audit repository and executor, with the
 * engine's clock in the test's hands: the guards are checked again when an approval is
 * answered (the hold counted for nothing, the approved run for its cooldown), an approval
 * answered past its ttl is expired at that moment, `serve --dry-run` keeps the hold and runs
 * the approved action dry, and homeostat.yaml's `paused: true` wins over a resume.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeTestEngine, payload, startTestEngine, waitFor, writeRepo } from '../helpers/engine.js';
import type { TestEngine } from '../helpers/engine.js';
import { startReceiver } from '../helpers/receiver.js';
import type { Receiver } from '../helpers/receiver.js';

const ADMIN = 'integration-admin-token-0123456789';
const T0 = Date.parse('2026-11-21T10:00:00Z');

let t: TestEngine | undefined;
/** Where the script leaves a file per run (ran-INSTANCE). */
let marks = '';
beforeEach(() => {
  marks = mkdtempSync(join(tmpdir(), 'homeostat-approval-marks-'));
});
let hook: Receiver | undefined;
afterEach(async () => {
  t = await closeTestEngine(t);
  await hook?.close();
  hook = undefined;
  rmSync(marks, { recursive: true, force: true });
});

function ran(instance: string): boolean {
  return existsSync(join(marks, `ran-${instance}`));
}

function files(guards: string, settings = '', notify = ''): Record<string, string> {
  return {
    'rules/reboot.yaml': `apiVersion: homeostat/v1
kind: Policy
metadata: { name: reboot }
spec:
  match: { alertname: NodeDown }
  target: '{{ labels.host }}'
  actions:
    - name: mark
      script: { path: scripts/mark.sh, args: ['{{ labels.instance }}'] }${notify}
  guards: { approval: { required: true, ttl: 30m }${guards} }
`,
    'scripts/mark.sh': `#!/bin/sh\ntouch '${marks}/ran-'"$1"\n`,
    ...(settings ? { 'homeostat.yaml': `apiVersion: homeostat/v1\nkind: Settings\nspec:\n${settings}` } : {}),
  };
}

async function start(fileSet: Record<string, string>, options: { dryRun?: boolean; clock?: () => number } = {}): Promise<TestEngine> {
  return startTestEngine({ files: fileSet, config: { adminToken: ADMIN, dryRun: options.dryRun ?? false }, ...(options.clock ? { clock: options.clock } : {}) });
}

async function answer(engine: TestEngine, id: string, what: 'approve' | 'deny' | 'pause' | 'resume', reason = 'checked') {
  const url = what === 'pause' || what === 'resume' ? `/api/v1/${what}` : `/api/v1/approvals/${id}/${what}`;
  const response = await engine.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, payload: JSON.stringify({ reason }) });
  return { status: response.statusCode, body: response.json() as Record<string, unknown> };
}

async function pending(engine: TestEngine): Promise<{ id: string; target: string }[]> {
  const response = await engine.app.inject({ method: 'GET', url: '/api/v1/approvals', headers: { authorization: `Bearer ${ADMIN}` } });
  return (response.json() as { approvals: { id: string; target: string }[] }).approvals;
}

async function metric(engine: TestEngine, name: string): Promise<number> {
  const text = (await engine.app.inject({ method: 'GET', url: '/metrics' })).body;
  return Number(text.split('\n').find((l) => l.startsWith(`${name} `))?.split(' ')[1]);
}

describe('approvals in the engine', () => {
  it('checks the guards again when approved: the hold counts for nothing, the approved run holds the next one by its cooldown', async () => {
    let now = T0;
    t = await start(files(', cooldown: 1h'), { clock: () => now });
    // Two alerts on one target: both held (a hold is not a decided action), not one refused.
    expect((await t.post(payload({ alertname: 'NodeDown', host: 'web-1', instance: 'a' }))).statusCode).toBe(202);
    now += 1_000;
    expect((await t.post(payload({ alertname: 'NodeDown', host: 'web-1', instance: 'b' }))).statusCode).toBe(202);
    const [first, second] = await pending(t);
    expect([first!.target, second!.target]).toEqual(['web-1', 'web-1']);
    expect(await metric(t, 'homeostat_approvals_pending')).toBe(2);

    now += 60_000;
    const approved = await answer(t, first!.id, 'approve');
    expect(approved).toMatchObject({ status: 202, body: { entry: { id: first!.id, verdict: 'run' } } });
    await waitFor(() => ran('a'), 'the approved action to run');

    const refused = await answer(t, second!.id, 'approve');
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ guard: 'cooldown', error: `refused by the cooldown guard: cooldown: reboot decided an action for web-1 just now (cooldown 1h, until ${new Date(T0 + 61 * 60_000 + 1_000).toISOString()}); not run, and still pending until ${new Date(T0 + 1_000 + 30 * 60_000).toISOString()}` });
    expect((await pending(t)).map((a) => a.id)).toEqual([second!.id]);
    expect(ran('b')).toBe(false);
  });

  it('checks the node guards again too: a target protected since the hold is refused when approved', async () => {
    t = await start(files(''));
    await t.post(payload({ alertname: 'NodeDown', host: 'db-1', instance: 'p' }));
    const [held] = await pending(t);
    const revision = t.engine.status().policies.revision;
    writeRepo(t.repoDir, { 'homeostat.yaml': 'apiVersion: homeostat/v1\nkind: Settings\nspec:\n  protected: { targets: [db-*] }\n' });
    await waitFor(() => t!.engine.status().policies.revision !== revision, 'the revision protecting db-*');
    const refused = await answer(t, held!.id, 'approve');
    expect(refused).toMatchObject({ status: 409, body: { guard: 'protected' } });
    expect(ran('p')).toBe(false);
    expect((await pending(t)).map((a) => a.id)).toEqual([held!.id]);
  });

  it('expires an approval answered past its ttl at that moment, before its timer does', async () => {
    let now = T0;
    t = await start(files(''), { clock: () => now });
    await t.post(payload({ alertname: 'NodeDown', host: 'web-2', instance: 'c' }));
    const [held] = await pending(t);
    now += 30 * 60_000; // the ttl: the timer, armed on real time for 30 minutes, has not fired
    const late = await answer(t, held!.id, 'approve');
    expect(late).toMatchObject({ status: 410, body: { error: `approval ${held!.id} expired at ${new Date(now).toISOString()} (the policy's approval ttl); not run` } });
    const entry = await waitFor(() => {
      const e = t!.engine.recent.get(held!.id);
      return e?.outcome === 'expired' && e;
    }, 'the expired entry');
    expect(entry.approval).toMatchObject({ by: 'homeostat', answer: 'expired' });
    expect((await answer(t, held!.id, 'deny')).status).toBe(410);
    expect(ran('c')).toBe(false);
  });

  it('serve --dry-run keeps the hold; approved, the action runs in dry-run', async () => {
    t = await start(files(''), { dryRun: true });
    const response = await t.post(payload({ alertname: 'NodeDown', host: 'web-3', instance: 'd' }));
    expect(response.json()).toMatchObject({ decisions: 1, actions: 0 });
    const [held] = await pending(t);
    const approved = await answer(t, held!.id, 'approve', 'rehearsal');
    expect(approved).toMatchObject({ status: 202, body: { entry: { verdict: 'dry-run' } } });
    const entry = await waitFor(() => {
      const e = t!.engine.recent.get(held!.id);
      return e?.outcome !== null && e?.outcome !== undefined && e;
    }, 'the dry run to end');
    expect(entry).toMatchObject({ verdict: 'dry-run', execution: { dryRun: true }, approval: { by: 'admin', answer: 'approved', reason: 'rehearsal' } });
    expect(ran('d')).toBe(false);
  });

  it("homeostat.yaml's paused: true wins: a resume does not undo it, and the status says so", async () => {
    t = await start(files('', '  paused: true\n'));
    expect(await answer(t, '', 'resume')).toMatchObject({ status: 409, body: { error: 'not paused through the API: nothing to resume; homeostat.yaml sets paused: true, which only a commit undoes' } });
    const paused = await answer(t, '', 'pause', 'belt and braces');
    expect(paused.body.pause).toMatchObject({ paused: true, settings: true, api: { by: 'admin', reason: 'belt and braces' } });
    expect(await metric(t, 'homeostat_paused')).toBe(1);
    const resumed = await answer(t, '', 'resume', 'api side done');
    expect(resumed).toMatchObject({ status: 200, body: { pause: { paused: true, settings: true, api: null }, note: expect.stringContaining('homeostat.yaml sets paused: true') } });
    await t.post(payload({ alertname: 'NodeDown', host: 'web-4', instance: 'e' }));
    expect(await pending(t)).toEqual([]);
  });

  it('tells someone to answer: a notify with on: [awaiting-approval] is sent when the action is held (and not under --dry-run)', async () => {
    hook = await startReceiver('127.0.0.1');
    const ask = `
      notify:
        - name: ask
          on: [awaiting-approval]
          http: { url: ${hook.url}/ask, body: { status: '{{ outcome.status }}', id: '{{ outcome.auditId }}', reason: '{{ outcome.reason }}' } }`;
    const fileSet = files('', '  outbound: { allowHosts: [127.0.0.1] }\n', ask);
    t = await start(fileSet);
    await t.post(payload({ alertname: 'NodeDown', host: 'web-6', instance: 'g' }));
    await waitFor(() => hook!.requests.length === 1, 'the approval notification');
    const [held] = await pending(t);
    const sent = JSON.parse(hook.requests[0]!.body) as Record<string, string>;
    expect(sent).toEqual({ status: 'awaiting-approval', id: held!.id, reason: expect.stringMatching(new RegExp(`^approval required: expires at \\S+ unless approved \\(homeostat approve ${held!.id} --reason TEXT\\) or denied$`)) });
    t = await closeTestEngine(t);
    t = await start(fileSet, { dryRun: true });
    await t.post(payload({ alertname: 'NodeDown', host: 'web-7', instance: 'h' }));
    const notice = await waitFor(() => t!.engine.recent.list({ policy: 'reboot' }).find((e) => e.action === 'ask' && e.outcome !== null), 'the dry-run notification');
    expect(notice).toMatchObject({ verdict: 'dry-run', outcome: 'succeeded', execution: { dryRun: true } });
    expect(hook.requests).toHaveLength(1);
  });

  it('refuses to answer in nobody\'s name: no admin token configured is 403', async () => {
    t = await startTestEngine({ files: files('') });
    await t.post(payload({ alertname: 'NodeDown', host: 'web-5', instance: 'f' }));
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/approvals' });
    const [held] = (list.json() as { approvals: { id: string }[] }).approvals;
    const response = await t.app.inject({ method: 'POST', url: `/api/v1/approvals/${held!.id}/approve`, headers: { 'content-type': 'application/json' }, payload: '{"reason":"anyone"}' });
    expect(response.statusCode).toBe(403);
  });
});
