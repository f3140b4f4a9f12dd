import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { entryPath, newEntryId, serializeEntry } from '../../engine/audit/entry.js';
import type { AuditEntry } from '../../engine/audit/entry.js';
import { PER_WRITE_MAX } from '../../engine/audit/layout.js';
import { AuditRepo } from '../../engine/audit/repo.js';
import type { AuditRepoOptions, AuditWrite } from '../../engine/audit/repo.js';
import { gitSandbox } from '../helpers/git.js';
import { writeKind } from '../../engine/audit/repo.js';
import { verifyAudit } from '../../engine/audit/verify.js';

const sandbox = gitSandbox('homeostat-audit-');

const DAY = Date.UTC(2026, 10, 21, 10);

function action(id: string, outcome: AuditEntry['outcome'], policy = 'restart-nginx', target = 'web-1'): AuditEntry {
  return {
    apiVersion: 'homeostat.dev/v1', kind: 'action', id, at: new Date(DAY).toISOString(), revision: 'abc123',
    alert: { fingerprint: 'f00d', alertname: 'NginxDown', status: 'firing', startsAt: '2026-11-21T09:00:00Z', labels: { instance: target } },
    policy, action: 'restart', type: 'script', phase: 'actions', target, params: {}, verdict: 'run', reason: null,
    guards: { passed: ['cooldown'], refusedBy: null }, outcome, execution: null,
  };
}

function write(entry: AuditEntry): AuditWrite {
  const word = entry.outcome === null ? 'intent' : entry.outcome;
  return { id: entry.id, kind: writeKind(entry), content: serializeEntry(entry), message: `${word}: ${entry.policy}/restart on ${entry.target}`, trailers: { 'Homeostat-Policy': entry.policy!, 'Homeostat-Outcome': entry.outcome ?? 'pending' } };
}

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['--git-dir', dir, ...args], { encoding: 'utf8' });
}

function openRepo(options: Partial<AuditRepoOptions> = {}): Promise<AuditRepo> {
  return sandbox.openAudit(options);
}

describe('AuditRepo.open', () => {
  it('creates a bare repository whose first commit holds a README', async () => {
    const repo = await openRepo();
    expect(git(repo.dir, 'rev-parse', '--is-bare-repository').trim()).toBe('true');
    expect(git(repo.dir, 'log', '--format=%s')).toBe('audit: start the audit repository\n');
    expect(git(repo.dir, 'ls-tree', '--name-only', 'HEAD')).toBe('README.md\n');
    expect(git(repo.dir, 'show', 'HEAD:README.md')).toMatch(/^# homeostat audit repository\n/);
    const head = await repo.head();
    const again = await AuditRepo.open({ dir: repo.dir, branch: 'main' });
    expect(await again.head()).toBe(head);
  });

  it('refuses a directory that holds something else', async () => {
    const dir = join(sandbox.root, 'not-audit');
    mkdirSync(dir);
    writeFileSync(join(dir, 'notes.txt'), 'mine\n');
    await expect(AuditRepo.open({ dir, branch: 'main' })).rejects.toThrow(/is not a git repository, and not empty/);
    const checkout = join(sandbox.root, 'checkout');
    execFileSync('git', ['init', '-q', checkout]);
    await expect(AuditRepo.open({ dir: join(checkout, '.git'), branch: 'main' })).rejects.toThrow(/with a working tree/);
  });
});

describe('commit', () => {
  it('makes one commit for one write: its line, then the trailers', async () => {
    const repo = await openRepo();
    const entry = action(newEntryId(DAY), null);
    const head = await repo.commit([write(entry)]);
    expect(git(repo.dir, 'rev-parse', 'main').trim()).toBe(head);
    expect(git(repo.dir, 'log', '-1', '--format=%B')).toBe(
      `intent: restart-nginx/restart on web-1\n\nHomeostat-Entry: ${entry.id}\nHomeostat-Policy: restart-nginx\nHomeostat-Outcome: pending\n\n`,
    );
    expect(git(repo.dir, 'log', '-1', '--format=%an <%ae>')).toBe('homeostat <homeostat@localhost>\n');
    expect(git(repo.dir, 'show', `main:${entryPath(entry.id)}`)).toBe(serializeEntry(entry));
    expect(existsSync(join(repo.dir, 'index'))).toBe(false);
  });

  it('records intent then outcome as two commits; the head holds the outcome', async () => {
    const repo = await openRepo();
    const id = newEntryId(DAY);
    await repo.commit([write(action(id, null))]);
    await repo.commit([write(action(id, 'succeeded'))]);
    expect(git(repo.dir, 'log', '--format=%s', '--', entryPath(id))).toBe('succeeded: restart-nginx/restart on web-1\nintent: restart-nginx/restart on web-1\n');
    expect(await repo.read(id)).toBe(serializeEntry(action(id, 'succeeded')));
    expect(await repo.read(id, 'main~1')).toBe(serializeEntry(action(id, null)));
    expect(await repo.read(newEntryId(DAY))).toBeNull();
  });

  it('commits a small batch as one commit per write, in order', async () => {
    const repo = await openRepo();
    const entries = Array.from({ length: PER_WRITE_MAX }, (_, i) => action(newEntryId(DAY + i), null, 'restart-nginx', `web-${i}`));
    const head = await repo.commit(entries.map(write));
    expect(git(repo.dir, 'rev-parse', 'main').trim()).toBe(head);
    expect(git(repo.dir, 'log', '--reverse', '--format=%s', 'main~8..main')).toBe(entries.map((e) => `intent: restart-nginx/restart on ${e.target}\n`).join(''));
    expect(git(repo.dir, 'log', '-1', '--format=%(trailers:key=Homeostat-Entry,valueonly)')).toBe(`${entries.at(-1)!.id}\n\n`);
  });

  it('commits a batch of 500 writes as one commit that names each entry', async () => {
    const repo = await openRepo();
    const intents = Array.from({ length: 400 }, (_, i) => action(newEntryId(DAY + i), null));
    const outcomes = intents.slice(0, 100).map((e) => action(e.id, 'failed'));
    await repo.commit([...intents, ...outcomes].map(write));
    const message = git(repo.dir, 'log', '-1', '--format=%B');
    expect(message.split('\n', 1)[0]).toBe('audit: 500 entries (400 intents, 100 outcomes)');
    expect(message.match(/^- /gm)).toHaveLength(500);
    const [last] = await repo.log({ limit: 1 });
    expect(last!.entries).toHaveLength(500);
    expect(last!.entries[499]).toEqual({ id: intents[99]!.id, trailers: { 'Homeostat-Policy': 'restart-nginx', 'Homeostat-Outcome': 'failed' } });
    const listed = await repo.list();
    expect(listed.map((e) => e.id)).toEqual(intents.map((e) => e.id));
    expect(await repo.read(intents[0]!.id)).toBe(serializeEntry(outcomes[0]!));
  });

  it('writes the same objects per commit whatever the repository already holds', async () => {
    const small = await openRepo({ repackEvery: 1000 });
    const big = await openRepo({ repackEvery: 1000 });
    for (const repo of [small, big]) expect(existsSync(join(repo.dir, 'index'))).toBe(false);
    // 1,500 entries over 30 past days: history and trees the next commit must not rewrite.
    const old = Array.from({ length: 1500 }, (_, i) => action(newEntryId(DAY - (1 + (i % 30)) * 86_400_000 + i), 'succeeded'));
    for (let i = 0; i < old.length; i += 100) await big.commit(old.slice(i, i + 100).map(write));
    const written = async (repo: AuditRepo): Promise<number> => {
      const before = objectCount(repo.dir);
      await repo.commit([write(action(newEntryId(DAY), null))]);
      return objectCount(repo.dir) - before;
    };
    // blob, the trees actions/2026/11/21, actions/2026/11, actions/2026, actions, root, commit
    expect(await written(small)).toBe(7);
    expect(await written(big)).toBe(7);
  });

  it('rolls the small packs up as it goes, losing nothing', async () => {
    const repo = await openRepo({ repackEvery: 4 });
    const entries = Array.from({ length: 64 }, (_, i) => action(newEntryId(DAY + i), 'succeeded'));
    for (const e of entries) await repo.commit([write(e)]);
    await repo.close();
    const packs = Number(/^packs: (\d+)$/m.exec(git(repo.dir, 'count-objects', '-v'))![1]);
    expect(packs).toBeLessThanOrEqual(8);
    expect(git(repo.dir, 'fsck', '--no-dangling', '--no-progress')).toBe('');
    expect((await repo.list()).map((e) => e.id)).toEqual(entries.map((e) => e.id));
  });

  it('serializes concurrent calls', async () => {
    const repo = await openRepo();
    const entries = Array.from({ length: 20 }, (_, i) => action(newEntryId(DAY + i), null));
    const heads = await Promise.all(entries.map((e) => repo.commit([write(e)])));
    expect(new Set(heads).size).toBe(20);
    expect(git(repo.dir, 'rev-list', '--count', 'main').trim()).toBe('21');
    expect((await repo.list()).length).toBe(20);
  });
});

function objectCount(dir: string): number {
  const counts = git(dir, 'count-objects', '-v');
  return Number(/^count: (\d+)$/m.exec(counts)![1]) + Number(/^in-pack: (\d+)$/m.exec(counts)![1]);
}

describe('reading', () => {
  it('lists, filters and logs the entries, and verifies them against the journal', async () => {
    const repo = await openRepo();
    const a = action(newEntryId(Date.UTC(2026, 10, 19, 8)), null, 'restart-nginx', 'web-1');
    const b = action(newEntryId(Date.UTC(2026, 10, 20, 8)), null, 'clear-disk', 'db-1');
    const c = action(newEntryId(Date.UTC(2026, 10, 21, 8)), null, 'restart-nginx', 'web-2');
    await repo.commit([a, b, c].map(write));
    await repo.commit([write(action(a.id, 'succeeded')), write(action(c.id, 'timed_out', 'restart-nginx', 'web-2'))]);

    const ids = async (filter: Parameters<AuditRepo['entries']>[0], options?: Parameters<AuditRepo['entries']>[1]) => {
      const out: string[] = [];
      for await (const record of repo.entries(filter, options)) out.push(record.id);
      return out;
    };
    expect(await ids({})).toEqual([a.id, b.id, c.id]);
    expect(await ids({ policy: 'restart-nginx' })).toEqual([a.id, c.id]);
    expect(await ids({ target: 'db-1' })).toEqual([b.id]);
    expect(await ids({ outcome: 'pending' })).toEqual([b.id]);
    expect(await ids({ outcome: 'timed_out' })).toEqual([c.id]);
    expect(await ids({ since: new Date('2026-11-20T00:00:00Z') })).toEqual([b.id, c.id]);
    expect(await ids({}, { newestFirst: true, limit: 2 })).toEqual([c.id, b.id]);

    const history = await repo.log({ id: a.id });
    expect(history.map((h) => h.subject)).toEqual(['succeeded: restart-nginx/restart on web-1', 'intent: restart-nginx/restart on web-1']);
    expect(history[0]!.entries).toEqual([{ id: a.id, trailers: { 'Homeostat-Policy': 'restart-nginx', 'Homeostat-Outcome': 'succeeded' } }]);
    const failedOrTimedOut = await repo.log({ trailers: { 'Homeostat-Outcome': 'timed_out' } });
    expect(failedOrTimedOut.map((h) => h.sha)).toEqual([await repo.head()]);
    expect((await repo.log()).at(-1)!.subject).toBe('audit: start the audit repository');

    const journal = [a, b, c, action(a.id, 'succeeded'), action(c.id, 'timed_out', 'restart-nginx', 'web-2')].map((e) => ({ id: e.id, content: serializeEntry(e) }));
    expect(await verifyAudit(repo, journal)).toEqual({ files: 3, expected: 3, problems: [] });
  });

  it('names what verify finds wrong', async () => {
    const repo = await openRepo();
    const good = action(newEntryId(DAY), 'succeeded');
    const lost = action(newEntryId(DAY + 1), null);
    const bad = { ...action(newEntryId(DAY + 2), 'succeeded'), verdict: 'maybe' } as unknown as AuditEntry;
    await repo.commit([write(good), write(bad), { id: newEntryId(DAY + 3), content: '{not json', message: 'broken' }]);
    const report = await verifyAudit(repo, [{ id: good.id, content: serializeEntry(action(good.id, 'failed')) }, { id: lost.id, content: serializeEntry(lost) }]);
    expect(report.problems.map((p) => [p.code, p.id])).toEqual([
      ['differs', good.id],
      ['missing', lost.id],
      ['invalid', bad.id],
      ['unreadable', expect.any(String)],
    ]);
    expect(report.problems[2]!.message).toMatch(/^\/verdict: /);
  });
});
