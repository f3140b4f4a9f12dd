/**
 * engine/git: the one place that runs git, and the only importer of simple-git. It owns how
 * git is called on a repository directory: GIT_DIR always set (git never searches parent
 * directories, so a missing audit repository can never fall through to the policy checkout
 * around it), the engine's environment allowlist, no terminal prompts, and the commands that
 * need stdin (fast-import, cat-file --batch) run through engine/exec. It must not know what
 * the repository holds: the audit layout and its commit messages belong to engine/audit/.
 *
 * simple-git waits 50 ms after any git command that prints nothing (in its completion plugin,
 * whatever the `completion` option says), so update-ref or repack would cost 55 ms instead of
 * 4. `endWithEmptyChunk` defeats that wait: the output is complete once stdout ends, so an
 * empty chunk then changes nothing but the timing. simple-git also drops every GIT_* variable
 * of the environment it is not told to allow; we pass the engine's allowlist plus our own.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { simpleGit } from 'simple-git';
import type { SimpleGit } from 'simple-git';
import { childEnv, runCommand } from '../exec/exec.js';
import type { ExecResult } from '../exec/exec.js';

export { blobId } from './objects.js';
export { readLog } from './log.js';
export type { CommitRecord, FileChange, LogQuery } from './log.js';

export interface Git {
  /** The git directory (for a bare repository, the repository itself). */
  readonly dir: string;
  readonly client: SimpleGit;
  /** What engine/exec adds to its allowlisted environment for git. */
  readonly env: Readonly<Record<string, string>>;
}

export interface TreeEntry {
  mode: string;
  type: 'blob' | 'tree' | 'commit';
  sha: string;
  path: string;
}

export class GitCommandError extends Error {}

/** For the commands run through engine/exec; simple-git ends a command silent this long. */
export const STDIN_COMMAND_TIMEOUT_MS = 300_000;
const SILENCE_TIMEOUT_MS = 120_000;
/** Output of commands fed through stdin is read whole; a cap only catches a runaway. */
const STDIN_OUTPUT_CAP_BYTES = 1024 * 1024 * 1024;
// Settings that would change output we parse; and no automatic gc or maintenance after a
// fetch (it may detach and outlive us): the audit repository is packed by its owner.
export const CONFIG = ['log.showSignature=false', 'color.ui=false', 'core.quotePath=false', 'gc.auto=0', 'maintenance.auto=false'];

/**
 * glibc's malloc gives memory back to the system whenever the top of the heap is free, and
 * fast-import frees each blob's buffer: one brk() up and one down per object. On this kind of
 * virtual machine that made 30,000 audit entries cost 1.3 s of system time in 120,000 brk
 * calls, against 0.01 s with the heap allowed to keep 32 MiB at its top (RSS does not grow:
 * untouched pages are not resident).
 */
const MALLOC_TUNABLES = 'glibc.malloc.top_pad=33554432';

export function openGit(dir: string): Git {
  const abs = resolve(dir);
  mkdirSync(abs, { recursive: true });
  const env = { GIT_DIR: abs, GIT_TERMINAL_PROMPT: '0', GLIBC_TUNABLES: MALLOC_TUNABLES };
  const client = simpleGit({
    baseDir: abs,
    config: CONFIG,
    timeout: { block: SILENCE_TIMEOUT_MS },
    allowEnvironment: Object.keys(env),
    trimmed: false,
  })
    .env(childEnv(env))
    .outputHandler(endWithEmptyChunk);
  return { dir: abs, client, env };
}

function endWithEmptyChunk(_command: string, stdout: NodeJS.ReadableStream): void {
  stdout.once('end', () => stdout.emit('data', Buffer.alloc(0)));
}

export async function initBare(git: Git, branch: string): Promise<void> {
  await git.client.raw(['init', '--quiet', '--bare', `--initial-branch=${branch}`]);
}

/** Whether the directory is a bare repository; throws when it is no repository at all. */
export async function isBareRepository(git: Git): Promise<boolean> {
  return (await git.client.raw(['rev-parse', '--is-bare-repository'])).trim() === 'true';
}

export async function setHead(git: Git, branch: string): Promise<void> {
  await git.client.raw(['symbolic-ref', 'HEAD', `refs/heads/${branch}`]);
}

/** The commit a revision names, or null when it names none. */
export async function resolveCommit(git: Git, rev: string): Promise<string | null> {
  const out = await git.client.raw(['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`]);
  return out.trim() || null;
}

/** Commits reachable from `include` and not from `exclude`, oldest first. */
export async function revList(git: Git, include: readonly string[], exclude: readonly string[] = []): Promise<string[]> {
  const out = await git.client.raw(['rev-list', '--reverse', '--topo-order', ...include, ...exclude.map((r) => `^${r}`), '--']);
  return out.split('\n').filter(Boolean);
}

export async function countCommits(git: Git, include: readonly string[], exclude: readonly string[] = []): Promise<number> {
  const out = await git.client.raw(['rev-list', '--count', ...include, ...exclude.map((r) => `^${r}`), '--']);
  return Number(out.trim());
}

export async function isAncestor(git: Git, ancestor: string, descendant: string): Promise<boolean> {
  // merge-base --is-ancestor answers through its exit code alone, which simple-git hides.
  const out = await git.client.raw(['rev-list', '-n', '1', ancestor, `^${descendant}`, '--']);
  return out.trim() === '';
}

/**
 * Moves `ref` to `value` only if it still holds `old` (null: only if it does not exist;
 * undefined: whatever it holds, for refs only this process writes).
 */
export async function updateRef(git: Git, ref: string, value: string, old?: string | null): Promise<void> {
  const expected = old === undefined ? [] : [old ?? ''];
  await git.client.raw(['update-ref', '--no-deref', ref, value, ...expected]);
}

export async function deleteRef(git: Git, ref: string): Promise<void> {
  await git.client.raw(['update-ref', '--no-deref', '-d', ref]);
}

/** Every blob under each `path` at `rev` ('' for the whole tree), recursively, in path order; with treesOnly, every directory instead. */
export async function listTree(git: Git, rev: string, path: string | readonly string[], options: { treesOnly?: boolean } = {}): Promise<TreeEntry[]> {
  // After --end-of-options every argument is the tree or a path: a '--' would be a path too.
  const paths = (typeof path === 'string' ? [path] : path).filter(Boolean);
  // treesOnly: the directories alone (-d), at every depth.
  const out = await git.client.raw(['ls-tree', '-r', ...(options.treesOnly ? ['-d'] : []), '-z', '--full-tree', '--end-of-options', rev, ...paths]);
  const entries: TreeEntry[] = [];
  for (const record of out.split('\0')) {
    if (!record) continue;
    const tab = record.indexOf('\t');
    const [mode, type, sha] = record.slice(0, tab).split(' ');
    entries.push({ mode: mode!, type: type as TreeEntry['type'], sha: sha!, path: record.slice(tab + 1) });
  }
  return entries;
}

/**
 * The git directory holding `dir` and where `dir` sits inside its working tree ('' at the top,
 * and for a bare repository), found the way git finds it from that directory; null when `dir`
 * is in no repository.
 */
export async function locateGitDir(dir: string): Promise<{ gitDir: string; prefix: string } | null> {
  const result = await runCommand({ file: 'git', args: ['rev-parse', '--absolute-git-dir', '--show-prefix'], cwd: resolve(dir), env: { GIT_TERMINAL_PROMPT: '0' }, timeoutMs: SILENCE_TIMEOUT_MS });
  if (result.spawnError) throw new GitCommandError(`git rev-parse: ${result.spawnError}`);
  if (result.exitCode !== 0) return null;
  const [gitDir, prefix = ''] = result.output.split('\n');
  return { gitDir: gitDir!, prefix: prefix.replace(/\/$/, '') };
}

/**
 * How git judges a commit's signature against an SSH allowed-signers file: its `%G?` letter
 * (only G is a good signature by a listed key: N none, U a key not listed, B bad, E cannot be
 * checked), the key's fingerprint and the principal it is listed under.
 */
export async function signatureOf(git: Git, commit: string, allowedSignersFile: string): Promise<{ status: string; key: string; signer: string }> {
  const out = await git.client.raw(['-c', `gpg.ssh.allowedSignersFile=${allowedSignersFile}`, 'log', '-1', '--no-walk', '--format=%G?%x00%GK%x00%GS', '--end-of-options', commit, '--']);
  const [status = 'E', key = '', signer = ''] = out.trim().split('\0');
  return { status, key, signer };
}

/** The branch a remote's HEAD names (its default branch), or null when it names none. */
export async function remoteDefaultBranch(git: Git, url: string): Promise<string | null> {
  const out = await git.client.raw(['ls-remote', '--symref', '--', url, 'HEAD']);
  const m = /^ref: refs\/heads\/(\S+)\tHEAD$/m.exec(out);
  return m ? m[1]! : null;
}

/** Pushes one commit to a remote ref. Never forced: a remote that moved rejects it. */
export async function pushCommit(git: Git, url: string, commit: string, remoteRef: string): Promise<void> {
  await git.client.raw(['push', '--porcelain', '--no-follow-tags', '--', url, `${commit}:${remoteRef}`]);
}

/**
 * Fetches a remote ref into a local one (a tracking ref, so it may move backwards). `fsck`
 * checks every object received, as for content from a remote that is not trusted yet: a tree
 * entry named '..' or '.git' is refused before anything reads it.
 */
export async function fetchRef(git: Git, url: string, remoteRef: string, localRef: string, options: { fsck?: boolean } = {}): Promise<void> {
  const fsck = options.fsck ? ['-c', 'fetch.fsckObjects=true'] : [];
  await git.client.raw([...fsck, 'fetch', '--quiet', '--no-tags', '--no-write-fetch-head', '--', url, `+${remoteRef}:${localRef}`]);
}

/**
 * Rolls the small packs (and any loose objects) into one, keeping every pack at least twice
 * the size of the next smaller: the cost is that of the small packs, not of the repository,
 * and the number of packs stays logarithmic in the number of objects.
 */
export async function repackSmall(git: Git): Promise<void> {
  await git.client.raw(['repack', '-d', '-q', '--geometric=2']);
}

/**
 * Runs `git fast-import` on a stream; returns what it wrote to stdout (get-mark answers).
 * The objects stay in the pack fast-import wrote, however few: below fastimport.unpackLimit
 * it would start `git unpack-objects` to loosen them, which took most of a small commit's time.
 */
export async function fastImport(git: Git, stream: string, options: { force?: boolean } = {}): Promise<string> {
  const args = ['fast-import', '--quiet', '--done', ...(options.force ? ['--force'] : [])];
  const result = await runGit(git, args, stream, ['fastimport.unpackLimit=0']);
  return result.output;
}

/**
 * The content of each object spec (`<rev>:<path>` or a sha), null for those that do not
 * exist, with one `git cat-file --batch` process for all of them.
 */
export async function readBlobs(git: Git, specs: readonly string[]): Promise<(Buffer | null)[]> {
  if (specs.length === 0) return [];
  const result = await runGit(git, ['cat-file', '--batch'], batchInput(specs), [], true);
  return parseBatch(result.outputBytes!, specs.length, true).map((r) => r.content);
}

/**
 * The files under `paths` at `commit` (a commit id) with a line that matches `pattern` (an
 * extended regular expression): `git grep -l`, which reads the blobs in git's own process.
 */
export async function grepFiles(git: Git, commit: string, pattern: string, paths: readonly string[]): Promise<string[]> {
  if (!/^[0-9a-f]{40,64}$/.test(commit)) throw new GitCommandError(`git grep: not a commit id: ${commit}`);
  if (paths.length === 0) return [];
  const result = await runCommand({
    file: 'git',
    args: [...CONFIG.flatMap((c) => ['-c', c]), 'grep', '-l', '-z', '-E', '-e', pattern, commit, '--', ...paths],
    cwd: git.dir, env: git.env, timeoutMs: STDIN_COMMAND_TIMEOUT_MS, outputCapBytes: STDIN_OUTPUT_CAP_BYTES, rawOutput: true,
  });
  if (result.spawnError) throw new GitCommandError(`git grep: ${result.spawnError}`);
  if (result.timedOut) throw new GitCommandError(`git grep timed out after ${STDIN_COMMAND_TIMEOUT_MS / 1000} s`);
  // 1: nothing matched.
  if (result.exitCode === 1) return [];
  if (result.exitCode !== 0) throw new GitCommandError(`git grep failed: ${errorText(result.output) || `exit code ${result.exitCode ?? result.signal}`}`);
  return result.outputBytes!.toString('utf8').split('\0').filter(Boolean).map((name) => name.slice(commit.length + 1));
}

/** The object id of each spec, null for those that do not exist (`cat-file --batch-check`). */
export async function objectIds(git: Git, specs: readonly string[]): Promise<(string | null)[]> {
  if (specs.length === 0) return [];
  const result = await runGit(git, ['cat-file', '--batch-check'], batchInput(specs), [], true);
  return parseBatch(result.outputBytes!, specs.length, false).map((r) => r.sha);
}

function batchInput(specs: readonly string[]): string {
  for (const spec of specs) if (/[\n\r]/.test(spec)) throw new GitCommandError(`object name contains a line break: ${JSON.stringify(spec)}`);
  return specs.map((s) => `${s}\n`).join('');
}

function parseBatch(out: Buffer, count: number, withContent: boolean): { sha: string | null; content: Buffer | null }[] {
  const results: { sha: string | null; content: Buffer | null }[] = [];
  let at = 0;
  while (results.length < count) {
    const eol = out.indexOf(10, at);
    if (eol < 0) throw new GitCommandError(`git cat-file: answer ${results.length + 1} of ${count} is missing`);
    const header = out.subarray(at, eol).toString('utf8');
    at = eol + 1;
    const m = /^([0-9a-f]{40,64}) (\w+) (\d+)$/.exec(header);
    if (!m) {
      if (!/ (missing|ambiguous)$/.test(header)) throw new GitCommandError(`git cat-file: unexpected answer: ${header}`);
      results.push({ sha: null, content: null });
      continue;
    }
    if (!withContent) {
      results.push({ sha: m[1]!, content: null });
      continue;
    }
    const size = Number(m[3]);
    if (out[at + size] !== 10) throw new GitCommandError(`git cat-file: ${m[1]} is not ${size} bytes long as announced`);
    results.push({ sha: m[1]!, content: out.subarray(at, at + size) });
    at += size + 1;
  }
  return results;
}

async function runGit(git: Git, args: string[], input: string, config: readonly string[] = [], rawOutput = false): Promise<ExecResult> {
  const result = await runCommand({
    rawOutput,
    file: 'git',
    args: [...CONFIG, ...config].flatMap((c) => ['-c', c]).concat(args),
    cwd: git.dir,
    env: git.env,
    input,
    timeoutMs: STDIN_COMMAND_TIMEOUT_MS,
    outputCapBytes: STDIN_OUTPUT_CAP_BYTES,
  });
  if (result.spawnError) throw new GitCommandError(`git ${args[0]}: ${result.spawnError}`);
  if (result.timedOut) throw new GitCommandError(`git ${args[0]} timed out after ${STDIN_COMMAND_TIMEOUT_MS / 1000} s`);
  if (result.exitCode !== 0) {
    const why = errorText(result.output) || `exit code ${result.exitCode ?? result.signal}`;
    throw new GitCommandError(`git ${args[0]} failed: ${why}`);
  }
  return result;
}

/** A failed git call's message, on one line. */
export function gitErrorText(error: unknown): string {
  return errorText(error instanceof Error ? error.message : String(error));
}

/** git's complaint on one line: its hints and blank lines dropped, and bounded. */
export function errorText(output: string): string {
  const lines = output.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('hint:'));
  const text = lines.join(' | ');
  return text.length > 500 ? `${text.slice(0, 497)}...` : text;
}
