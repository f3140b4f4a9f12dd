/**
 * Loads a policy repository from its files: parse (positions kept), validate against the
 * schemas, run the semantic checks, and — when nothing is wrong — compile the policy set.
 * Pure over the files it is given; reading them is the caller's business (disk, git).
 */
import { posix } from 'node:path';
import type { Diagnostic, Problem } from '../diagnostics/diagnostic.js';
import { compareDiagnostics } from '../diagnostics/diagnostic.js';
import type { Policy, PolicyTest, Settings } from '../generated/schema-types.js';
import { checkPolicy, checkSettings } from '../policy/checks.js';
import type { CheckContext } from '../policy/checks.js';
import { compilePolicy, resolveSettings } from '../policy/compile.js';
import { buildPolicySet } from '../policy/set.js';
import type { PolicySet } from '../policy/types.js';
import { validate } from '../schema/validator.js';
import type { SchemaName } from '../schema/validator.js';
import { parseYamlFile, placeProblem } from './yaml-source.js';
import type { SourceDoc } from './yaml-source.js';

export interface RepoFile {
  /** Relative to the repository root, with '/' separators. */
  path: string;
  text: string;
}

export interface RepositoryInput extends CheckContext {
  files: readonly RepoFile[];
  revision: string;
}

export interface LoadedDoc<T> {
  value: T;
  source: SourceDoc;
  line: number;
}

export interface LoadResult {
  diagnostics: Diagnostic[];
  /** Null when any error was found: a revision is used whole or not at all. */
  policySet: PolicySet | null;
  policies: LoadedDoc<Policy>[];
  tests: LoadedDoc<PolicyTest>[];
  settings: LoadedDoc<Settings> | null;
  files: number;
}

const KINDS = { Policy: 'Policy', PolicyTest: 'PolicyTest', Settings: 'Settings' } as const satisfies Record<string, SchemaName>;

export function loadRepository(input: RepositoryInput): LoadResult {
  const diagnostics: Diagnostic[] = [];
  const policies: LoadedDoc<Policy>[] = [];
  const tests: LoadedDoc<PolicyTest>[] = [];
  const settingsDocs: LoadedDoc<Settings>[] = [];
  const report = (source: SourceDoc, problems: Problem[]) => problems.forEach((p) => diagnostics.push(placeProblem(source, p)));

  for (const file of input.files) {
    const parsed = parseYamlFile(file.path, file.text);
    diagnostics.push(...parsed.diagnostics);
    for (const source of parsed.docs) {
      const value = source.value as { kind?: unknown } | null;
      const kind = typeof value === 'object' && value !== null ? value.kind : undefined;
      if (typeof kind !== 'string' || !(kind in KINDS)) {
        report(source, [{ pointer: typeof kind === 'string' ? '/kind' : '', code: 'HST_KIND_UNKNOWN', message: `document kind is ${JSON.stringify(kind ?? null)}`, hint: 'set kind to Policy, PolicyTest or Settings' }]);
        continue;
      }
      const problems = validate(kind as SchemaName, value).map(renameActionTypeProblem);
      if (kind === 'Policy') problems.push(...checkPolicy(value, input));
      if (kind === 'Settings') problems.push(...checkSettings(value, input));
      report(source, problems);
      const loaded = { value, source, line: source.lines.linePos(source.doc.contents?.range?.[0] ?? 0).line } as LoadedDoc<never>;
      if (kind === 'Policy') policies.push(loaded);
      else if (kind === 'PolicyTest') tests.push(loaded);
      else settingsDocs.push(loaded);
    }
  }

  diagnostics.push(...duplicatePolicies(policies), ...duplicateSettings(settingsDocs), ...testReferences(tests, policies, input));
  diagnostics.sort(compareDiagnostics);
  const settings = settingsDocs[0] ?? null;
  const errors = diagnostics.some((d) => d.severity === 'error');
  const policySet = errors
    ? null
    : buildPolicySet(
        policies.map((p) => compilePolicy(p.value, { file: p.source.file, line: p.line }, settings?.value.spec)),
        resolveSettings(settings?.value.spec),
        input.revision,
      );
  return { diagnostics, policySet, policies, tests, settings, files: input.files.length };
}

const ACTION_KEY = /^\/spec\/(actions|onResolved)\/\d+(\/notify\/\d+)*\/[^/]+$/;

/** An unknown key on an action is most likely a misspelt action type: say so. */
function renameActionTypeProblem(problem: Problem): Problem {
  if (problem.code !== 'HST_SCHEMA_UNKNOWN_FIELD' || !ACTION_KEY.test(problem.pointer)) return problem;
  const key = problem.pointer.split('/').pop();
  return { ...problem, code: 'HST_ACTION_UNKNOWN_TYPE', message: `unknown action type '${key}'`, hint: 'use one of ansible, script, kubernetes, http, slack, pagerduty' };
}

function duplicatePolicies(policies: LoadedDoc<Policy>[]): Diagnostic[] {
  const seen = new Map<string, LoadedDoc<Policy>>();
  const found: Diagnostic[] = [];
  for (const policy of policies) {
    const name = policy.value?.metadata?.name;
    if (typeof name !== 'string') continue;
    const first = seen.get(name);
    if (!first) {
      seen.set(name, policy);
      continue;
    }
    found.push(placeProblem(policy.source, {
      pointer: '/metadata/name', code: 'HST_POLICY_DUPLICATE',
      message: `policy name '${name}' is already used at ${first.source.file}:${placeProblem(first.source, { pointer: '/metadata/name', code: 'HST_POLICY_DUPLICATE', message: '', hint: '' }).line}`,
      hint: 'policy names are unique in the repository: rename one',
    }));
  }
  return found;
}

function duplicateSettings(settings: LoadedDoc<Settings>[]): Diagnostic[] {
  return settings.slice(1).map((s) => placeProblem(s.source, {
    pointer: '', code: 'HST_SETTINGS_DUPLICATE',
    message: `a second Settings document (the first is at ${settings[0]!.source.file}:${settings[0]!.line})`,
    hint: 'keep one Settings document, in homeostat.yaml',
  }));
}

/** Test cases must name payload files that exist, and policies and actions that exist. */
function testReferences(tests: LoadedDoc<PolicyTest>[], policies: LoadedDoc<Policy>[], ctx: CheckContext): Diagnostic[] {
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
        const path = resolveTestPath(test.source.file, c.alerts);
        if (path === null || !ctx.exists(path)) {
          found.push(placeProblem(test.source, { pointer: `/spec/cases/${i}/alerts`, code: 'HST_TEST_ALERTS_MISSING', message: `payload file '${c.alerts}' does not exist in the repository`, hint: 'give a path relative to this test file, inside the repository' }));
        }
      }
      (Array.isArray(c?.expect) ? c.expect : []).forEach((e, j) => {
        const known = actions.get(e?.policy);
        if (!known || !known.has(e?.action)) {
          found.push(placeProblem(test.source, {
            pointer: `/spec/cases/${i}/expect/${j}/${known ? 'action' : 'policy'}`, code: 'HST_TEST_UNKNOWN_POLICY',
            message: known ? `policy '${e.policy}' has no action '${e.action}'` : `no policy named '${e?.policy}'`,
            hint: known ? `its actions: ${[...known].join(', ')}` : 'name a policy of this repository',
          }));
        }
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
