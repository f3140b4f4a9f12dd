import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Session, SessionClosedError } from '../../../engine/exec/session.js';
import { commitCommand, finish, rawDate } from '../../../engine/git/fast-import.js';
import { blobId, fastImport, initBare, openGit } from '../../../engine/git/git.js';
import type { Git } from '../../../engine/git/git.js';
import { FastImporter, listingLine, ObjectLookup, TreeMaker } from '../../../engine/git/sessions.js';
import { gitSandbox } from '../../helpers/git.js';
import { requireCommand } from '../../helpers/processes.js';
import { waitFor } from '../../helpers/wait.js';

const sandbox = gitSandbox('homeostat-sessions-');
const MAIN = 'refs/heads/main';
const who = { name: 'tester', email: 'tester@localhost', date: rawDate(Date.UTC(2026, 10, 21, 10)) };

beforeAll(() => {
  requireCommand('git', 'git');
});

/** Sessions a test opened; all of them are ended after it, whatever it asserted. */
const open: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

function track<T extends { close(): Promise<unknown> }>(session: T): T {
  open.push(session);
  return session;
}

async function emptyRepo(): Promise<Git> {
  const git = openGit(sandbox.path('repo'));
  await initBare(git, 'main');
  return git;
}

/** The system git on the repository, its output trimmed. */
function cli(git: Git, args: string[], input?: string): string {
  return execFileSync('git', ['--git-dir', git.dir, '-c', 'user.name=other', '-c', 'user.email=other@localhost', ...args], { encoding: 'utf8', input }).trim();
}

/**
 * An import of one commit writing `files`, continuing from `from` (none: fast-import's own
 * idea of the branch); records the first mark it was given in `marks`.
 */
function commitOf(files: Record<string, string>, marks: number[], from?: string) {
  return (mark: number) => {
    marks.push(mark);
    const ops = Object.entries(files).map(([path, content]) => ({ op: 'write' as const, path, content }));
    const stream = commitCommand({ ref: MAIN, mark, author: who, committer: who, message: `commit ${mark}\n`, ...(from === undefined ? {} : { from }), files: ops });
    return { stream, last: mark, objects: ops.length + 2 };
  };
}

/** The git fast-import processes this test process started in the repository (Linux: /proc). */
function fastImportPids(git: Git): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const ours = ppid === process.pid && readlinkSync(`/proc/${name}/cwd`) === git.dir;
      if (ours && readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').includes('fast-import')) pids.push(Number(name));
    } catch {
      // The process ended while it was read.
    }
  }
  return pids;
}

describe('ObjectLookup', () => {
  it('gives the ids rev-parse gives, null for what is missing, and sees a branch that moved', async () => {
    const git = await emptyRepo();
    await fastImport(git, commitCommand({ ref: MAIN, mark: 1, author: who, committer: who, message: 'seed\n', files: [{ op: 'write', path: 'dir/a.json', content: '{"a":1}\n' }] }) + finish(null));
    const lookup = track(new ObjectLookup(git));
    expect(await lookup.ids([MAIN, `${MAIN}:dir/a.json`, `${MAIN}:dir`, `${MAIN}:dir/nope.json`, 'refs/heads/none'])).toEqual([
      cli(git, ['rev-parse', MAIN]),
      cli(git, ['rev-parse', `${MAIN}:dir/a.json`]),
      cli(git, ['rev-parse', `${MAIN}:dir`]),
      null,
      null,
    ]);
    // The same process answers after another one moved the branch and wrote a new pack.
    const before = cli(git, ['rev-parse', MAIN]);
    await fastImport(git, commitCommand({ ref: MAIN, mark: 1, author: who, committer: who, message: 'next\n', from: `${MAIN}^0`, files: [{ op: 'write', path: 'dir/b.json', content: '{"b":2}\n' }] }) + finish(null));
    const after = cli(git, ['rev-parse', MAIN]);
    expect(after).not.toBe(before);
    expect(await lookup.ids([MAIN, `${MAIN}:dir/b.json`])).toEqual([after, blobId('{"b":2}\n')]);
  });

  it('refuses an object name with a line break', async () => {
    const lookup = track(new ObjectLookup(await emptyRepo()));
    await expect(lookup.ids(['main\nmain'])).rejects.toThrow(/line break/);
  });
});

describe('TreeMaker', () => {
  it('writes the tree git mktree --missing writes for the same listing, the blobs not yet written', async () => {
    const git = await emptyRepo();
    const maker = track(new TreeMaker(git));
    const listing = listingLine('b.json', blobId('b\n')) + listingLine('a.json', blobId('a\n'));
    const tree = await maker.make(listing);
    expect(tree).toBe(cli(git, ['mktree', '--missing'], listing));
    expect(cli(git, ['cat-file', '-t', tree])).toBe('tree');
    expect(cli(git, ['ls-tree', '--name-only', tree])).toBe('a.json\nb.json');
    // One process, one answer per request.
    const second = listingLine('c.json', blobId('c\n'));
    expect(await maker.make(second)).toBe(cli(git, ['mktree', '--missing'], second));
  });
});

describe('FastImporter', () => {
  it('imports commits in a row through one process, each continuing the last', async () => {
    const git = await emptyRepo();
    const importer = track(new FastImporter(git));
    const marks: number[] = [];
    const first = await importer.import(commitOf({ 'a.txt': 'a\n' }, marks));
    expect(cli(git, ['rev-parse', MAIN])).toBe(first);
    const second = await importer.import(commitOf({ 'b.txt': 'b\n' }, marks));
    expect(cli(git, ['rev-parse', MAIN])).toBe(second);
    // No `from`: only the process that wrote `first` knows to continue from it; marks go on.
    expect(cli(git, ['rev-parse', `${second}^`])).toBe(first);
    expect(marks).toEqual([1, 2]);
    expect(fastImportPids(git)).toHaveLength(1);
    expect(cli(git, ['ls-tree', '--name-only', second])).toBe('a.txt\nb.txt');
  });

  it('rejects an import whose branch someone else moved elsewhere, then imports again', async () => {
    const git = await emptyRepo();
    const importer = track(new FastImporter(git));
    const marks: number[] = [];
    const first = await importer.import(commitOf({ 'a.txt': 'a\n' }, marks));
    const emptyTree = cli(git, ['hash-object', '-t', 'tree', '-w', '--stdin'], '');
    const unrelated = cli(git, ['commit-tree', emptyTree, '-m', 'someone else']);
    cli(git, ['update-ref', MAIN, unrelated]);

    await expect(importer.import(commitOf({ 'b.txt': 'b\n' }, marks, first))).rejects.toThrow(/did not update the branch/);
    expect(cli(git, ['rev-parse', MAIN])).toBe(unrelated);

    const next = await importer.import(commitOf({ 'c.txt': 'c\n' }, marks, unrelated));
    expect(cli(git, ['rev-parse', MAIN])).toBe(next);
    expect(cli(git, ['rev-parse', `${next}^`])).toBe(unrelated);
    expect(cli(git, ['ls-tree', '--name-only', next])).toBe('c.txt');
  });

  it('starts another process after its process died in a request', async () => {
    const git = await emptyRepo();
    const importer = track(new FastImporter(git));
    const marks: number[] = [];
    const first = await importer.import(commitOf({ 'a.txt': 'a\n' }, marks));
    await expect(importer.import(() => ({ stream: 'no-such-command\n', last: 1, objects: 0 }))).rejects.toThrow(/fast-import failed: .*exited with code \d+/);
    expect(cli(git, ['rev-parse', MAIN])).toBe(first);
    const next = await importer.import(commitOf({ 'b.txt': 'b\n' }, marks, `${MAIN}^0`));
    expect(cli(git, ['rev-parse', MAIN])).toBe(next);
    expect(cli(git, ['rev-parse', `${next}^`])).toBe(first);
    // The new process numbers its marks from 1 again.
    expect(marks).toEqual([1, 1]);
  });

  it('starts another process when its process died while idle', async () => {
    const git = await emptyRepo();
    const importer = track(new FastImporter(git));
    const marks: number[] = [];
    const first = await importer.import(commitOf({ 'a.txt': 'a\n' }, marks));
    const [pid, ...others] = fastImportPids(git);
    expect(others).toEqual([]);
    process.kill(pid!, 'SIGKILL');
    await waitFor(() => !existsSync(`/proc/${pid}`), 'the killed fast-import to be reaped');
    const next = await importer.import(commitOf({ 'b.txt': 'b\n' }, marks, `${MAIN}^0`));
    expect(cli(git, ['rev-parse', MAIN])).toBe(next);
    expect(cli(git, ['rev-parse', `${next}^`])).toBe(first);
    const now = fastImportPids(git);
    expect(now).toHaveLength(1);
    expect(now[0]).not.toBe(pid);
  });
});

describe('Session', () => {
  it('answers line by line over its pipes, then exits when its input ends', async () => {
    const session = await Session.start({ file: 'cat', args: [], cwd: sandbox.root });
    session.write('one\ntwo\n');
    session.write([Buffer.from('thr'), Buffer.from('ee\n')]);
    expect([await session.nextLine(), await session.nextLine(), await session.nextLine()]).toEqual(['one', 'two', 'three']);
    expect(await session.close(5000)).toBe(0);
    expect(session.alive).toBe(false);
    expect(() => session.write('late\n')).toThrow(SessionClosedError);
  });

  it('reports a program that exits as closed, naming the exit and what it said', async () => {
    const session = await Session.start({ file: 'sh', args: ['-c', 'read line; echo "no $line" >&2; exit 3'], cwd: sandbox.root });
    const pending = session.nextLine();
    session.write('thanks\n');
    await expect(pending).rejects.toThrow(SessionClosedError);
    await expect(pending).rejects.toThrow(/sh exited with code 3: no thanks/);
    expect(session.alive).toBe(false);
    await expect(session.nextLine()).rejects.toThrow(/exited with code 3/);
    expect(session.takeErrors()).toBe('no thanks\n');
    expect(session.takeErrors()).toBe('');
    expect(await session.close(5000)).toBe(3);
  });

  it('says when its program cannot be started', async () => {
    await expect(Session.start({ file: '/nonexistent/program', args: [], cwd: sandbox.root })).rejects.toThrow(/cannot be started/);
  });

  it('keeps Node alive while an answer is awaited, and not while it is idle', () => {
    const module = fileURLToPath(new URL('../../../dist/engine/exec/session.js', import.meta.url));
    // Never closed: the script must end by itself once nothing is awaited.
    const script = `
      import { Session } from ${JSON.stringify(module)};
      const slow = await Session.start({ file: 'sh', args: ['-c', 'read x; sleep 1; echo "late $x"'], cwd: process.cwd() });
      slow.write('answer\\n');
      console.log(await slow.nextLine());
      const idle = await Session.start({ file: 'cat', args: [], cwd: process.cwd() });
      idle.write('ping\\n');
      console.log(await idle.nextLine());
    `;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: sandbox.root, encoding: 'utf8', timeout: 20_000 });
    expect(run.error).toBeUndefined();
    expect({ status: run.status, stdout: run.stdout, stderr: run.stderr }).toEqual({ status: 0, stdout: 'late answer\nping\n', stderr: '' });
  });
});
