import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { splitPayload } from '../alerts/payload.js';
import type { SplitPayload } from '../alerts/payload.js';
import { parseAlertsText, TimelineError } from '../alerts/timeline.js';
import type { TimedPayload } from '../alerts/timeline.js';
import { readRepository, RepositoryReadError } from '../load/read-dir.js';
import type { DirectoryRepository } from '../load/read-dir.js';
import { loadRevision, RevisionError, testPayloadReader } from '../load/git-revision.js';
import type { RevisionLoader } from '../load/git-revision.js';
import { startLoader } from '../load/parallel.js';
import type { Loader } from '../load/parallel.js';
import type { LoadResult } from '../load/repository.js';
import type { PolicySet } from '../policy/types.js';
import { count } from '../util/count.js';
import { UserError } from './errors.js';

export interface LoadedPolicies {
  result: LoadResult;
  /** Where the policy files were read from, as the user would name it. */
  rulesLabel: string;
  /** A file of the policy repository (a test's payload), by path relative to its root. */
  readFile(path: string): string;
  /** The repository's root on disk; null when read from git (--rev). */
  root: string | null;
}

/** The policy repository in `dir`, as it is on disk or, with `rev`, as it was at that git revision. */
export async function loadDirectory(dir: string, cwd: string, rev?: string): Promise<LoadedPolicies> {
  if (rev !== undefined) return loadAtRevision(dir, cwd, rev);
  let repo: DirectoryRepository;
  let loader: Loader | undefined;
  try {
    repo = readRepository(resolve(cwd, dir), (count) => {
      loader = startLoader(count);
    });
  } catch (error) {
    if (error instanceof RepositoryReadError) throw new UserError(error.message.replace(resolve(cwd, dir), dir));
    throw error;
  }
  if (!repo.files.some((f) => f.path !== 'homeostat.yaml')) {
    throw new UserError(`${dir}: no policy files (*.yaml, *.yml) in ${repo.rulesDir}; give the policy repository or its rules/ folder`);
  }
  const result = await (loader ?? startLoader(repo.files.length)).load(repo);
  return { result, rulesLabel: repo.rulesDir, readFile: (path) => readFileSync(join(repo.root, path), 'utf8'), root: repo.root };
}

/**
 * The policy repository at `rev`; given the loader of an earlier revision of the same
 * repository, only the files that changed since are analysed again (diff's head after its base).
 */
async function loadAtRevision(dir: string, cwd: string, rev: string, previous?: RevisionLoader): Promise<LoadedPolicies & { loader: RevisionLoader }> {
  try {
    const { loader, repo, result } = previous ? { loader: previous, ...(await previous.load(rev)) } : await loadRevision(resolve(cwd, dir), rev);
    return {
      result,
      loader,
      rulesLabel: `${rev}:${[repo.base, repo.rulesPath].filter(Boolean).join('/') || '.'}`,
      readFile: await testPayloadReader(loader, repo, result),
      root: null,
    };
  } catch (error) {
    if (error instanceof RevisionError) throw new UserError(error.message.replace(resolve(cwd, dir), dir));
    throw error;
  }
}

/**
 * Two states of the policy repository in `dir`: `base` from git, `head` from git too, or,
 * without it, the directory as it is (what the author is editing). Both through the loader
 * `--rev` uses.
 */
export async function loadPair(dir: string, cwd: string, base: string, head?: string): Promise<{ base: LoadedPolicies; head: LoadedPolicies }> {
  const before = await loadAtRevision(dir, cwd, base);
  const after = head === undefined ? await loadDirectory(dir, cwd) : await loadAtRevision(dir, cwd, head, before.loader);
  return { base: before, head: after };
}

/** The policy set, or a user error saying lint has problems to show. */
export function requirePolicySet(dir: string, result: LoadResult): PolicySet {
  if (result.policySet) return result.policySet;
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  const first = errors[0]!;
  throw new UserError(`${count(errors.length, 'problem')} in the policies, first ${first.file}:${first.line}:${first.col} ${first.code} ${first.message}; run \`homeostat lint ${dir}\``, 1);
}

function readAlertsText(file: string, cwd: string): string {
  try {
    return readFileSync(resolve(cwd, file), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EISDIR') {
      throw new UserError(`${file}: is a directory, not an alerts file; put the policy directory before --alerts (--alerts takes every file after it)`);
    }
    throw new UserError(`${file}: cannot read the alerts file (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** The payloads of an alerts file of simulate or diff: one webhook payload, or a timeline (`homeostat replay`). */
export function readAlertsFile(file: string, cwd: string): TimedPayload[] {
  try {
    return parseAlertsText(readAlertsText(file, cwd));
  } catch (error) {
    if (error instanceof TimelineError) throw new UserError(`${file}${error.line ? `:${error.line}` : ''}: ${error.message}`);
    throw error;
  }
}

export function readPayloadFile(file: string, cwd: string): SplitPayload {
  const text = readAlertsText(file, cwd);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new UserError(`${file}: not JSON (${(error as Error).message}); give an Alertmanager webhook payload`);
  }
  const split = splitPayload(body);
  if (!split.ok) {
    const p = split.problems[0]!;
    throw new UserError(`${file}: HST_PAYLOAD_INVALID not an Alertmanager webhook payload (version 4): ${p.pointer || '/'} ${p.message}`);
  }
  return split.payload;
}

export function parseNow(text: string | undefined): number {
  if (text === undefined) return Date.now();
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new UserError(`--now ${text}: not a date; give an ISO 8601 time such as 2026-11-21T09:00:00Z`);
  return ms;
}
