/**
 * The bulk path of AuditRepo.commit (batches above PER_WRITE_MAX): one commit, each day
 * directory written whole from DayTrees, against the real git.
 */
import { execFileSync } from 'node:child_process';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { entryPath, newEntryId } from '../../engine/audit/entry.js';
import { PER_WRITE_MAX } from '../../engine/audit/layout.js';
import { AuditRepo } from '../../engine/audit/repo.js';
import type { AuditWrite } from '../../engine/audit/repo.js';
import { gitSandbox } from '../helpers/git.js';
import { requireCommand } from '../helpers/processes.js';

const sandbox = gitSandbox('homeostat-audit-bulk-');

const DAY_1 = Date.UTC(2026, 10, 21, 10);
const DAY_2 = Date.UTC(2026, 10, 22, 10);
const DAY_MS = 86_400_000;

beforeAll(() => {
  requireCommand('git', 'git');
});

/** Repositories a test opened (the sandbox's and second instances on them), closed after it. */
const opened: AuditRepo[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((repo) => repo.close()));
});

async function openRepo(dir?: string): Promise<AuditRepo> {
  const repo = dir === undefined ? await sandbox.openAudit({ repackEvery: 1000 }) : await AuditRepo.open({ dir, branch: 'main', repackEvery: 1000 });
  opened.push(repo);
  return repo;
}

/** A write of entry `id`: an intent, or the outcome given; its content names both. */
function entryWrite(id: string, outcome: string | null = null): AuditWrite {
  return {
    id,
    kind: outcome === null ? 'intent' : 'outcome',
    content: `${JSON.stringify({ id, outcome, note: 'héllo' }, null, 2)}\n`,
    message: `${outcome ?? 'intent'}: ${id}`,
    trailers: { 'Homeostat-Outcome': outcome ?? 'pending' },
  };
}

/** `count` intents on the day of `day`, a millisecond apart from `offset` on. */
function intents(day: number, count: number, offset = 0): AuditWrite[] {
  return Array.from({ length: count }, (_, i) => entryWrite(newEntryId(day + offset + i)));
}

function gitOut(repo: AuditRepo, ...args: string[]): string {
  return execFileSync('git', ['--git-dir', repo.dir, ...args], { encoding: 'utf8' }).trim();
}

/** Every write's file holds its content at the head, and the head lists exactly these entries. */
async function expectHolds(repo: AuditRepo, writes: readonly AuditWrite[]): Promise<void> {
  const latest = new Map(writes.map((w) => [w.id, w.content]));
  for (const [id, content] of latest) expect(await repo.read(id), id).toBe(content);
  expect((await repo.list()).map((e) => e.id)).toEqual([...latest.keys()].sort());
  expect(gitOut(repo, 'fsck', '--no-dangling', '--no-progress')).toBe('');
}

describe('a batch above PER_WRITE_MAX', () => {
  it('is one commit over two days, with the tree the per-write commits make', async () => {
    const writes = [...intents(DAY_1, 30), ...intents(DAY_2, 20)];
    const bulk = await openRepo();
    const before = await bulk.head();
    const head = await bulk.commit(writes);
    expect(gitOut(bulk, 'rev-parse', 'main')).toBe(head);
    expect(gitOut(bulk, 'rev-list', '--parents', '-n', '1', head)).toBe(`${head} ${before}`);
    expect(gitOut(bulk, 'log', '-1', '--format=%s')).toBe('audit: 50 entries (50 intents)');
    expect(gitOut(bulk, 'ls-tree', '--name-only', 'main:actions/2026/11')).toBe('21\n22');
    await expectHolds(bulk, writes);

    const each = await openRepo();
    for (let i = 0; i < writes.length; i += PER_WRITE_MAX) await each.commit(writes.slice(i, i + PER_WRITE_MAX));
    expect(gitOut(each, 'rev-list', '--count', 'main')).toBe(String(writes.length + 1));
    expect(gitOut(bulk, 'rev-list', '--count', 'main')).toBe('2');
    expect(gitOut(bulk, 'rev-parse', 'HEAD:actions')).toBe(gitOut(each, 'rev-parse', 'HEAD:actions'));
    expect(gitOut(bulk, 'rev-parse', 'HEAD^{tree}')).toBe(gitOut(each, 'rev-parse', 'HEAD^{tree}'));
  });

  it('keeps the files earlier per-write commits put in the same day, before and after its own', async () => {
    const repo = await openRepo();
    const early = intents(DAY_1, 3);
    await repo.commit(early);
    const first = intents(DAY_1, 20, 100);
    await repo.commit(first);
    await expectHolds(repo, [...early, ...first]);
    // Per-write commits into the day the bulk path has cached, then the bulk path again.
    const between = [...intents(DAY_1, 2, 200), entryWrite(first[0]!.id, 'succeeded')];
    await repo.commit(between);
    const second = intents(DAY_1, 12, 300);
    await repo.commit(second);
    await expectHolds(repo, [...early, ...first, ...between, ...second]);
    expect(await repo.read(first[0]!.id)).toBe(entryWrite(first[0]!.id, 'succeeded').content);
    expect(gitOut(repo, 'rev-list', '--count', 'main')).toBe(String(1 + early.length + 1 + between.length + 1));
  });

  it('keeps a file another writer committed into a day it had cached', async () => {
    const mine = await openRepo();
    const theirs = await openRepo(mine.dir);
    const first = intents(DAY_1, 10);
    await mine.commit(first);
    // Another hand (a second instance on the same directory) commits into that day.
    const other = intents(DAY_1, 1, 100);
    const theirHead = await theirs.commit(other);
    const second = intents(DAY_1, 10, 200);
    const head = await mine.commit(second);
    expect(gitOut(mine, 'rev-parse', `${head}^`)).toBe(theirHead);
    await expectHolds(mine, [...first, ...other, ...second]);
    // And once more, their batch in bulk too.
    const theirBulk = intents(DAY_1, 9, 300);
    await theirs.commit(theirBulk);
    const third = [...intents(DAY_1, 9, 400), ...intents(DAY_2, 1)];
    await mine.commit(third);
    await expectHolds(mine, [...first, ...other, ...second, ...theirBulk, ...third]);
  });

  it('leaves the outcome in the file when the batch holds an intent and then its outcome', async () => {
    const repo = await openRepo();
    const batch = intents(DAY_1, 10);
    const id = batch[4]!.id;
    batch.push(entryWrite(id, 'failed'));
    await repo.commit(batch);
    expect(await repo.read(id)).toBe(entryWrite(id, 'failed').content);
    expect(gitOut(repo, 'show', `main:${entryPath(id)}`)).toContain('"outcome": "failed"');
    expect(gitOut(repo, 'log', '-1', '--format=%s')).toBe('audit: 11 entries (10 intents, 1 outcome)');
    await expectHolds(repo, batch);
  });

  it('writes a batch over more days than it keeps in memory, twice', async () => {
    const repo = await openRepo();
    const days = [0, 1, 2, 3, 4].map((d) => DAY_1 + d * DAY_MS);
    const first = days.flatMap((day) => intents(day, 3));
    await repo.commit(first);
    const second = days.flatMap((day) => intents(day, 3, 100));
    await repo.commit(second);
    await expectHolds(repo, [...first, ...second]);
    expect(gitOut(repo, 'rev-list', '--count', 'main')).toBe('3');
  });
});
