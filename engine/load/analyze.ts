/**
 * The work of loading that is local to one file: parse (hostile YAML refused), validate each
 * document against its schema, run the semantic checks, and note the few places that the
 * assembling step needs. The result is plain data, so it can come from a worker thread, and
 * the YAML documents are dropped as soon as a file is done.
 *
 * Two parsers, one truth. The exact path parses with `yaml`, which keeps every node's
 * position and refuses hostile input; every diagnostic comes from it. Most policy files are
 * plain and valid, so a file is first tried on js-yaml (about three times faster): only a
 * single-document policy file without anchors, tags, merge keys, directives or the number
 * forms on which the two parsers' core schemas differ, that validates and checks clean,
 * is taken from that path. Anything else is analysed again on the exact path.
 */
import { CORE_SCHEMA, loadAll } from 'js-yaml';
import type { Diagnostic, Problem } from '../diagnostics/diagnostic.js';
import { checkPolicy, checkSettings } from '../policy/checks.js';
import type { Reference } from '../policy/checks.js';
import { ACTION_TYPES } from '../actions/registry.js';
import { privateUrls } from './private-urls.js';
import { validate } from '../schema/validator.js';
import { checkSchedule } from '../schedule/checks.js';
import { MAX_FILE_BYTES, parseYamlFile, placeProblem } from './yaml-source.js';
import type { SourceDoc } from './yaml-source.js';

export interface RepoFile {
  /** Relative to the repository root, with '/' separators. */
  path: string;
  text: string;
}

export interface Place {
  line: number;
  col: number;
}

export type Kind = 'Policy' | 'PolicyTest' | 'Settings' | 'Schedule';

export interface AnalyzedDoc {
  kind: Kind;
  value: unknown;
  file: string;
  /** The line the document starts on. */
  line: number;
  /** Places the assembling step may report at, by JSON pointer. */
  places: Record<string, Place>;
  /** Files the document names, placed; the repository says whether they exist. */
  references: (Reference & Place)[];
  /** False when it came from the fast path: no places; ask analyzeExact for them. */
  exact: boolean;
  /**
   * A policy whose YAML is broken (a syntax error): only its name is known, kept so that the
   * names across files are still checked; it is neither validated nor compiled.
   */
  partial?: true;
}

export interface FileAnalysis {
  diagnostics: Diagnostic[];
  docs: AnalyzedDoc[];
}

const KINDS: ReadonlySet<string> = new Set<Kind>(['Policy', 'PolicyTest', 'Settings', 'Schedule']);

/** An unknown key on an action is most likely a misspelt action type: say so. */
const ACTION_KEY = /^\/spec\/(actions|onResolved)\/\d+(\/notify\/\d+)*\/[^/]+$/;

function renameActionTypeProblem(problem: Problem): Problem {
  if (problem.code !== 'HST_SCHEMA_UNKNOWN_FIELD' || !ACTION_KEY.test(problem.pointer)) return problem;
  const key = problem.pointer.split('/').pop();
  return { ...problem, code: 'HST_ACTION_UNKNOWN_TYPE', message: `unknown action type '${key}'`, hint: `use one of ${[...ACTION_TYPES.keys()].join(', ')}` };
}

/** Schema, then the semantic checks of its kind: the same on both paths. */
function documentProblems(kind: Kind, value: unknown, refer: (r: Reference) => void): Problem[] {
  const problems = validate(kind, value).map(renameActionTypeProblem);
  if (kind === 'Policy') problems.push(...checkPolicy(value, refer));
  if (kind === 'Settings') problems.push(...checkSettings(value, refer));
  if (kind === 'Schedule') problems.push(...checkSchedule(value, refer));
  return problems;
}

function place(source: SourceDoc, pointer: string, key = false): Place {
  const { line, col } = placeProblem(source, { pointer, code: 'HST_SCHEMA', message: '', hint: '', key });
  return { line, col };
}

/**
 * Pointers the assembling step reports at: a policy's name and its private receiver URLs, a
 * test's cases and expectations.
 */
function placesOf(kind: Kind, value: unknown, source: SourceDoc): Record<string, Place> {
  if (kind === 'Policy') {
    const places: Record<string, Place> = { '/metadata/name': place(source, '/metadata/name') };
    // Whether homeostat.yaml allowlists them is known once every file is read: all are placed.
    for (const { pointer } of privateUrls(value, [])) places[pointer] = place(source, pointer, true);
    return places;
  }
  if (kind === 'Schedule') return { '/metadata/name': place(source, '/metadata/name'), '/spec/targets': place(source, '/spec/targets'), '/spec/targets/group': place(source, '/spec/targets/group') };
  if (kind !== 'PolicyTest') return {};
  const places: Record<string, Place> = {};
  const cases = (value as { spec?: { cases?: unknown } })?.spec?.cases;
  if (!Array.isArray(cases)) return places;
  cases.forEach((c: { expect?: unknown }, i) => {
    for (const pointer of [`/spec/cases/${i}`, `/spec/cases/${i}/alerts`]) places[pointer] = place(source, pointer);
    if (!Array.isArray(c?.expect)) return;
    c.expect.forEach((_, j) => {
      for (const field of ['policy', 'action']) {
        const pointer = `/spec/cases/${i}/expect/${j}/${field}`;
        places[pointer] = place(source, pointer);
      }
    });
  });
  return places;
}

export function analyzeFile(file: RepoFile): FileAnalysis {
  return analyzeFast(file) ?? analyzeExact(file);
}

/** What the fast parser could read differently: anchors, tags, merge keys, directives, tabs, 0b… numbers. */
const NOT_FOR_THE_FAST_PATH = /&|<<|0b[01]|(^|[\s[{,:])!|^%|\t/m;

/** The file from js-yaml, when it is plain, valid and clean; null sends it to the exact path. */
export function analyzeFast(file: RepoFile): FileAnalysis | null {
  if (/\.test\.ya?ml$/.test(file.path) || file.text.length > MAX_FILE_BYTES / 4 || NOT_FOR_THE_FAST_PATH.test(file.text)) return null;
  let docs: unknown[];
  try {
    docs = loadAll(file.text, undefined, { schema: CORE_SCHEMA });
  } catch {
    return null;
  }
  if (docs.length !== 1) return null;
  const value = docs[0] as { kind?: unknown } | null;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  if (value.kind !== 'Policy' && value.kind !== 'Settings') return null;
  const references: Reference[] = [];
  if (documentProblems(value.kind, value, (r) => references.push(r)).length) return null;
  return {
    diagnostics: [],
    docs: [{ kind: value.kind, value, file: file.path, line: firstContentLine(file.text), places: {}, references: references.map((r) => ({ ...r, line: 0, col: 0 })), exact: false }],
  };
}

/** The line a single document's content starts on: past blank lines, comments and a '---'. */
function firstContentLine(text: string): number {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#') || /^---(\s|$)/.test(line)) continue;
    return i + 1;
  }
  return 1;
}

/** The file from `yaml`, with every position: the source of all diagnostics. */
export function analyzeExact(file: RepoFile): FileAnalysis {
  const parsed = parseYamlFile(file.path, file.text);
  const diagnostics = [...parsed.diagnostics];
  const docs: AnalyzedDoc[] = [];
  for (const source of parsed.docs) {
    const value = source.value as { kind?: unknown } | null;
    const kind = typeof value === 'object' && value !== null ? value.kind : undefined;
    if (source.partial) {
      const named = kind === 'Policy' && typeof (value as { metadata?: { name?: unknown } }).metadata?.name === 'string';
      if (named) docs.push({ kind: 'Policy', value, file: file.path, line: startLine(source), places: { '/metadata/name': place(source, '/metadata/name') }, references: [], exact: true, partial: true });
      continue;
    }
    if (typeof kind !== 'string' || !KINDS.has(kind)) {
      diagnostics.push(placeProblem(source, { pointer: typeof kind === 'string' ? '/kind' : '', code: 'HST_KIND_UNKNOWN', message: `document kind is ${JSON.stringify(kind ?? null)}`, hint: 'set kind to Policy, PolicyTest, Schedule or Settings' }));
      continue;
    }
    const references: Reference[] = [];
    for (const problem of documentProblems(kind as Kind, value, (r) => references.push(r))) diagnostics.push(placeProblem(source, problem));
    docs.push({
      kind: kind as Kind,
      value,
      file: file.path,
      line: startLine(source),
      // Where each named file is written too: `lint --inventory-check` reports there.
      places: { ...Object.fromEntries(references.map((r) => [r.pointer, place(source, r.pointer)])), ...placesOf(kind as Kind, value, source) },
      references: references.map((r) => ({ ...r, ...place(source, r.pointer) })),
      exact: true,
    });
  }
  return { diagnostics, docs };
}

function startLine(source: SourceDoc): number {
  return source.lines.linePos(source.doc.contents?.range?.[0] ?? 0).line;
}

