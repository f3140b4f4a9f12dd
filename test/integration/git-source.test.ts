/**
 * The engine following a git policy remote, against real git repositories on disk: a bare
 * remote the tests push to (through a work clone), the engine's mirror under DATA/policies,
 * the webhook and POST /api/v1/sync through inject(). The interval is an hour: every sync is
 * asked for (engine.sync() or the endpoint), so what is active when is decided by the test.
 */
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../engine/audit/entry.js';
import type { EngineConfig, PolicySourceConfig } from '../../engine/config/serve-config.js';
import type { LoadReport, SyncReport } from '../../engine/runtime/activation.js';
import { createMetrics } from '../../engine/runtime/metrics.js';
import { buildServer } from '../../engine/server/server.js';
import { payload, removeTestEngine, startTestEngine, TOKEN, waitFor } from '../helpers/engine.js';
import type { TestEngine } from '../helpers/engine.js';
import { gitSandbox } from '../helpers/git.js';
import { createPolicyRemote, sshKey, writeAllowedSigners } from '../helpers/git-remote.js';
import type { PolicyRemote, RepoFiles } from '../helpers/git-remote.js';
import { policyYaml, settingsYaml } from '../helpers/policies.js';

const sandbox = gitSandbox('homeostat-git-source-');

const ADMIN = 'admin-token-0123456789abcdef';
const SYNC = 'sync-token-0123456789abcdef';
const HOUR = 3_600_000;

function gitSource(url: string, overrides: Partial<Extract<PolicySourceConfig, { kind: 'git' }>> = {}): Partial<EngineConfig> {
  return {
    source: { kind: 'git', url, branch: 'main', path: '', intervalMs: HOUR, allowedSigners: null, allowRewrite: false, ...overrides },
    policies: url,
    adminToken: ADMIN,
    syncToken: SYNC,
  };
}

/** What status() says of a git source (describe()). */
interface GitStatus {
  kind: 'git';
  activeCommit: string | null;
  servingCached: boolean;
  verifySignatures: boolean;
  lastSync: SyncReport | null;
  lastFailure: SyncReport | null;
}

function policiesOf(t: TestEngine) {
  const p = t.engine.status().policies;
  return { ...p, source: p.source as unknown as GitStatus, lastLoad: p.lastLoad as LoadReport | null };
}

/** The 1-based line of the first occurrence of `needle` in `text`. */
function lineOf(text: string, needle: string): number {
  const at = text.indexOf(needle);
  if (at < 0) throw new Error(`${needle} not in the text`);
  return text.slice(0, at).split('\n').length;
}

// --- A dry-run policy repository whose version shows in every decision --------------------

const MARK_SCRIPT = `#!/bin/sh
# Marks a host; never run here (the repository is in dry-run).
echo "$@"
`;

/** Two actions, both named after the version and carrying it as their first argument. */
function markPolicy(version: string, extraSpec = ''): string {
  return policyYaml(
    'mark',
    `
    match: { alertname: Mark }
    target: '{{ labels.host }}'
    actions:
      - name: first-${version}
        script: { path: scripts/mark.sh, args: ['${version}', 'first', '{{ labels.host }}'] }
      - name: second-${version}
        script: { path: scripts/mark.sh, args: ['${version}', 'second', '{{ labels.host }}'] }
    guards: { cooldown: 0s }
    ${extraSpec}`,
  );
}

function markTest(version: string, expectedTarget = 'web-0'): string {
  return `apiVersion: homeostat/v1
kind: PolicyTest
metadata: { name: mark }
spec:
  cases:
    - name: a host is marked by both actions
      alerts:
        - labels: { alertname: Mark, host: web-0 }
      expect:
        - { policy: mark, action: first-${version}, target: ${expectedTarget} }
        - { policy: mark, action: second-${version}, target: ${expectedTarget} }
`;
}

const DRY_RUN_SETTINGS = settingsYaml(`
  dryRun: true
  blastRadius: { max: 100000, per: 10m }
`);

function markRepo(version: string): RepoFiles {
  return {
    'homeostat.yaml': DRY_RUN_SETTINGS,
    'rules/mark.yaml': markPolicy(version),
    'rules/mark.test.yaml': markTest(version),
    'scripts/mark.sh': MARK_SCRIPT,
  };
}

const BILLION_LAUGHS = `apiVersion: homeostat/v1
kind: Policy
metadata: { name: laughs }
spec:
  match: { alertname: Laughs }
  actions:
    - name: laugh
      script:
        path: scripts/mark.sh
        env:
          a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]
          b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
          c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
          d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
          e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
          f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
          g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
          h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
          i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
`;

// --- Reading what the engine decided and audited ------------------------------------------

let hosts = 0;
/** A host no earlier alert named: its alert is never a duplicate, its target never cooling down. */
function freshHost(prefix = 'web'): string {
  return `${prefix}-${++hosts}`;
}

/** The decisions of one alert (by target), as the engine holds them. */
function decisionsFor(t: TestEngine, target: string): AuditEntry[] {
  return t.engine.recent.list({ target, limit: 10 });
}

/** The audit repository's events of this name, committed on main. */
function auditEvents(t: TestEngine, name: string): AuditEntry[] {
  let listing: string;
  try {
    listing = t.git('grep', '-l', '-F', `"name": "${name}"`, 'main', '--', 'actions');
  } catch {
    return []; // git grep exits 1 when nothing matches
  }
  return listing
    .split('\n')
    .filter(Boolean)
    .map((path) => JSON.parse(t.git('show', path)) as AuditEntry)
    .filter((entry) => entry.kind === 'event' && entry.event?.name === name);
}

function waitForEvent(t: TestEngine, name: string, about: string): Promise<AuditEntry> {
  return waitFor(() => auditEvents(t, name).find((e) => e.event!.message.includes(about)), `a ${name} event about ${about}`);
}

/** A server for the engine with the sync token (startTestEngine's has none). */
function syncServer(t: TestEngine) {
  return buildServer({ engine: t.engine, metrics: createMetrics({ defaults: false }), log: pino({ level: 'silent' }), webhookToken: TOKEN, adminToken: ADMIN, syncToken: SYNC, maxBodyBytes: 1024 * 1024 });
}

function hubSignature(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

const engines: TestEngine[] = [];
async function startEngine(options: { config: Partial<EngineConfig>; dataDir?: string }): Promise<TestEngine> {
  const t = await startTestEngine({ files: {}, ...options });
  engines.push(t);
  return t;
}
async function stopEngine(t: TestEngine): Promise<void> {
  engines.splice(engines.indexOf(t), 1);
  await t.close();
}
afterAll(async () => {
  for (const t of engines.splice(0)) {
    await t.close();
    removeTestEngine(t);
  }
});

describe('a git policy remote', () => {
  let remote: PolicyRemote;
  let t: TestEngine;
  let dataDir: string;

  beforeAll(async () => {
    remote = createPolicyRemote(sandbox.path('policies'), markRepo('v1'));
    t = await startEngine({ config: gitSource(remote.url) });
    dataDir = t.dataDir;
  });

  it('starts on the remote head, and activates a pushed commit after one sync', async () => {
    const v1 = remote.head();
    expect(policiesOf(t)).toMatchObject({ revision: v1, count: 1, paused: false, lastLoad: { ok: true, revision: v1 }, source: { kind: 'git', activeCommit: v1, servingCached: false } });

    const v2 = remote.push('v2', markRepo('v2'));
    expect(policiesOf(t).revision).toBe(v1); // nothing moves before a sync
    const report = await t.engine.sync();
    expect(report).toMatchObject({ ok: true, revision: v2, diagnostics: [], error: null });
    expect(policiesOf(t)).toMatchObject({ revision: v2, lastLoad: { ok: true, revision: v2 }, source: { activeCommit: v2, lastSync: { ok: true, head: v2, result: 'activated', error: null } } });

    const host = freshHost();
    const response = await t.post(payload({ alertname: 'Mark', host }));
    expect(response.statusCode).toBe(202);
    expect(response.json()).toMatchObject({ decisions: 2, actions: 2, revision: v2 });
    const decided = decisionsFor(t, host);
    expect(decided.map((e) => [e.action, e.revision, e.verdict, (e.params as { args: string[] }).args]).sort()).toEqual([
      ['first-v2', v2, 'dry-run', ['v2', 'first', host]],
      ['second-v2', v2, 'dry-run', ['v2', 'second', host]],
    ]);
    await waitFor(() => t.engine.status().audit.backlog === 0, 'the decisions to be committed');
    expect(t.auditEntry(decided[0]!.id)).toMatchObject({ revision: v2, policy: 'mark', target: host });
    const activated = await waitForEvent(t, 'policies-activated', v2);
    expect(activated.event).toMatchObject({ message: `${v2} activated: 1 policy`, details: { previous: v1, paused: false } });
  });

  it('answers a sync asked while one runs with the sync after it, so a push announced meanwhile is covered', async () => {
    const before = remote.push('v2, a comment', { 'homeostat.yaml': `${DRY_RUN_SETTINGS}# one\n` });
    const running = t.engine.sync();
    const announced = remote.push('v2, another comment', { 'homeostat.yaml': `${DRY_RUN_SETTINGS}# two\n` });
    const [first, second] = await Promise.all([running, t.engine.sync()]);
    expect(first.ok).toBe(true);
    expect([before, announced]).toContain(first.revision);
    expect(second).toMatchObject({ ok: true, revision: announced });
    expect(policiesOf(t).revision).toBe(announced);
  });

  it('refuses a revision with a schema error, a failing policy test or an alias bomb, and keeps the last good one', async () => {
    const good = policiesOf(t).revision!;
    const broken = markPolicy('v3', 'colour: blue');
    const cases: { files: RepoFiles; code: string; file: string; line: number; error: RegExp }[] = [
      { files: { ...markRepo('v3'), 'rules/mark.yaml': broken }, code: 'HST_SCHEMA_UNKNOWN_FIELD', file: 'rules/mark.yaml', line: lineOf(broken, 'colour'), error: /^1 problem in the policies$/ },
      { files: { ...markRepo('v3'), 'rules/mark.test.yaml': markTest('v3', 'web-9') }, code: 'HST_TEST_FAILED', file: 'rules/mark.test.yaml', line: lineOf(markTest('v3'), '- name:'), error: /^1 policy test case failed$/ },
      { files: { ...markRepo('v3'), 'rules/laughs.yaml': BILLION_LAUGHS }, code: 'HST_YAML_ALIAS_BOMB', file: 'rules/laughs.yaml', line: 1, error: /^1 problem in the policies$/ },
    ];
    for (const c of cases) {
      const refused = remote.push(`refused: ${c.code}`, { 'rules/laughs.yaml': null, ...c.files });
      const report = await t.engine.sync();
      const p = policiesOf(t);
      expect([c.code, p.revision, p.source.activeCommit]).toEqual([c.code, good, good]);
      expect(p.lastLoad).toMatchObject({ ok: false, revision: refused, problems: 1 });
      expect(p.lastLoad).toEqual(report);
      expect(p.lastLoad!.error).toMatch(c.error);
      expect(p.lastLoad!.diagnostics).toHaveLength(1);
      expect(p.lastLoad!.diagnostics[0]).toMatchObject({ code: c.code, file: c.file, line: c.line, severity: 'error' });
      expect(p.source.lastSync).toMatchObject({ ok: false, head: refused, result: 'refused' });
      const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(metrics).toContain(`homeostat_policy_rejected_info{revision="${refused}",code="${c.code}"} 1`);

      const host = freshHost();
      const response = await t.post(payload({ alertname: 'Mark', host }));
      expect(response.json()).toMatchObject({ revision: good, actions: 2 });
      expect(decisionsFor(t, host).map((e) => e.action).sort()).toEqual(['first-v2', 'second-v2']);

      const rejected = await waitForEvent(t, 'policies-rejected', refused);
      expect(rejected.revision).toBe(good);
      expect(rejected.event!.message).toContain(`${c.file}:${c.line}:`);
      expect(rejected.event!.message).toContain(c.code);
      expect(rejected.event!.details).toMatchObject({ problems: 1, keeping: good });
    }

    // A fix on top of the refused revisions is activated.
    const fixed = remote.push('v3, fixed', { 'rules/laughs.yaml': null, ...markRepo('v3') });
    expect(await t.engine.sync()).toMatchObject({ ok: true, revision: fixed });
    expect(policiesOf(t).revision).toBe(fixed);
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain(`homeostat_policy_active_info{revision="${fixed}"} 1`);
    expect(metrics).not.toMatch(/^homeostat_policy_rejected_info\{/m);
  });

  it('decides every alert posted during a swap by one revision, whole', async () => {
    const from = policiesOf(t).revision!;
    const fromVersion = 'v3';
    const to = remote.push('v4', markRepo('v4'));
    const versionOf = new Map([[from, fromVersion], [to, 'v4']]);

    const posted: { host: string; revision: string }[] = [];
    const post = async (host: string) => {
      const response = await t.post(payload({ alertname: 'Mark', host }));
      expect(response.statusCode).toBe(202);
      posted.push({ host, revision: (response.json() as { revision: string }).revision });
    };
    let synced = false;
    const syncing = t.engine.sync().then((report) => {
      synced = true;
      return report;
    });
    do {
      await Promise.all(Array.from({ length: 20 }, () => post(freshHost('swap'))));
    } while (!synced);
    await Promise.all(Array.from({ length: 20 }, () => post(freshHost('swap'))));
    expect((await syncing).revision).toBe(to);

    // Posts went on across the swap: some were decided before it, some after.
    expect(new Set(posted.map((p) => p.revision))).toEqual(new Set([from, to]));
    for (const { host, revision } of posted) {
      const version = versionOf.get(revision)!;
      const seen = decisionsFor(t, host).map((e) => ({ revision: e.revision, action: e.action, version: (e.params as { args: string[] }).args[0] }));
      expect({ host, seen: seen.sort((a, b) => a.action!.localeCompare(b.action!)) }).toEqual({
        host,
        seen: [
          { revision, action: `first-${version}`, version },
          { revision, action: `second-${version}`, version },
        ],
      });
    }
  });

  it('syncs on a GitHub push webhook signed with the sync token, and on the admin token', async () => {
    const app = syncServer(t);
    try {
      const before = policiesOf(t).revision!;
      const pushed = remote.push('v5', markRepo('v5'));
      const body = JSON.stringify({ ref: 'refs/heads/main', after: pushed, repository: { full_name: 'ops/policies' } });
      const sync = (headers: Record<string, string>, text = body) => app.inject({ method: 'POST', url: '/api/v1/sync', headers: { 'content-type': 'application/json', ...headers }, payload: text });

      const lastSyncBefore = policiesOf(t).source.lastSync;
      const wrong = await sync({ 'x-github-event': 'push', 'x-hub-signature-256': hubSignature(body, 'not-the-sync-token-0123') });
      expect(wrong.statusCode).toBe(401);
      const unsigned = await sync({ 'x-github-event': 'push' });
      expect(unsigned.statusCode).toBe(401);
      const tampered = await sync({ 'x-github-event': 'push', 'x-hub-signature-256': hubSignature(body, SYNC) }, body.replace('main', 'evil'));
      expect(tampered.statusCode).toBe(401);
      expect(policiesOf(t)).toMatchObject({ revision: before, source: { lastSync: lastSyncBefore } });

      const ping = await sync({ 'x-github-event': 'ping', 'x-hub-signature-256': hubSignature(body, SYNC) });
      expect([ping.statusCode, ping.json()]).toEqual([200, { ok: true, event: 'ping' }]);
      expect(policiesOf(t)).toMatchObject({ revision: before, source: { lastSync: lastSyncBefore } });

      const signed = await sync({ 'x-github-event': 'push', 'x-hub-signature-256': hubSignature(body, SYNC) });
      expect(signed.statusCode).toBe(200);
      expect(signed.json()).toMatchObject({ ok: true, revision: pushed, lastLoad: { ok: true, revision: pushed }, source: { kind: 'git', activeCommit: pushed } });
      expect(policiesOf(t).revision).toBe(pushed);

      const byAdmin = remote.push('v6', markRepo('v6'));
      const admin = await app.inject({ method: 'POST', url: '/api/v1/sync', headers: { authorization: `Bearer ${ADMIN}` } });
      expect([admin.statusCode, admin.json().revision]).toEqual([200, byAdmin]);
      const bySyncToken = remote.push('v7', markRepo('v7'));
      const token = await app.inject({ method: 'POST', url: '/api/v1/sync', headers: { authorization: `Bearer ${SYNC}` } });
      expect([token.statusCode, token.json().revision]).toEqual([200, bySyncToken]);
      expect(policiesOf(t).revision).toBe(bySyncToken);
    } finally {
      await app.close();
    }
  });

  it('after a restart with the remote gone, serves the last good revision kept on disk and says so', async () => {
    const good = policiesOf(t).revision!;
    await stopEngine(t);
    rmSync(remote.url, { recursive: true, force: true });

    t = await startEngine({ config: gitSource(remote.url), dataDir });
    // Ready at once on the kept revision; the first sync runs in the background.
    expect(t.engine.notReady()).toEqual([]);
    expect(policiesOf(t)).toMatchObject({ revision: good, source: { servingCached: true } });
    await waitFor(() => policiesOf(t).source.lastSync !== null, 'the first sync to end');
    const p = policiesOf(t);
    expect(p).toMatchObject({ revision: good, lastLoad: { ok: true, revision: good }, source: { activeCommit: good, servingCached: true, lastSync: { ok: false, result: 'fetch failed' } } });
    expect(p.source.lastSync!.error).toContain(`'${remote.url}' does not appear to be a git repository`);

    const host = freshHost();
    const response = await t.post(payload({ alertname: 'Mark', host }));
    expect([response.statusCode, response.json().revision]).toEqual([202, good]);
    expect(decisionsFor(t, host).map((e) => e.action).sort()).toEqual(['first-v7', 'second-v7']);
  });
});

describe('a git policy remote never reached', () => {
  it('keeps the engine not ready, and the webhook answers 503', async () => {
    const t = await startEngine({ config: gitSource(join(sandbox.path('nowhere'), 'remote.git')) });
    const reasons = t.engine.notReady();
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatch(/^no valid policy revision is active: policy sync: fetch failed: /);
    expect(policiesOf(t)).toMatchObject({ revision: null, lastLoad: { ok: false, revision: null }, source: { activeCommit: null, servingCached: false, lastSync: { ok: false, result: 'fetch failed' } } });
    const response = await t.post(payload({ alertname: 'Mark', host: 'web-0' }));
    expect(response.statusCode).toBe(503);
    expect(response.json().error).toMatch(/^not ready: no valid policy revision is active: policy sync: fetch failed/);
  });
});

describe('--verify-signatures', () => {
  let remote: PolicyRemote;
  let t: TestEngine;
  let allowed: ReturnType<typeof sshKey>;
  let other: ReturnType<typeof sshKey>;
  let signers: string;

  beforeAll(async () => {
    const keys = sandbox.path('keys');
    allowed = sshKey(join(keys, 'allowed'));
    other = sshKey(join(keys, 'other'));
    signers = writeAllowedSigners(join(keys, 'allowed_signers'), [allowed]);
    remote = createPolicyRemote(sandbox.path('signed'), markRepo('v1'), { signWith: allowed.path });
    t = await startEngine({ config: gitSource(remote.url, { allowedSigners: signers }) });
  });

  it('activates a commit signed by an allowed key', () => {
    expect(policiesOf(t)).toMatchObject({ revision: remote.head(), source: { verifySignatures: true, lastSync: { ok: true, result: 'activated' } } });
  });

  it('refuses an unsigned commit and one signed by a key the file does not list', async () => {
    const good = policiesOf(t).revision!;
    const unsigned = remote.push('unsigned', markRepo('v2'));
    await t.engine.sync();
    expect(policiesOf(t)).toMatchObject({ revision: good, lastLoad: { ok: false, revision: unsigned } });
    expect(policiesOf(t).lastLoad!.error).toMatch(/is refused: it is not signed; only commits signed by a key of .*allowed_signers are activated$/);
    expect(policiesOf(t).lastLoad!.code).toBe('HST_REV_SIGNATURE');

    const stranger = remote.push('signed by a stranger', markRepo('v3'), { signWith: other.path });
    await t.engine.sync();
    expect(policiesOf(t)).toMatchObject({ revision: good, lastLoad: { ok: false, revision: stranger } });
    expect(policiesOf(t).lastLoad!.error).toMatch(/is refused: it is signed by a key the allowed-signers file does not list \(key SHA256:\S+\)/);
    await waitForEvent(t, 'policies-rejected', stranger);

    const signed = remote.push('signed', markRepo('v4'), { signWith: allowed.path });
    expect(await t.engine.sync()).toMatchObject({ ok: true, revision: signed });
    expect(policiesOf(t).revision).toBe(signed);
  });

  it('refuses a force-pushed rewrite, and activates it with allowRewrite', async () => {
    const good = policiesOf(t).revision!;
    remote.git('reset', '--quiet', '--hard', 'HEAD~1');
    const rewritten = remote.push('rewritten', markRepo('v5'), { signWith: allowed.path, force: true });
    await t.engine.sync();
    expect(policiesOf(t)).toMatchObject({ revision: good, lastLoad: { ok: false, revision: rewritten } });
    expect(policiesOf(t).lastLoad!.error).toMatch(new RegExp(`^history rewritten: ${rewritten.slice(0, 12)} on main does not descend from the last good revision ${good.slice(0, 12)}`));
    expect(policiesOf(t).lastLoad!.code).toBe('HST_REV_REWRITTEN');

    const dataDir = t.dataDir;
    await stopEngine(t);
    t = await startEngine({ config: gitSource(remote.url, { allowedSigners: signers, allowRewrite: true }), dataDir });
    await t.engine.sync();
    expect(policiesOf(t)).toMatchObject({ revision: rewritten, lastLoad: { ok: true, revision: rewritten }, source: { servingCached: false } });
  });
});

describe('what the mirror keeps, and what it lets in', () => {
  it('syncs a file:// URL as it syncs a path, and finds the remote default branch without --branch', async () => {
    const remote = createPolicyRemote(sandbox.path('by-url'), markRepo('v1'));
    const t = await startEngine({ config: gitSource(`file://${remote.url}`, { branch: null }) });
    expect(policiesOf(t)).toMatchObject({ revision: remote.head(), source: { branch: 'main', lastSync: { ok: true, result: 'activated' } } });
  });

  it('refuses at the fetch a tree with a path that leaves its folder, and keeps the last good revision', async () => {
    const remote = createPolicyRemote(sandbox.path('crafted'), markRepo('v1'));
    const t = await startEngine({ config: gitSource(remote.url) });
    const good = policiesOf(t).revision!;
    // A tree no checkout writes: an entry named '..' holding a file.
    const blob = remote.git('hash-object', '-w', '--stdin', '--path', 'x').trim();
    const inner = execFileSync('git', ['-C', remote.dir, 'mktree'], { input: `100644 blob ${blob}\tx\n`, encoding: 'utf8' }).trim();
    const base = remote.git('rev-parse', 'HEAD^{tree}').trim();
    const listing = remote.git('ls-tree', base) + `040000 tree ${inner}\t..\n`;
    const tree = execFileSync('git', ['-C', remote.dir, 'mktree'], { input: listing, encoding: 'utf8' }).trim();
    const crafted = remote.git('commit-tree', tree, '-p', 'HEAD', '-m', 'crafted').trim();
    remote.git('push', '--quiet', 'origin', `${crafted}:refs/heads/main`);

    await t.engine.sync();
    const p = policiesOf(t);
    expect(p.revision).toBe(good);
    expect(p.source.lastSync).toMatchObject({ ok: false, result: 'fetch failed' });
    expect(p.source.lastSync!.error).toMatch(/hasDotdot: contains '\.\.'/);
  });

  it('removes at start-up the ref locks a killed fetch left in the mirror, so the next sync moves', async () => {
    const remote = createPolicyRemote(sandbox.path('locked-mirror'), markRepo('v1'));
    const first = await startEngine({ config: gitSource(remote.url) });
    const dataDir = first.dataDir;
    await stopEngine(first);
    // What a fetch killed while it updated the mirror's refs leaves: a lock beside each ref.
    const mirror = join(dataDir, 'policies', 'mirror.git');
    const refs = execFileSync('git', ['--git-dir', mirror, 'for-each-ref', '--format=%(refname)'], { encoding: 'utf8' }).trim().split('\n');
    for (const ref of refs) writeFileSync(join(mirror, `${ref}.lock`), '');

    const t = await startEngine({ config: gitSource(remote.url), dataDir });
    for (const ref of refs) expect(existsSync(join(mirror, `${ref}.lock`)), ref).toBe(false);
    const v2 = remote.push('v2', markRepo('v2'));
    expect(await t.engine.sync()).toMatchObject({ ok: true, revision: v2 });
  });

  it('keeps the last good revision per remote, branch and folder: another branch starts from nothing', async () => {
    const remote = createPolicyRemote(sandbox.path('branches'), markRepo('v1'));
    const first = await startEngine({ config: gitSource(remote.url) });
    const dataDir = first.dataDir;
    await stopEngine(first);
    rmSync(remote.url, { recursive: true, force: true });

    const t = await startEngine({ config: gitSource(remote.url, { branch: 'release' }), dataDir });
    expect(policiesOf(t).revision).toBeNull();
    expect(t.engine.notReady().join('; ')).toMatch(/no valid policy revision is active: policy sync: fetch failed/);
  });

  it('checks the signature of the revision kept on disk again at start-up', async () => {
    const keys = sandbox.path('keys');
    const [kept, other] = [sshKey(join(keys, 'kept')), sshKey(join(keys, 'other'))];
    const remote = createPolicyRemote(sandbox.path('resigned'), markRepo('v1'), { signWith: kept.path });
    const first = await startEngine({ config: gitSource(remote.url, { allowedSigners: writeAllowedSigners(join(keys, 'both'), [kept, other]) }) });
    expect(policiesOf(first).revision).toBe(remote.head());
    const dataDir = first.dataDir;
    await stopEngine(first);

    // The key that signed it is no longer allowed.
    const t = await startEngine({ config: gitSource(remote.url, { allowedSigners: writeAllowedSigners(join(keys, 'other-only'), [other]) }), dataDir });
    expect(policiesOf(t).revision).toBeNull();
    expect(policiesOf(t).lastLoad).toMatchObject({ ok: false, revision: remote.head(), code: 'HST_REV_SIGNATURE' });
    expect(policiesOf(t).lastLoad!.error).toMatch(/is refused: it is signed by a key the allowed-signers file does not list/);
    expect(t.engine.notReady()).not.toEqual([]);
  });
});

describe('actions of a git revision', () => {
  const RECORD = (mark: string) => `#!/bin/sh
# Revision ${mark}'s script: appends "${mark} HOST" to $OUT; when the alert asks (label wait=yes),
# first says it waits, and waits for $GATE.
if [ "$ALERT_LABEL_WAIT" = yes ]; then
  printf '${mark} %s waiting\\n' "$1" >> "$OUT"
  while [ ! -e "$GATE" ]; do sleep 0.02; done
fi
printf '${mark} %s\\n' "$1" >> "$OUT"
`;
  let remote: PolicyRemote;
  let t: TestEngine;
  let out: string;
  let gate: string;

  function liveRepo(mark: string, settings = ''): RepoFiles {
    return {
      'homeostat.yaml': settingsYaml(`
        blastRadius: { max: 1000, per: 10m }
        ${settings}`),
      'rules/record.yaml': policyYaml(
        'record',
        `
        match: { alertname: Record }
        target: '{{ labels.target }}'
        actions:
          - name: record
            script:
              path: scripts/record.sh
              args: ['{{ labels.host }}']
              env: { OUT: '${out}', GATE: '${gate}' }
            timeout: 30s
        guards: { cooldown: 0s }`,
      ),
      'scripts/record.sh': RECORD(mark),
    };
  }

  const lines = () => (existsSync(out) ? readFileSync(out, 'utf8').trim().split('\n') : []);
  const entryOf = (host: string) => t.engine.recent.list({ limit: 500 }).find((e) => e.alert?.labels.host === host);

  beforeAll(async () => {
    const root = sandbox.path('live');
    out = join(root, 'out.txt');
    gate = join(root, 'gate');
    remote = createPolicyRemote(root, liveRepo('A'));
    t = await startEngine({ config: gitSource(remote.url) });
  });

  it('runs a live script from the tree written under DATA/policies/trees, executable as git records it', async () => {
    expect(remote.modeAt('scripts/record.sh')).toBe('100755');
    const response = await t.post(payload({ alertname: 'Record', host: 'live-1', target: 'live-1' }));
    expect(response.json()).toMatchObject({ actions: 1, revision: remote.head() });
    await waitFor(() => lines().includes('A live-1'), 'the script to write its line');
    const entry = await waitFor(() => entryOf('live-1')?.outcome === 'succeeded' && entryOf('live-1'), 'the outcome');

    const trees = join(t.dataDir, 'policies', 'trees');
    const [tree, ...others] = readdirSync(trees);
    expect(others).toEqual([]);
    const script = join(trees, tree!, 'scripts', 'record.sh');
    expect(entry.execution).toMatchObject({ exitCode: 0, dryRun: false, command: [script, 'live-1'] });
    expect(statSync(script).mode & 0o777).toBe(0o755);
    expect(readFileSync(script, 'utf8')).toBe(RECORD('A'));
    // The rules are read from git, not from the tree.
    expect(existsSync(join(trees, tree!, 'rules'))).toBe(false);
  });

  it('runs an action queued behind a busy target with the files of the revision that decided it', async () => {
    const a = policiesOf(t).revision!;
    const first = await t.post(payload({ alertname: 'Record', host: 'queued-1', target: 'shared', wait: 'yes' }));
    expect(first.json()).toMatchObject({ actions: 1, revision: a });
    await waitFor(() => lines().includes('A queued-1 waiting'), "the first action to run revision A's script and wait at the gate");
    const second = await t.post(payload({ alertname: 'Record', host: 'queued-2', target: 'shared' }));
    expect(second.json()).toMatchObject({ actions: 1, revision: a });
    expect(t.engine.status().queue).toEqual({ waiting: 1, running: 1 });

    const b = remote.push('revision B', liveRepo('B'));
    expect(await t.engine.sync()).toMatchObject({ ok: true, revision: b });
    writeFileSync(gate, '');
    await waitFor(() => ['queued-1', 'queued-2'].every((host) => entryOf(host)?.outcome === 'succeeded'), 'both queued actions to end');
    expect(entryOf('queued-2')!.revision).toBe(a);
    // Decided by revision A, so A's script: the audit says A decided it, and A's code ran.
    expect(lines().filter((l) => l.includes('queued'))).toEqual(['A queued-1 waiting', 'A queued-1', 'A queued-2']);
  });

  it('stops new actions within one sync of a pushed paused: true', async () => {
    const paused = remote.push('pause', liveRepo('B', 'paused: true'));
    expect(await t.engine.sync()).toMatchObject({ ok: true, revision: paused });
    expect(policiesOf(t)).toMatchObject({ revision: paused, paused: true });
    const event = await waitForEvent(t, 'policies-activated', paused);
    expect(event.event).toMatchObject({ message: `${paused} activated: 1 policy (paused)`, details: { paused: true } });

    const response = await t.post(payload({ alertname: 'Record', host: 'paused-1', target: 'paused-1' }));
    expect(response.json()).toMatchObject({ decisions: 1, actions: 0, revision: paused });
    expect(entryOf('paused-1')).toMatchObject({ revision: paused, verdict: 'refused', outcome: 'refused', reason: 'paused: homeostat.yaml sets paused: true', guards: { refusedBy: 'paused' } });
    expect(t.engine.status().queue).toEqual({ waiting: 0, running: 0 });
    expect(lines().some((l) => l.includes('paused-1'))).toBe(false);
  });
});
