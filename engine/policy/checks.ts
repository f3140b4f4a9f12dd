/**
 * Semantic checks beyond the schema, as small functions over the document as written.
 * They read defensively: a document with schema errors is still checked for everything else.
 */
import type { Problem } from '../diagnostics/diagnostic.js';
import { pointerOf } from '../diagnostics/diagnostic.js';
import { ACTION_TYPES, actionTypeOf } from '../actions/registry.js';
import { checkRegex } from '../regex/re2.js';
import { compileTemplate, hasTemplateSyntax } from '../template/template.js';
import { NOTIFY_TEMPLATE_ROOTS, SCHEDULE_ROOTS, STORM_ROOTS, TEMPLATE_ROOTS } from '../template/liquid.js';
import type { TemplateRoot } from '../template/liquid.js';
import { FACTS, OPERATORS, PLAIN_PATH } from './facts.js';
import { windowProblems } from './window.js';
import { disruptsNodeProblems, nodeSettingsProblems } from './node-checks.js';
import { checkEnrichList, enrichNames, enrichmentRefProblems, prometheusParamProblems } from './enrich-checks.js';

/** A file a document names; whether it exists is asked of the repository afterwards. */
export interface Reference {
  pointer: string;
  path: string;
  what: string;
}

export type Refer = (reference: Reference) => void;

type Obj = Record<string, unknown>;
type Path = (string | number)[];

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const TARGET_ROOTS = TEMPLATE_ROOTS.filter((r) => r !== 'target');

export function checkPolicy(doc: unknown, refer: Refer): Problem[] {
  if (!isObj(doc) || !isObj(doc.spec)) return [];
  const spec = doc.spec;
  const names = enrichNames(spec.enrich);
  return [
    ...checkMatch(spec.match),
    ...checkEnrichList(spec.enrich),
    ...checkWhen(spec.when, ['spec', 'when'], names),
    ...checkTemplate(spec.target, ['spec', 'target'], TARGET_ROOTS, names),
    ...checkActionLists(spec, refer, names),
    ...windowProblems(isObj(spec.guards) ? spec.guards.window : undefined, ['spec', 'guards', 'window']),
  ];
}

/** Settings name files too (the default inventory, minHealthy's inventory), and selectors and patterns; the storm breaker's notification is an action. */
export function checkSettings(doc: unknown, refer: Refer): Problem[] {
  if (!isObj(doc) || !isObj(doc.spec)) return [];
  const spec = doc.spec;
  const problems = [...nodeSettingsProblems(spec, refer), ...checkStormBreaker(spec.stormBreaker, refer)];
  if (!isObj(spec.defaults) || !isObj(spec.defaults.ansible)) return problems;
  const inventory = spec.defaults.ansible.inventory;
  if (typeof inventory !== 'string') return problems;
  return [...problems, ...checkFile(inventory, 'inventory', ['spec', 'defaults', 'ansible', 'inventory'], refer)];
}

/** A threshold to count, and one notification of one type whose templates see `storm`. */
function checkStormBreaker(breaker: unknown, refer: Refer): Problem[] {
  if (!isObj(breaker)) return [];
  const path = ['spec', 'stormBreaker'];
  const problems: Problem[] = [];
  if (breaker.alerts === undefined && breaker.targets === undefined) {
    problems.push({ pointer: pointerOf(path), code: 'HST_STORM_BREAKER_THRESHOLD', message: 'the storm breaker counts nothing: it has neither alerts nor targets', hint: 'give alerts (distinct alerts within per), targets (distinct targets within per), or both' });
  }
  if (isObj(breaker.notify)) problems.push(...checkAction(breaker.notify, [...path, 'notify'], refer, new Set(), STORM_ROOTS));
  return problems;
}

export function checkFile(file: string, what: string, path: Path, refer: Refer): Problem[] {
  const at = pointerOf(path);
  if (file.startsWith('/') || file.split('/').includes('..')) {
    return [{ pointer: at, code: 'HST_PATH_OUTSIDE_REPO', message: `${what} '${file}' is outside the policy repository`, hint: 'give a path relative to the repository root, without ..' }];
  }
  refer({ pointer: at, path: file, what });
  return [];
}

function checkMatch(match: unknown): Problem[] {
  if (!isObj(match)) return [];
  const problems: Problem[] = [];
  for (const [label, matcher] of Object.entries(match)) {
    if (!isObj(matcher)) continue;
    for (const op of ['regex', 'notRegex'] as const) {
      if (typeof matcher[op] === 'string') problems.push(...checkPattern(matcher[op], ['spec', 'match', label, op]));
    }
  }
  return problems;
}

export function checkPattern(pattern: string, path: Path): Problem[] {
  const error = checkRegex(pattern);
  if (!error) return [];
  return [
    error.unsafe
      ? { pointer: pointerOf(path), code: 'HST_REGEX_UNSAFE', message: `regex '${pattern}' needs backtracking: ${error.message}`, hint: 'rewrite it without backreferences or lookarounds; patterns run on RE2 (linear time)' }
      : { pointer: pointerOf(path), code: 'HST_REGEX_SYNTAX', message: `regex '${pattern}' does not parse: ${error.message}`, hint: 'fix the pattern (RE2 syntax); it is anchored at both ends' },
  ];
}

function checkWhen(node: unknown, path: Path, names: ReadonlySet<string>): Problem[] {
  if (node === undefined) return [];
  if (!isObj(node)) return [];
  const here = pointerOf(path);
  for (const group of ['all', 'any'] as const) {
    if (group in node) return Array.isArray(node[group]) ? node[group].flatMap((child, i) => checkWhen(child, [...path, group, i], names)) : [];
  }
  if ('not' in node) return checkWhen(node.not, [...path, 'not'], names);
  if (!('fact' in node) || !('operator' in node) || !('value' in node)) {
    const lacking = ['fact', 'operator', 'value'].filter((k) => !(k in node));
    return [{ pointer: here, code: 'HST_WHEN_SHAPE', message: `condition is neither all/any/not nor {fact, operator, value} (no ${lacking.join(', ')})`, hint: 'write `all: [...]`, `any: [...]`, `not: {...}` or `{fact, operator, value}`' }];
  }
  const problems: Problem[] = [];
  const { fact, operator } = node;
  if (typeof fact === 'string' && !(fact in FACTS)) {
    problems.push({ pointer: pointerOf([...path, 'fact']), code: 'HST_WHEN_UNKNOWN_FACT', message: `unknown fact '${fact}'`, hint: `use one of ${Object.keys(FACTS).join(', ')}` });
  }
  if (typeof operator === 'string' && !OPERATORS.has(operator)) {
    problems.push({ pointer: pointerOf([...path, 'operator']), code: 'HST_WHEN_UNKNOWN_OPERATOR', message: `unknown operator '${operator}'`, hint: `use one of ${[...OPERATORS].join(', ')}` });
  }
  if (typeof node.path === 'string' && !PLAIN_PATH.test(node.path)) {
    problems.push({ pointer: pointerOf([...path, 'path']), code: 'HST_WHEN_PATH', message: `path ${JSON.stringify(node.path)} is not a plain dotted path`, hint: 'write a path such as `severity` or `commonLabels.team`, without $, [ ] or wildcards' });
  }
  if ((operator === 'regex' || operator === 'notRegex') && typeof node.value === 'string') {
    problems.push(...checkPattern(node.value, [...path, 'value']));
  }
  if (isObj(node.value) && typeof node.value.fact === 'string' && !(node.value.fact in FACTS)) {
    problems.push({ pointer: pointerOf([...path, 'value', 'fact']), code: 'HST_WHEN_UNKNOWN_FACT', message: `unknown fact '${node.value.fact}'`, hint: `use one of ${Object.keys(FACTS).join(', ')}` });
  }
  if (fact === 'prometheus') problems.push(...prometheusParamProblems(node.params, path, names));
  return problems;
}

function checkTemplate(value: unknown, path: Path, roots: readonly TemplateRoot[], names: ReadonlySet<string>): Problem[] {
  if (typeof value !== 'string') return [];
  const problems: Problem[] = compileTemplate(value, roots).problems.map((p) => ({ pointer: pointerOf(path), ...p }));
  return problems.length ? problems : enrichmentRefProblems(value, path, names);
}

/** The checks of a spec's actions (names, types, files, templates over `roots`; `enrichment`: the names a policy's enrich: gives). */
export function checkActionLists(spec: Obj, refer: Refer, enrichment: ReadonlySet<string>, roots: readonly TemplateRoot[] = TEMPLATE_ROOTS): Problem[] {
  const problems: Problem[] = [];
  const names = new Map<string, string>();
  forEachAction(spec, (action, at) => {
    if (typeof action.name === 'string' && at.length === 3) {
      const first = names.get(action.name);
      if (first) problems.push({ pointer: pointerOf([...at, 'name']), code: 'HST_ACTION_DUPLICATE', message: `action name '${action.name}' is used twice in this ${String(spec.cron === undefined ? 'policy' : 'schedule')}`, hint: `rename one; the first is at ${first}` });
      else names.set(action.name, pointerOf(at));
    }
    problems.push(...checkAction(action, at, refer, enrichment, roots), ...checkNotifyPlace(action, at));
  });
  return problems;
}

/** How deep in `notify` lists an action stands: 0 for one of actions or onResolved. */
function notifyDepth(path: Path): number {
  return path.filter((p) => p === 'notify').length;
}

/**
 * A notify action runs after its parent, unguarded: it tells, it does not act, so it is of a
 * type that changes no system; it has no notify of its own; and only it has `on`.
 */
function checkNotifyPlace(action: Obj, path: Path): Problem[] {
  const depth = notifyDepth(path);
  const problems: Problem[] = [];
  if (depth === 0 && action.on !== undefined) {
    problems.push({ pointer: pointerOf([...path, 'on']), code: 'HST_NOTIFY_MISPLACED', message: "'on' belongs to a notify action: it filters the outcomes of the parent that it runs after", hint: 'move this action under the notify list of the action whose outcome it reports, or remove on' });
  }
  if (depth >= 2) {
    problems.push({ pointer: pointerOf(path), code: 'HST_NOTIFY_MISPLACED', message: 'a notify action has a notify list of its own', hint: 'list every notification under the action whose outcome it reports; a notify action runs once, after its parent' });
  }
  const types = actionTypeOf(action);
  if (depth >= 1 && types.length === 1 && ACTION_TYPES.get(types[0]!)!.disruptive) {
    problems.push({ pointer: pointerOf([...path, types[0]!]), code: 'HST_NOTIFY_DISRUPTIVE', message: `a notify action is of type ${types[0]}, which changes a system`, hint: 'notify runs after its parent without guards: use http, slack, pagerduty or email there, and put remediations in actions' });
  }
  return problems;
}

/**
 * Every action of a policy's spec as written, with its path: each of `actions` followed by its
 * `notify` actions, then the same for `onResolved`. Entries that are not mappings are skipped.
 */
export function forEachAction(spec: unknown, visit: (action: Obj, path: Path) => void): void {
  if (!isObj(spec)) return;
  const walk = (list: unknown, path: Path) => {
    if (!Array.isArray(list)) return;
    list.forEach((action, i) => {
      if (!isObj(action)) return;
      visit(action, [...path, i]);
      walk(action.notify, [...path, i, 'notify']);
    });
  };
  walk(spec.actions, ['spec', 'actions']);
  walk(spec.onResolved, ['spec', 'onResolved']);
}

const ACTION_FIELDS = new Set(['name', 'timeout', 'dryRun', 'disruptsNode', 'notify', 'on']);

function checkAction(action: Obj, path: Path, refer: Refer, names: ReadonlySet<string>, roots: readonly TemplateRoot[]): Problem[] {
  const types = actionTypeOf(action);
  const unknown = Object.keys(action).filter((k) => !ACTION_FIELDS.has(k) && !ACTION_TYPES.has(k));
  if (types.length !== 1) {
    if (unknown.length) return []; // the schema reports the unknown key as an unknown action type
    return [{ pointer: pointerOf(path), code: 'HST_ACTION_TYPE_COUNT', message: types.length ? `action has ${types.length} types (${types.join(', ')})` : 'action has no type', hint: `give it exactly one of ${[...ACTION_TYPES.keys()].join(', ')}` }];
  }
  const type = ACTION_TYPES.get(types[0]!)!;
  const params = action[type.type];
  if (!isObj(params)) return [];
  const problems: Problem[] = [];
  for (const ref of type.files) {
    const file = params[ref.field];
    if (typeof file === 'string') problems.push(...checkFile(file, ref.what, [...path, type.type, ref.field], refer));
  }
  if (type.type === 'http' && typeof params.url === 'string' && hasTemplateSyntax(params.url)) {
    problems.push({ pointer: pointerOf([...path, 'http', 'url']), code: 'HST_TEMPLATE_IN_URL', message: `the URL '${params.url}' is a template`, hint: 'write the URL out in the policy; alert values may go in the body' });
  }
  problems.push(...disruptsNodeProblems(action, type.type, path));
  // A notify sub-action also sees its parent's outcome; the storm breaker's notify has no parent.
  const rootsHere = notifyDepth(path) > 0 && roots !== STORM_ROOTS ? [...roots, ...NOTIFY_TEMPLATE_ROOTS.slice(TEMPLATE_ROOTS.length)] : roots;
  forEachTemplate(params, type.literalFields, (value, at) => problems.push(...checkTemplate(value, [...path, type.type, ...at], rootsHere, names)));
  return problems;
}

/** Calls back for every string parameter that is rendered (not literal, not a secret reference). */
export function forEachTemplate(params: Obj, literal: readonly string[], visit: (value: string, at: Path) => void): void {
  const walk = (value: unknown, at: Path) => {
    if (typeof value === 'string') visit(value, at);
    else if (Array.isArray(value)) value.forEach((v, i) => walk(v, [...at, i]));
    else if (isObj(value) && !isSecretRef(value)) for (const [k, v] of Object.entries(value)) walk(v, [...at, k]);
  };
  for (const [key, value] of Object.entries(params)) if (!literal.includes(key)) walk(value, [key]);
}

function isSecretRef(value: Obj): boolean {
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'env' || keys[0] === 'file');
}
