/**
 * What a policy source (a directory, a git remote) must hold before its set may replace the
 * active one: a load without errors and policy tests that all pass. Both sources vet a set
 * here, so a revision is judged the same way wherever it came from.
 */
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { testPayloadReader } from '../load/git-revision.js';
import type { RevisionLoader, RevisionRepository } from '../load/git-revision.js';
import type { LoadResult } from '../load/repository.js';
import type { PolicySet } from '../policy/types.js';
import { failureLines, runTests } from '../testing/run-tests.js';
import type { ReadPayload } from '../testing/run-tests.js';
import { count } from '../util/count.js';

export interface ActiveSet {
  set: PolicySet;
  /** The policy repository's files on disk, where actions find their playbooks and scripts. */
  root: string;
  activatedAt: string;
}

export interface LoadReport {
  at: string;
  ok: boolean;
  revision: string | null;
  /** The first problems, as lint prints them; `problems` counts them all. */
  diagnostics: Diagnostic[];
  problems: number;
  error: string | null;
  /** The stable code of a refusal that no file's diagnostic says (a rewritten history, a signature). */
  code?: string;
}

/** The report of a load that failed or was refused as a whole. */
export function failedReport(at: string, revision: string | null, error: string, code?: string): LoadReport {
  return { at, ok: false, revision, diagnostics: [], problems: 0, error, ...(code ? { code } : {}) };
}

/** One sync of a git source: what it fetched and what came of it. */
export interface SyncReport {
  at: string;
  ok: boolean;
  /** The branch head the sync saw, when it got that far. */
  head: string | null;
  /** What happened, in a few words: up to date, activated, refused, fetch failed, sync failed. */
  result: string;
  error: string | null;
}

/** What a source says of itself in the engine's status, beside the active set. */
export type SourceStatus =
  | { kind: 'directory'; dir: string }
  | {
      kind: 'git';
      /** Credentials masked. */
      remote: string;
      branch: string | null;
      path: string;
      intervalMs: number;
      verifySignatures: boolean;
      activeCommit: string | null;
      /** The active set came from disk at start-up, the remote not having answered since. */
      servingCached: boolean;
      lastSync: SyncReport | null;
      lastFailure: SyncReport | null;
    };

/** A source of policy sets: a directory, a git remote. */
export interface PolicySource {
  readonly active: ActiveSet | null;
  readonly lastLoad: LoadReport | null;
  /** Loads (or syncs) once, then follows changes until closed. */
  start(): Promise<void>;
  /** Loads (or syncs) now; a request during a load runs right after it. */
  load(): Promise<LoadReport>;
  describe(): SourceStatus;
  close(): Promise<void>;
}

const SHOWN_DIAGNOSTICS = 20;

/** A refusal for problems: the first ones, as lint prints them, and how many there are. */
function refused(at: string, revision: string | null, problems: readonly Diagnostic[], error: string): LoadReport {
  return { ...failedReport(at, revision, error), diagnostics: problems.slice(0, SHOWN_DIAGNOSTICS), problems: problems.length };
}

/** The set of a load when it may be activated, and the report saying why it may not. */
export async function vet(result: LoadResult, revision: string | null, readPayload: ReadPayload, at: string): Promise<{ report: LoadReport; set: PolicySet | null }> {
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  if (!result.policySet || errors.length) {
    return { set: null, report: refused(at, revision, errors, `${count(errors.length, 'problem')} in the policies`) };
  }
  const failed = (await runTests(result.policySet, result.tests, readPayload)).filter((r) => !r.passed);
  if (failed.length) {
    const diagnostics: Diagnostic[] = failed.map((r) => ({
      file: r.file, line: r.line, col: 1, pointer: '', code: 'HST_TEST_FAILED', severity: 'error',
      message: `test '${r.test}', case '${r.name}': ${failureLines(r).join('; ')}`,
      hint: 'fix the policy or the test; `homeostat test` runs them',
    }));
    return { set: null, report: refused(at, revision, diagnostics, `${count(failed.length, 'policy test case')} failed`) };
  }
  return { set: result.policySet, report: { at, ok: true, revision: result.policySet.revision, diagnostics: [], problems: 0, error: null } };
}

/** vet() for a revision read from git: its test payloads are read at the same revision. */
export async function vetRevision(loader: RevisionLoader, repo: RevisionRepository, result: LoadResult, at: string): Promise<{ report: LoadReport; set: PolicySet | null }> {
  return vet(result, repo.commit, await testPayloadReader(loader, repo, result), at);
}

export function activeSet(set: PolicySet, root: string, at: string): ActiveSet {
  return { set, root, activatedAt: at };
}
