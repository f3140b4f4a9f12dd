/**
 * Loads a policy repository from its files: each file analysed on its own (parse with
 * positions, schema, semantic checks), then assembled: referenced files looked up, names
 * checked across files, and — when nothing is wrong — the policy set compiled.
 * Pure over the files it is given; reading them is the caller's business (disk, git).
 */
import { posix } from 'node:path';
import type { Diagnostic, Severity } from '../diagnostics/diagnostic.js';
import { compareDiagnostics } from '../diagnostics/diagnostic.js';
import type { Code } from '../diagnostics/codes.js';
import type { Policy, PolicyTest, Schedule, Settings } from '../generated/schema-types.js';
import { compilePolicy, resolveSettings } from '../policy/compile.js';
import { buildPolicySet } from '../policy/set.js';
import { compileSchedule } from '../schedule/compile.js';
import type { PolicySet } from '../policy/types.js';
import { analyzeExact, analyzeFile } from './analyze.js';
import type { AnalyzedDoc, FileAnalysis, Place, RepoFile } from './analyze.js';
import type { Reference } from '../policy/checks.js';
import { privateUrls } from './private-urls.js';

export type { RepoFile } from './analyze.js';

export interface RepositoryInput {
  files: readonly RepoFile[];
  revision: string;
  /** Whether a repository-relative path names a file of the policy repository. */
  exists(path: string): boolean;
  /** How a file that exists may run, where the source keeps file modes; absent: not checked. */
  mode?(path: string): FileMode;
}

export interface FileMode {
  executable: boolean;
  /** It starts with '#!': a program, which Ansible runs as an inventory script only when executable. */
  shebang: boolean;
  /** The command that makes it executable where it is read from: chmod, or git update-index and a commit. */
  fix: string;
}

export interface LoadedDoc<T> {
  value: T;
  file: string;
  line: number;
  /** Where a JSON pointer of the document stands (computed on demand for fast-path files). */
  placeOf(pointer: string): Place | undefined;
}

export interface LoadResult {
  diagnostics: Diagnostic[];
  /** Null when any error was found: a revision is used whole or not at all. */
  policySet: PolicySet | null;
  policies: LoadedDoc<Policy>[];
  tests: LoadedDoc<PolicyTest>[];
  schedules: LoadedDoc<Schedule>[];
  settings: LoadedDoc<Settings> | null;
  files: number;
}

export function loadRepository(input: RepositoryInput): LoadResult {
  return assemble(input, input.files.map(analyzeFile));
}

function diagnostic(doc: LoadedDoc<unknown>, pointer: string, code: Code, message: string, hint: string, severity: Severity = 'error'): Diagnostic {
  const { line, col } = doc.placeOf(pointer) ?? { line: doc.line, col: 1 };
  return { file: doc.file, line, col, pointer, code, severity, message, hint };
}

/** How assemble compiles a valid policy: compilePolicy, or a cache in front of it. */
export type CompileFn = typeof compilePolicy;

/** The step after the per-file analyses (which may come from worker threads), in file order. */
export function assemble(input: RepositoryInput, analyses: readonly FileAnalysis[], compile: CompileFn = compilePolicy): LoadResult {
  const diagnostics: Diagnostic[] = [];
  const byKind = { Policy: [] as LoadedDoc<Policy>[], PolicyTest: [] as LoadedDoc<PolicyTest>[], Settings: [] as LoadedDoc<Settings>[], Schedule: [] as LoadedDoc<Schedule>[] };
  /** Every policy by file order, those whose YAML is broken too: names are checked across all of them. */
  const named: LoadedDoc<Policy>[] = [];
  const broken = new Set<string>();
  const exactly = exactDocs(input);
  for (const analysis of analyses) {
    diagnostics.push(...analysis.diagnostics);
    for (const doc of analysis.docs) {
      const placeOf = (pointer: string) => exactly(doc).places[pointer];
      const loaded = { value: doc.value, file: doc.file, line: doc.line, placeOf };
      if (doc.kind === 'Policy') named.push(loaded as LoadedDoc<Policy>);
      if (doc.partial) {
        broken.add(String((doc.value as Policy).metadata.name));
        continue;
      }
      diagnostics.push(...referenceProblems(doc, input, exactly));
      (byKind[doc.kind] as LoadedDoc<unknown>[]).push(loaded);
    }
  }
  const { Policy: policies, PolicyTest: tests, Settings: settingsDocs, Schedule: schedules } = byKind;
  const settings = settingsDocs[0] ?? null;
  diagnostics.push(...duplicatePolicies(named), ...duplicatePolicies(schedules, 'schedule'), ...duplicateSettings(settingsDocs), ...testReferences(tests, policies, input, broken), ...privateUrlWarnings(policies, settings));
  diagnostics.push(...groupsWithoutInventory(schedules, settings));
  diagnostics.sort(compareDiagnostics);
  const errors = diagnostics.some((d) => d.severity === 'error');
  const policySet = errors
    ? null
    : buildPolicySet(
        policies.map((p) => compile(p.value, { file: p.file, line: p.line }, settings?.value.spec)),
        resolveSettings(settings?.value.spec),
        input.revision,
        schedules.map((d) => compileSchedule(d.value, { file: d.file, line: d.line }, settings?.value.spec)),
      );
  return { diagnostics, policySet, policies, tests, schedules, settings, files: input.files.length };
}

/** The exact analysis of a fast-path document, made once per file when a place is needed. */
function exactDocs(input: RepositoryInput): (doc: AnalyzedDoc) => AnalyzedDoc {
  const files = new Map(input.files.map((f) => [f.path, f]));
  const cache = new Map<string, FileAnalysis>();
  return (doc) => {
    if (doc.exact) return doc;
    let analysis = cache.get(doc.file);
    if (!analysis) {
      analysis = analyzeExact(files.get(doc.file)!);
      cache.set(doc.file, analysis);
    }
    return analysis.docs[0] ?? doc;
  };
}

/** Referenced files that are missing, and scripts (or inventory scripts) that could not run. */
function referenceProblems(doc: AnalyzedDoc, input: RepositoryInput, exactly: (doc: AnalyzedDoc) => AnalyzedDoc): Diagnostic[] {
  if (doc.references.every((r) => referenceProblem(r, input) === null)) return [];
  return exactly(doc).references.flatMap((r) => {
    const problem = referenceProblem(r, input);
    return problem ? [{ file: doc.file, line: r.line, col: r.col, pointer: r.pointer, severity: 'error' as const, ...problem }] : [];
  });
}

function referenceProblem(r: Reference, input: RepositoryInput): Pick<Diagnostic, 'code' | 'message' | 'hint'> | null {
  if (!input.exists(r.path)) {
    return { code: 'HST_FILE_MISSING', message: `${r.what} '${r.path}' does not exist in the repository`, hint: `add ${r.path} or fix the path (relative to the repository root)` };
  }
  const mode = input.mode?.(r.path);
  if (!mode || mode.executable) return null;
  // A script runs by its own #! line; an inventory is run only when it is a program, else read.
  if (r.what === 'script') {
    return { code: 'HST_FILE_NOT_EXECUTABLE', message: `script '${r.path}' is not executable, so it cannot run`, hint: `make it executable: ${mode.fix}` };
  }
  if (r.what === 'inventory' && mode.shebang) {
    return { code: 'HST_FILE_NOT_EXECUTABLE', message: `inventory '${r.path}' starts with #! but is not executable, so Ansible would read it as a host list instead of running it`, hint: `make it executable: ${mode.fix}` };
  }
  return null;
}

function duplicatePolicies(policies: LoadedDoc<Policy | Schedule>[], what: 'policy' | 'schedule' = 'policy'): Diagnostic[] {
  const seen = new Map<string, LoadedDoc<Policy | Schedule>>();
  const found: Diagnostic[] = [];
  for (const policy of policies) {
    const name = policy.value?.metadata?.name;
    if (typeof name !== 'string') continue;
    const first = seen.get(name);
    if (!first) {
      seen.set(name, policy);
      continue;
    }
    const firstLine = first.placeOf('/metadata/name')?.line ?? first.line;
    const code = what === 'policy' ? 'HST_POLICY_DUPLICATE' : 'HST_SCHEDULE_DUPLICATE';
    found.push(diagnostic(policy, '/metadata/name', code, `${what} name '${name}' is already used at ${first.file}:${firstLine}`, `${what} names are unique in the repository: rename one`));
  }
  return found;
}

/** A group is read from an inventory: the schedule's own, or Settings' default. */
function groupsWithoutInventory(schedules: LoadedDoc<Schedule>[], settings: LoadedDoc<Settings> | null): Diagnostic[] {
  if (settings?.value?.spec?.defaults?.ansible?.inventory) return [];
  return schedules
    .filter((s) => typeof s.value?.spec?.targets?.group === 'string' && s.value.spec.targets.inventory === undefined)
    .map((s) => diagnostic(s, '/spec/targets', 'HST_SCHEDULE_NO_INVENTORY', `targets group '${s.value.spec.targets.group}' names no inventory to read it from`, 'add `inventory: PATH` to targets, or set defaults.ansible.inventory in homeostat.yaml'));
}

function duplicateSettings(settings: LoadedDoc<Settings>[]): Diagnostic[] {
  return settings.slice(1).map((s) =>
    diagnostic(s, '', 'HST_SETTINGS_DUPLICATE', `a second Settings document (the first is at ${settings[0]!.file}:${settings[0]!.line})`, 'keep one Settings document, in homeostat.yaml'),
  );
}

/** A receiver written as a private address: the engine would refuse it unless allowlisted. */
function privateUrlWarnings(policies: LoadedDoc<Policy>[], settings: LoadedDoc<Settings> | null): Diagnostic[] {
  const allowHosts = settings?.value?.spec?.outbound?.allowHosts ?? [];
  return policies.flatMap((doc) =>
    privateUrls(doc.value, allowHosts).map(({ pointer, written, range }) =>
      diagnostic(doc, pointer, 'HST_URL_PRIVATE', `'${written}' is ${range}: the engine refuses to connect there`, `if this receiver is meant, add its host to spec.outbound.allowHosts in homeostat.yaml`, 'warning'),
    ),
  );
}

/**
 * Test cases must name payload files that exist, and policies and actions that exist. A policy
 * whose YAML is broken (`broken`, by name) has its own diagnostic; its actions are not known.
 */
function testReferences(tests: LoadedDoc<PolicyTest>[], policies: LoadedDoc<Policy>[], input: RepositoryInput, broken: ReadonlySet<string>): Diagnostic[] {
  const actions = new Map<string, Set<string>>();
  for (const p of policies) {
    const names = [...(p.value?.spec?.actions ?? []), ...(p.value?.spec?.onResolved ?? [])].map((a) => a?.name);
    if (typeof p.value?.metadata?.name === 'string') actions.set(p.value.metadata.name, new Set(names));
  }
  const found: Diagnostic[] = [];
  for (const test of tests) {
    const cases = Array.isArray(test.value?.spec?.cases) ? test.value.spec.cases : [];
    cases.forEach((c, i) => {
      if (typeof c?.alerts === 'string') {
        const path = resolveTestPath(test.file, c.alerts);
        if (path === null || !input.exists(path)) {
          found.push(diagnostic(test, `/spec/cases/${i}/alerts`, 'HST_TEST_ALERTS_MISSING', `payload file '${c.alerts}' does not exist in the repository`, 'give a path relative to this test file, inside the repository'));
        }
      }
      (Array.isArray(c?.expect) ? c.expect : []).forEach((e, j) => {
        const known = actions.get(e?.policy);
        if ((known && known.has(e?.action)) || broken.has(e?.policy)) return;
        found.push(diagnostic(
          test, `/spec/cases/${i}/expect/${j}/${known ? 'action' : 'policy'}`, 'HST_TEST_UNKNOWN_POLICY',
          known ? `policy '${e.policy}' has no action '${e.action}'` : `no policy named '${e?.policy}'`,
          known ? `its actions: ${[...known].join(', ')}` : 'name a policy of this repository',
        ));
      });
    });
  }
  return found;
}

/** A test's payload path, relative to the repository root; null when it leaves the repository. */
export function resolveTestPath(testFile: string, relativePath: string): string | null {
  const path = posix.normalize(posix.join(posix.dirname(testFile), relativePath));
  return path.startsWith('../') || posix.isAbsolute(path) ? null : path;
}
