import { execFileSync } from 'node:child_process';
import { mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { entryPath, newEntryId, serializeEntry } from '../../engine/audit/entry.js';
import type { AuditEntry } from '../../engine/audit/entry.js';
import type { AuditRepo } from '../../engine/audit/repo.js';
import { gitSandbox } from '../helpers/git.js';
import type { AuditWrite } from '../../engine/audit/repo.js';

const sandbox = gitSandbox('homeostat-audit-push-');

const DAY = Date.UTC(2026, 10, 21, 10);

function event(id: string, message: string): AuditEntry {
  return { apiVersion: 'homeostat.dev/v1', kind: 'event', id, at: new Date(DAY).toISOString(), revision: 'abc123', event: { name: 'paused', message } };
}

function write(line: string, at = DAY): AuditWrite {
  const id = newEntryId(at);
  return { id, kind: 'event', content: serializeEntry(event(id, line)), message: line, trailers: { 'Homeostat-Event': 'paused' } };
}

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['--git-dir', dir, ...args], { encoding: 'utf8' });
}

/** A bare remote that refuses anything but a fast-forward, as a shared audit remote should. */
function bareRemote(): string {
  const dir = `${sandbox.path('remote')}.git`;
  execFileSync('git', ['init', '-q', '--bare', '--initial-branch=main', dir]);
  git(dir, 'config', 'receive.denyNonFastForwards', 'true');
  return dir;
}

function openRepo(remote: string | null): Promise<AuditRepo> {
  return sandbox.openAudit({ remote: remote ? { url: remote, branch: 'main' } : null });
}

/** Someone else's commit on the remote branch, made through a clone of it. */
function foreignCommit(remote: string, file: string): string {
  const clone = sandbox.path('clone');
  execFileSync('git', ['clone', '-q', remote, clone]);
  const run = (...args: string[]) => execFileSync('git', ['-C', clone, '-c', 'user.name=someone', '-c', 'user.email=someone@example.com', ...args], { encoding: 'utf8' });
  mkdirSync(join(clone, 'notes'), { recursive: true });
  execFileSync('sh', ['-c', 'echo note > "$1"', 'sh', join(clone, file)]);
  run('add', file);
  run('commit', '-q', '-m', `foreign: ${file}`);
  run('push', '-q', 'origin', 'main');
  return run('rev-parse', 'HEAD').trim();
}

describe('push', () => {
  it('does nothing without a remote', async () => {
    const repo = await openRepo(null);
    await repo.commit([write('paused by alice')]);
    expect(await repo.push()).toEqual({ pushed: false, error: null, replayed: 0 });
    expect(await repo.pending()).toBe(0);
  });

  it('pushes the branch to a bare remote', async () => {
    const remote = bareRemote();
    const repo = await openRepo(remote);
    await repo.commit([write('paused by alice')]);
    expect(await repo.pending()).toBe(2);
    expect(await repo.push()).toEqual({ pushed: true, error: null, replayed: 0 });
    expect(git(remote, 'rev-parse', 'main').trim()).toBe(await repo.head());
    expect(await repo.pending()).toBe(0);
    expect(await repo.push()).toEqual({ pushed: true, error: null, replayed: 0 });
  });

  it('keeps the commits while the remote is unreachable, then sends them all in order', async () => {
    const remote = bareRemote();
    const repo = await openRepo(remote);
    await repo.commit([write('first')]);
    expect((await repo.push()).pushed).toBe(true);
    renameSync(remote, `${remote}.away`);
    for (const line of ['second', 'third', 'fourth']) await repo.commit([write(line)]);
    const failed = await repo.push();
    expect(failed.pushed).toBe(false);
    expect(failed.error).toMatch(/does not appear to be a git repository/);
    expect(await repo.pending()).toBe(3);
    renameSync(`${remote}.away`, remote);
    expect(await repo.push()).toEqual({ pushed: true, error: null, replayed: 0 });
    expect(git(remote, 'log', '--reverse', '--format=%s', 'main')).toBe('audit: start the audit repository\nfirst\nsecond\nthird\nfourth\n');
    expect(await repo.pending()).toBe(0);
  });

  it('replays its commits onto a remote branch someone else moved, never forcing it', async () => {
    const remote = bareRemote();
    const repo = await openRepo(remote);
    await repo.commit([write('first')]);
    await repo.push();
    const foreign = foreignCommit(remote, 'notes/x.txt');
    const mine = [write('second', DAY + 1), write('third', DAY + 2)];
    for (const w of mine) await repo.commit([w]);
    const before = git(repo.dir, 'log', '--format=%an|%ae|%ad|%cn|%cd|%B', '--date=raw', '-2');

    const result = await repo.push();
    expect(result).toEqual({ pushed: true, error: null, replayed: 2 });
    const tip = git(remote, 'rev-parse', 'main').trim();
    expect(tip).toBe(await repo.head());
    expect(git(remote, 'log', '--reverse', '--format=%s', 'main')).toBe('audit: start the audit repository\nfirst\nforeign: notes/x.txt\nsecond\nthird\n');
    expect(git(remote, 'merge-base', '--is-ancestor', foreign, tip)).toBe('');
    // The same messages, authors and dates, and the same files.
    expect(git(repo.dir, 'log', '--format=%an|%ae|%ad|%cn|%cd|%B', '--date=raw', '-2')).toBe(before);
    for (const w of mine) expect(git(remote, 'show', `main:${entryPath(w.id)}`)).toBe(w.content);
    expect(git(remote, 'show', 'main:notes/x.txt')).toBe('note\n');
    expect(git(repo.dir, 'for-each-ref', 'refs/homeostat/')).toBe('');
  });

  it('joins a remote branch another engine started, without repeating its README commit', async () => {
    const remote = bareRemote();
    const one = await openRepo(remote);
    const two = await openRepo(remote);
    await one.commit([write('from one')]);
    await two.commit([write('from two')]);
    expect((await one.push()).pushed).toBe(true);
    expect(await two.push()).toEqual({ pushed: true, error: null, replayed: 1 });
    expect(git(remote, 'log', '--reverse', '--format=%s', 'main')).toBe('audit: start the audit repository\nfrom one\nfrom two\n');
    // More commits on both sides keep going the same way.
    await one.commit([write('one again', DAY + 5)]);
    await two.commit([write('two again', DAY + 6)]);
    expect((await two.push()).pushed).toBe(true);
    expect(await one.push()).toEqual({ pushed: true, error: null, replayed: 1 });
    expect(git(remote, 'log', '--reverse', '--format=%s', 'main').split('\n').slice(-3)).toEqual(['two again', 'one again', '']);
    expect(await one.pending()).toBe(0);
  });

  it('keeps committing while a push replays', async () => {
    const remote = bareRemote();
    const repo = await openRepo(remote);
    await repo.push();
    foreignCommit(remote, 'notes/y.txt');
    await repo.commit([write('before')]);
    const lines = Array.from({ length: 10 }, (_, i) => `during ${i}`);
    const [pushed] = await Promise.all([repo.push(), ...lines.map((l, i) => repo.commit([write(l, DAY + 10 + i)]))]);
    expect(pushed.error).toBeNull();
    // Whatever the interleaving, a second push sends the rest, and nothing is lost.
    expect((await repo.push()).pushed).toBe(true);
    const subjects = git(remote, 'log', '--format=%s', 'main');
    for (const line of ['before', ...lines]) expect(subjects).toContain(`${line}\n`);
    expect(await repo.pending()).toBe(0);
  });
});
