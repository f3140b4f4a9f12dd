/**
 * The webhook end to end in one process: fastify inject() → engine → real journal → real git
 * audit repository → real script and ansible-playbook runs. What a user would check: the
 * status code, what ran (a file the action wrote), the audit files and commits.
 */
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { closeTestEngine, payload, startTestEngine, TOKEN, waitFor } from '../helpers/engine.js';
import type { TestEngine } from '../helpers/engine.js';

const RECORD_SCRIPT = `#!/bin/sh
# Appends its argv and one ALERT_* variable to $OUT: proof of what reached the process.
printf '%s|%s|%s\\n' "$1" "$2" "$ALERT_LABEL_NOTE" >> "$OUT"
`;

function recordPolicy(out: string, extra = ''): string {
  return `apiVersion: homeostat/v1
kind: Policy
metadata: { name: record-alert }
spec:
  match: { alertname: Record }
  target: '{{ labels.host }}'
  actions:
    - name: record
      script:
        path: scripts/record.sh
        args: ['{{ labels.host }}', 'note={{ labels.note }}']
        env: { OUT: '${out}' }
      timeout: 30s
  guards: { cooldown: 0s${extra} }
`;
}

let t: TestEngine | undefined;
afterEach(async () => (t = await closeTestEngine(t)));

async function start(out: (root: string) => string = (root) => join(root, 'out.txt')) {
  const placeholder = '__OUT__';
  const engine = await startTestEngine({ files: { 'rules/record.yaml': recordPolicy(placeholder), 'scripts/record.sh': RECORD_SCRIPT } });
  // The policy names a path inside the engine's own temp root: rewrite and reload.
  const path = out(engine.root);
  const { writeRepo } = await import('../helpers/engine.js');
  writeRepo(engine.repoDir, { 'rules/record.yaml': recordPolicy(path) });
  await engine.engine.policies.load();
  return { engine, out: path };
}

function actionEntries(engine: TestEngine): string[] {
  const listing = engine.git('ls-tree', '-r', '--name-only', 'main', 'actions');
  return listing.split('\n').filter(Boolean);
}

function journalEntryRecords(engine: TestEngine): number {
  const dir = join(engine.dataDir, 'journal');
  return readdirSync(dir)
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n'))
    .filter((l) => l.includes('"t":"entry"') && l.includes('"kind":"action"')).length;
}

describe('POST /api/v1/alerts', () => {
  it('runs the action after a 202, and audits intent and outcome as two commits', async () => {
    const started = await start();
    t = started.engine;
    const response = await t.post(payload({ alertname: 'Record', host: 'web-1', note: 'disk' }));
    expect(response.statusCode).toBe(202);
    expect(response.json()).toMatchObject({ alerts: 1, decisions: 1, duplicates: 0, actions: 1 });
    await waitFor(() => existsSync(started.out) && readFileSync(started.out, 'utf8'), 'the script to write its file');
    expect(readFileSync(started.out, 'utf8')).toBe('web-1|note=disk|disk\n');

    const id = await waitFor(() => t!.engine.recent.list({ outcome: 'succeeded' })[0]?.id, 'the outcome');
    await waitFor(() => t!.git('log', '--format=%s', 'main').includes('succeeded:'), 'the outcome commit');
    const entry = t.auditEntry(id);
    expect(entry).toMatchObject({ kind: 'action', policy: 'record-alert', action: 'record', type: 'script', target: 'web-1', verdict: 'run', outcome: 'succeeded' });
    expect(entry.execution).toMatchObject({ exitCode: 0, dryRun: false });
    const commits = t.git('log', '--format=%s', 'main', '--', `actions/${id.slice(0, 4)}/${id.slice(4, 6)}/${id.slice(6, 8)}/${id}.json`).trim().split('\n');
    expect(commits).toHaveLength(2);
    expect(commits[1]).toMatch(/^intent: record-alert\/record \(script\) on web-1, for Record firing \[[0-9a-f]{16}\]$/);
    expect(commits[0]).toMatch(/^succeeded: record-alert\/record \(script\) on web-1, for Record firing \[[0-9a-f]{16}\] in \d+ms, exit 0$/);
  });

  it('refuses bad requests with the right 4xx and queues and audits nothing', async () => {
    const started = await start();
    t = started.engine;
    const body = payload({ alertname: 'Record', host: 'web-1', note: 'x' });
    const cases: [string, LightMyRequestResponse, number][] = [
      ['no token', await t.post(body, {}), 401],
      ['wrong token', await t.post(body, { authorization: 'Bearer wrong-token-0123456789' }), 401],
      ['wrong basic password', await t.post(body, { authorization: `Basic ${Buffer.from('am:nope').toString('base64')}` }), 401],
      ['bad JSON', await t.post('{"version": "4", ', { authorization: `Bearer ${TOKEN}` }), 400],
      ['wrong payload version', await t.post({ ...body, version: '3' }), 400],
      ['not a payload', await t.post({ hello: 'world' }), 400],
    ];
    for (const [what, response, code] of cases) expect([what, response.statusCode]).toEqual([what, code]);
    expect(cases[4]![1].json().error).toMatch(/version/);
    expect(journalEntryRecords(t)).toBe(0);
    const kinds = actionEntries(t).map((path) => (JSON.parse(t!.git('show', `main:${path}`)) as { kind: string }).kind);
    expect(kinds.filter((k) => k === 'action')).toEqual([]);
    expect(t.engine.recent.list()).toEqual([]);
    expect(existsSync(started.out)).toBe(false);
  });

  it('accepts basic auth with the token as password', async () => {
    t = (await start()).engine;
    const response = await t.post(payload({ alertname: 'Unmatched' }), { authorization: `Basic ${Buffer.from(`alertmanager:${TOKEN}`).toString('base64')}` });
    expect(response.statusCode).toBe(202);
  });

  it('refuses a body over the limit with 413 before deciding anything', async () => {
    const root = await startTestEngine({ files: { 'rules/record.yaml': recordPolicy('/nonexistent'), 'scripts/record.sh': RECORD_SCRIPT }, config: { maxBodyBytes: 2048 } });
    t = root;
    const big = payload({ alertname: 'Record', host: 'web-1', note: 'x'.repeat(4096) });
    const response = await t.post(big);
    expect(response.statusCode).toBe(413);
    expect(response.json().error).toMatch(/max_alerts/);
    expect(journalEntryRecords(t)).toBe(0);
  });

  it('runs one action for the same alert posted twice, and twice at once with another externalURL', async () => {
    const started = await start();
    t = started.engine;
    const first = payload({ alertname: 'Record', host: 'web-2', note: 'once' });
    expect((await t.post(first)).statusCode).toBe(202);
    const again = await t.post(first);
    expect(again.json()).toMatchObject({ decisions: 1, duplicates: 1, actions: 0 });
    const [a, b] = await Promise.all([
      t.post(payload({ alertname: 'Record', host: 'web-3', note: 'ha' }, { externalURL: 'http://am-1:9093' })),
      t.post(payload({ alertname: 'Record', host: 'web-3', note: 'ha' }, { externalURL: 'http://am-2:9093' })),
    ]);
    expect([a.statusCode, b.statusCode]).toEqual([202, 202]);
    expect(a.json().actions + b.json().actions).toBe(1);
    await waitFor(() => t!.engine.recent.list({ outcome: 'succeeded' }).length === 2, 'both actions to end');
    expect(readFileSync(started.out, 'utf8').trim().split('\n').sort()).toEqual(['web-2|note=once|once', 'web-3|note=ha|ha']);
  });

  it('hands hostile labels to the script verbatim, through no shell, and audits refusals with the reason', async () => {
    const started = await start();
    t = started.engine;
    const marker = join(t.root, 'x');
    const hostile = [`; touch ${marker}`, `$(touch ${marker})`, `\`touch ${marker}\``, `a\ntouch ${marker}`, `{{ lookup('pipe','touch ${marker}') }}`];
    for (const [i, note] of hostile.entries()) {
      expect((await t.post(payload({ alertname: 'Record', host: `web-${i + 10}`, note }))).statusCode).toBe(202);
    }
    // A label that would be read as an option, in the first place of an argument.
    const dash = await t.post(payload({ alertname: 'Record', host: '--output=/etc/passwd', note: 'x' }));
    expect(dash.json()).toMatchObject({ decisions: 1, actions: 0 });
    const ended = () => t!.engine.recent.list().filter((e) => e.verdict === 'run' && e.outcome !== null);
    await waitFor(() => ended().length === hostile.length, 'every hostile run to end');
    expect(ended().map((e) => [e.outcome, e.reason])).toEqual(hostile.map(() => ['succeeded', null]));
    expect(existsSync(marker)).toBe(false);
    const lines = readFileSync(started.out, 'utf8');
    for (const note of hostile) expect(lines).toContain(`note=${note}|${note}`);
    const refused = t.engine.recent.list({ outcome: 'refused' })[0]!;
    expect(refused).toMatchObject({ target: '--output=/etc/passwd', guards: { refusedBy: 'params' } });
    expect(refused.reason).toMatch(/starts with '-'/);
    await waitFor(() => t!.git('log', '--format=%s', 'main').includes('refused: record-alert'), 'the refusal commit');
    expect(t.auditEntry(refused.id)).toMatchObject({ outcome: 'refused', reason: refused.reason });
  });
});

describe('readiness, status and metrics', () => {
  it('says which revision is active, and counts what it received', async () => {
    t = (await start()).engine;
    const ready = await t.app.inject({ url: '/readyz' });
    expect(ready.json()).toEqual({ ready: true, reasons: [] });
    await t.post(payload({ alertname: 'Unmatched' }));
    const status = (await t.app.inject({ url: '/api/v1/status' })).json();
    expect(status.policies).toMatchObject({ count: 1, paused: false });
    expect(status.policies.revision).toMatch(/^content-[0-9a-f]{12}$/);
    const metrics = (await t.app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/homeostat_alerts_received_total\{status="firing"\} 1/);
    expect(metrics).toMatch(/homeostat_webhook_requests_total\{code="202"\} 1/);
    expect(metrics).toMatch(/homeostat_ready 1/);
  });

  it('keeps the last good policy set when a change does not lint, and says why', async () => {
    const started = await start();
    t = started.engine;
    const before = t.engine.status().policies.revision;
    const { writeRepo } = await import('../helpers/engine.js');
    writeRepo(t.repoDir, { 'rules/broken.yaml': 'apiVersion: homeostat/v1\nkind: Policy\nmetadata: { name: Broken }\nspec: {}\n' });
    await t.engine.policies.load();
    const status = t.engine.status();
    expect(status.policies.revision).toBe(before);
    expect(status.policies.lastLoad).toMatchObject({ ok: false });
    expect(status.policies.lastLoad!.diagnostics[0]).toMatchObject({ file: 'rules/broken.yaml' });
    expect((await t.app.inject({ url: '/metrics' })).body).toMatch(/homeostat_policy_reloads_total\{result="rejected"\} 1/);
    rmSync(join(t.repoDir, 'rules/broken.yaml'));
  });
});

describe('onResolved and a broken audit', () => {
  it('runs the onResolved action when the alert resolves', async () => {
    const started = await start();
    t = started.engine;
    const { writeRepo } = await import('../helpers/engine.js');
    writeRepo(t.repoDir, {
      'rules/record.yaml': `${recordPolicy(started.out).replace("  guards: { cooldown: 0s }\n", '')}  onResolved:
    - name: unrecord
      script: { path: scripts/record.sh, args: ['{{ labels.host }}', 'resolved'], env: { OUT: '${started.out}' } }
  guards: { cooldown: 0s }
`,
    });
    await t.engine.policies.load();
    expect(t.engine.status().policies.lastLoad).toMatchObject({ ok: true });
    await t.post(payload({ alertname: 'Record', host: 'web-7', note: 'up' }));
    await waitFor(() => t!.engine.recent.list({ outcome: 'succeeded' }).length === 1, 'the firing action');
    const resolved = await t.post(payload({ alertname: 'Record', host: 'web-7', note: 'up' }, { status: 'resolved' }));
    expect(resolved.json()).toMatchObject({ decisions: 1, actions: 1 });
    await waitFor(() => t!.engine.recent.list({ outcome: 'succeeded' }).length === 2, 'the onResolved action');
    expect(readFileSync(started.out, 'utf8')).toBe('web-7|note=up|up\nweb-7|resolved|up\n');
    expect(t.engine.recent.list({ outcome: 'succeeded' })[0]).toMatchObject({ action: 'unrecord', phase: 'onResolved' });
  });

  it('runs nothing while the audit cannot be committed, and says so in readiness', async () => {
    const out = join((await import('node:os')).tmpdir(), `homeostat-failclosed-${process.pid}.txt`);
    rmSync(out, { force: true });
    let broken = true;
    const { AuditRepo } = await import('../../engine/audit/repo.js');
    t = await startTestEngine({
      files: { 'rules/record.yaml': recordPolicy(out), 'scripts/record.sh': RECORD_SCRIPT },
      // The real repository, behind a switch that makes every commit fail while it is on.
      openAudit: async (dir, c) => {
        const repo = await AuditRepo.open({ dir, branch: c.audit.branch });
        return { commit: (writes) => (broken ? Promise.reject(new Error('disk full')) : repo.commit(writes)) };
      },
    });
    const response = await t.post(payload({ alertname: 'Record', host: 'web-9', note: 'x' }));
    expect(response.statusCode).toBe(202); // the decision is durable in the journal
    const ready = await waitFor(async () => {
      const r = await t!.app.inject({ url: '/readyz' });
      return r.statusCode === 503 ? (r.json() as { reasons: string[] }) : undefined;
    }, 'readiness to report the audit failure');
    expect(ready.reasons.join(' ')).toMatch(/cannot commit to the audit repository: disk full; no action runs/);
    expect(existsSync(out)).toBe(false);
    broken = false;
    await waitFor(() => existsSync(out), 'the action to run once the audit is back');
    expect(readFileSync(out, 'utf8')).toBe('web-9|note=x|x\n');
    rmSync(out, { force: true });
  });
});
