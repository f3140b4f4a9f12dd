import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { commitCommand, finish, printedId, rawDate } from '../../../engine/git/fast-import.js';
import {
  blobId, countCommits, deleteRef, fastImport, fetchRef, initBare, isAncestor, isBareRepository, listTree, objectIds,
  openGit, pushCommit, readBlobs, readLog, resolveCommit, revList, updateRef,
} from '../../../engine/git/git.js';
import type { Git } from '../../../engine/git/git.js';
import { gitSandbox } from '../../helpers/git.js';
import { requireCommand } from '../../helpers/processes.js';

const sandbox = gitSandbox('homeostat-git-');

beforeAll(() => {
  requireCommand('git', 'git');
});

const who = { name: 'tester', email: 'tester@localhost', date: rawDate(Date.UTC(2026, 10, 21, 10)) };
let n = 0;

async function bareRepo(): Promise<Git> {
  const git = openGit(join(sandbox.root, `repo-${++n}.git`));
  await initBare(git, 'main');
  return git;
}

async function commit(git: Git, files: Record<string, string | null>, message = 'm\n', from: string | null = 'refs/heads/main^0'): Promise<string> {
  const ops = Object.entries(files).map(([path, content]) => (content === null ? { op: 'delete' as const, path } : { op: 'write' as const, path, content }));
  const stream = commitCommand({ ref: 'refs/heads/main', mark: 1, author: who, committer: who, message, ...(from ? { from } : {}), files: ops });
  return printedId(await fastImport(git, stream + finish(1)))!;
}

function gitCli(dir: string, ...args: string[]): string {
  return execFileSync('git', ['--git-dir', dir, ...args], { encoding: 'utf8' });
}

describe('openGit', () => {
  it('creates a bare repository on the initial branch asked for', async () => {
    const git = openGit(join(sandbox.root, 'fresh.git'));
    await initBare(git, 'audit');
    expect(await isBareRepository(git)).toBe(true);
    expect(gitCli(git.dir, 'symbolic-ref', 'HEAD').trim()).toBe('refs/heads/audit');
  });

  it('never falls through to a repository around the directory', async () => {
    const outer = join(sandbox.root, 'outer');
    execFileSync('git', ['init', '-q', outer]);
    const git = openGit(join(outer, 'not-a-repo'));
    await expect(isBareRepository(git)).rejects.toThrow(/not a git repository/);
  });

  // bench/bounds.mjs measures how long such a command takes (simple-git alone waits 50 ms).
  it('runs a command that prints nothing to completion', async () => {
    const git = await bareRepo();
    const head = await commit(git, { a: 'a\n' }, 'm\n', null);
    for (let i = 0; i < 20; i++) await updateRef(git, `refs/tags/t${i}`, head);
    const tags = execFileSync('git', ['-C', git.dir, 'for-each-ref', '--format=%(objectname)', 'refs/tags/'], { encoding: 'utf8' }).trim().split('\n');
    expect(tags).toEqual(Array.from({ length: 20 }, () => head));
  });
});

describe('fast-import and reading', () => {
  it('writes commits that the readers see', async () => {
    const git = await bareRepo();
    const first = await commit(git, { 'dir/a.json': '{"a":1}\n', 'README.md': 'héllo\n' }, 'first\n\nbody\n', null);
    const second = await commit(git, { 'dir/b.json': '{"b":2}\n', 'README.md': null });
    expect(await resolveCommit(git, 'refs/heads/main')).toBe(second);
    expect(await resolveCommit(git, 'refs/heads/nothing')).toBeNull();
    expect(await revList(git, ['refs/heads/main'])).toEqual([first, second]);
    expect(await countCommits(git, ['refs/heads/main'], [first])).toBe(1);
    expect(await isAncestor(git, first, second)).toBe(true);
    expect(await isAncestor(git, second, first)).toBe(false);
    expect(await listTree(git, 'refs/heads/main', 'dir')).toEqual([
      { mode: '100644', type: 'blob', sha: blobId('{"a":1}\n'), path: 'dir/a.json' },
      { mode: '100644', type: 'blob', sha: blobId('{"b":2}\n'), path: 'dir/b.json' },
    ]);
    const blobs = await readBlobs(git, [`${first}:README.md`, 'refs/heads/main:README.md', blobId('{"b":2}\n')]);
    expect(blobs.map((b) => b?.toString('utf8') ?? null)).toEqual(['héllo\n', null, '{"b":2}\n']);
    expect(await objectIds(git, [`${first}:dir/a.json`, `${second}:nope`])).toEqual([blobId('{"a":1}\n'), null]);
  });

  it('reads a blob that is not UTF-8 byte for byte', async () => {
    const git = await bareRepo();
    const bytes = Buffer.from([0xff, 0xfe, 0x0a, 0xc3]);
    const sha = execFileSync('git', ['--git-dir', git.dir, 'hash-object', '-w', '--stdin'], { input: bytes, encoding: 'utf8' }).trim();
    const [blob] = await readBlobs(git, [sha]);
    expect(blob).toEqual(bytes);
  });

  it('reads the log with messages, identities and file changes', async () => {
    const git = await bareRepo();
    const first = await commit(git, { a: 'a\n', b: 'b\n' }, 'first\n\nTrailer: x\n', null);
    const second = await commit(git, { a: 'A\n', b: null, c: 'c\n' }, 'second\n');
    const log = await readLog(git, { revs: ['refs/heads/main'], changes: true, reverse: true });
    expect(log.map((c) => [c.sha, c.parents, c.message])).toEqual([
      [first, [], 'first\n\nTrailer: x\n'],
      [second, [first], 'second\n'],
    ]);
    expect(log[1]!.author).toEqual(who);
    expect(log[0]!.changes).toEqual([
      { status: 'A', mode: '100644', sha: blobId('a\n'), path: 'a' },
      { status: 'A', mode: '100644', sha: blobId('b\n'), path: 'b' },
    ]);
    expect(log[1]!.changes!.map((c) => [c.status, c.path])).toEqual([['M', 'a'], ['D', 'b'], ['A', 'c']]);
    expect((await readLog(git, { revs: ['refs/heads/main'], paths: ['c'] })).map((c) => c.sha)).toEqual([second]);
  });

  it('refuses to move a branch that moved since the stream read it', async () => {
    const git = await bareRepo();
    const base = await commit(git, { a: 'a\n' }, 'base\n', null);
    const other = await commit(git, { b: 'b\n' }, 'someone else\n');
    // A stream that read the branch at `base`, before `other` landed, is not a fast-forward.
    await expect(commit(git, { c: 'c\n' }, 'late\n', base)).rejects.toThrow(/fast-import failed.*Not updating refs\/heads\/main/);
    expect(await resolveCommit(git, 'refs/heads/main')).toBe(other);
  });

  it('moves a ref only from the value it still holds', async () => {
    const git = await bareRepo();
    const a = await commit(git, { a: 'a\n' }, 'a\n', null);
    const b = await commit(git, { b: 'b\n' });
    await updateRef(git, 'refs/heads/x', a, null);
    await expect(updateRef(git, 'refs/heads/x', b, null)).rejects.toThrow();
    await expect(updateRef(git, 'refs/heads/x', b, b)).rejects.toThrow();
    await updateRef(git, 'refs/heads/x', b, a);
    expect(await resolveCommit(git, 'refs/heads/x')).toBe(b);
    await deleteRef(git, 'refs/heads/x');
    expect(await resolveCommit(git, 'refs/heads/x')).toBeNull();
  });
});

describe('push and fetch', () => {
  it('pushes fast-forwards, refuses anything else, and fetches into a tracking ref', async () => {
    const local = await bareRepo();
    const remote = await bareRepo();
    const a = await commit(local, { a: 'a\n' }, 'a\n', null);
    await pushCommit(local, remote.dir, a, 'refs/heads/main');
    const b = await commit(local, { b: 'b\n' });
    await pushCommit(local, remote.dir, b, 'refs/heads/main');
    expect(await resolveCommit(remote, 'refs/heads/main')).toBe(b);
    // Someone else's commit on the remote: pushing a commit that lacks it is refused.
    const foreign = await commit(remote, { f: 'f\n' }, 'foreign\n');
    const c = await commit(local, { c: 'c\n' });
    await expect(pushCommit(local, remote.dir, c, 'refs/heads/main')).rejects.toThrow(/rejected|fetch first|non-fast-forward/);
    expect(await resolveCommit(remote, 'refs/heads/main')).toBe(foreign);
    await fetchRef(local, remote.dir, 'refs/heads/main', 'refs/remotes/audit/main');
    expect(await resolveCommit(local, 'refs/remotes/audit/main')).toBe(foreign);
  });

  it('says why when the remote is not there', async () => {
    const local = await bareRepo();
    const a = await commit(local, { a: 'a\n' }, 'a\n', null);
    await expect(pushCommit(local, join(sandbox.root, 'nowhere.git'), a, 'refs/heads/main')).rejects.toThrow(/does not appear to be a git repository|not found/);
  });
});

describe('blobId', () => {
  it('is what git hash-object says', () => {
    const content = '{"é": "ü"}\n';
    const said = execFileSync('git', ['hash-object', '--stdin'], { input: content, encoding: 'utf8', cwd: sandbox.root }).trim();
    expect(blobId(content)).toBe(said);
  });
});

describe('revisions from a reader', () => {
  it('never reads one as an option', async () => {
    const git = await bareRepo();
    await commit(git, { a: 'a\n' }, 'a\n', null);
    await expect(listTree(git, '--output=/tmp/x', 'a')).rejects.toThrow(/Not a valid object name|not a tree object/);
    await expect(readLog(git, { revs: ['--output=/tmp/x'] })).rejects.toThrow(/bad revision|unknown revision|ambiguous/);
    expect(await resolveCommit(git, '--output=/tmp/x')).toBeNull();
  });
});
