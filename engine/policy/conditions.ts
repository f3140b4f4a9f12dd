/**
 * A `when` condition tree compiled once, when its policy is compiled, into a plain synchronous
 * function over the alert's facts: no promise, no Almanac, no copy of the tree per run. It
 * decides as json-rules-engine decides the same tree (the reference: `explain` runs it, and
 * test/unit/policy/compiled-conditions.test.ts holds the two to the same result), quirks
 * included:
 * - a node with several of `any`, `all`, `not` is read as the first of them in that order;
 * - an empty `all` or `any` holds;
 * - facts are the alert's scope (labels, annotations, alert, group) and `prometheus` (the
 *   policy's enrichment, when it has any); any other name reads as undefined;
 * - `path` is followed only on an object; a `value` of the form {fact, params, path} is read
 *   like the left-hand side.
 * json-rules-engine evaluates every condition of a tree (it runs siblings with Promise.all),
 * so one that throws rejects the run whatever the others say. A tree with a condition that can
 * throw (a numeric comparison or a regex with what may be a label map, which converts to no
 * string or number; `in` over what may have no indexOf) is compiled without short-circuit, so
 * that it throws where json-rules-engine does; any other tree stops at the first deciding
 * condition.
 *
 * A tree it cannot decide alike (an operator it does not know, a condition reference, a
 * priority) compiles to null, and that policy's `when` stays on json-rules-engine.
 */
import { isLabelMap } from '../alerts/labels.js';
import type { EnrichmentResult } from './enrichment.js';
import { OPERATOR_FNS } from './operators.js';

/** What the facts are read from: scopeOf(alert) (evaluate.ts). */
export type Scope = Readonly<Record<string, unknown>>;
export type ConditionTest = (scope: Scope, enrichment: EnrichmentResult | null) => boolean;
type Read = (scope: Scope, enrichment: EnrichmentResult | null) => unknown;

const SCOPE_FACTS: ReadonlySet<string> = new Set(['labels', 'annotations', 'alert', 'group']);
/** The group's fields that are label maps. */
const GROUP_MAPS: ReadonlySet<string> = new Set(['groupLabels', 'commonLabels', 'commonAnnotations']);
const NUMERIC: ReadonlySet<string> = new Set(['lessThan', 'lessThanInclusive', 'greaterThan', 'greaterThanInclusive']);
const NUMERIC_OR_TEXT: ReadonlySet<string> = new Set([...NUMERIC, 'regex', 'notRegex']);

type Obj = Record<string, unknown>;

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null;
}

const pathCache = new Map<string, string[]>();

function segmentsOf(path: string): string[] {
  let segments = pathCache.get(path);
  if (!segments) {
    segments = path.split('.');
    pathCache.set(path, segments);
  }
  return segments;
}

/** Own properties only, plain dotted paths; an absent label reads as ''. */
export function resolvePath(value: object, path: string): unknown {
  return follow(value, segmentsOf(path));
}

function follow(value: unknown, segments: readonly string[]): unknown {
  let current = value;
  for (const segment of segments) {
    if (typeof current !== 'object' || current === null) return undefined;
    if (!Object.hasOwn(current, segment)) return isLabelMap(current) ? '' : undefined;
    current = (current as Obj)[segment];
  }
  return current;
}

/** The `prometheus` fact over values already fetched: params.name (an enrich entry) or params.query. */
export function prometheusValue(enrichment: EnrichmentResult, params: Obj): unknown {
  if (typeof params.query === 'string') return enrichment.bySource.get(params.query);
  if (typeof params.name === 'string') return enrichment.records.find((r) => r.name === params.name && !r.error)?.value;
  return undefined;
}

interface Compiled {
  test: ConditionTest;
  /** Whether it may throw on some alert: then no sibling may be skipped. */
  mayThrow: boolean;
}

/** A fact's value (and its path), as the Almanac reads it; null when that cannot be said here. */
function reader(fact: unknown, params: unknown, path: unknown): { read: Read; primitive: boolean } | null {
  if (path !== undefined && path !== '' && typeof path !== 'string') return null;
  const segments = typeof path === 'string' && path !== '' ? segmentsOf(path) : null;
  let read: Read;
  let primitive: boolean;
  if (fact === 'prometheus') {
    if (params !== undefined && !isObj(params)) return null;
    const p = (params ?? {}) as Obj;
    read = (_scope, enrichment) => (enrichment === null ? undefined : prometheusValue(enrichment, p));
    primitive = true; // numbers, strings, null
  } else if (typeof fact === 'string' && SCOPE_FACTS.has(fact)) {
    read = (scope) => scope[fact];
    // Label maps have no prototype: String() and parseFloat() of one throw.
    primitive = segments !== null && (fact !== 'group' || segments.length > 1 || !GROUP_MAPS.has(segments[0]!));
  } else {
    return { read: () => undefined, primitive: true };
  }
  if (segments === null) return { read, primitive };
  const whole = read;
  return {
    read: (scope, enrichment) => {
      const value = whole(scope, enrichment);
      return typeof value === 'object' && value !== null ? follow(value, segments) : value;
    },
    primitive,
  };
}

function isFactReference(value: unknown): value is Obj {
  return isObj(value) && Object.hasOwn(value, 'fact');
}

function compileLeaf(node: Obj): Compiled | null {
  if (Object.hasOwn(node, 'condition') || !Object.hasOwn(node, 'fact') || !Object.hasOwn(node, 'operator') || !Object.hasOwn(node, 'value')) return null;
  const name = node.operator;
  const operator = typeof name === 'string' ? OPERATOR_FNS.get(name) : undefined;
  const left = reader(node.fact, node.params, node.path);
  if (!operator || !left) return null;
  const value = node.value;
  if (isFactReference(value)) {
    const right = reader(value.fact, value.params, value.path);
    if (!right) return null;
    const l = left.read;
    const r = right.read;
    // A comparison converts both sides: a label map on the right throws too.
    const mayThrow = name === 'in' || name === 'notIn' || (NUMERIC_OR_TEXT.has(name as string) && !left.primitive) || (NUMERIC.has(name as string) && !right.primitive);
    return { test: (scope, enrichment) => operator(l(scope, enrichment), r(scope, enrichment)), mayThrow };
  }
  // An array's indexOf takes any fact; a string's converts it (as String() does).
  const indexable = Array.isArray(value) || (typeof value === 'string' && left.primitive);
  const textPattern = (name === 'regex' || name === 'notRegex') && typeof value !== 'string';
  const mayThrow = ((name === 'in' || name === 'notIn') && !indexable) || (NUMERIC_OR_TEXT.has(name as string) && !left.primitive && !textPattern);
  return { test: constantTest(name as string, operator, left.read, value), mayThrow };
}

/** The leaf against a constant value, with the common operators inlined. */
function constantTest(name: string, operator: (fact: unknown, value: unknown) => boolean, read: Read, value: unknown): ConditionTest {
  switch (name) {
    case 'equal': return (s, e) => read(s, e) === value;
    case 'notEqual': return (s, e) => read(s, e) !== value;
    case 'in':
    case 'notIn': {
      // Only strings: then Set membership is what indexOf says, for a fact of any type.
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) break;
      const set = new Set<unknown>(value);
      return name === 'in' ? (s, e) => set.has(read(s, e)) : (s, e) => !set.has(read(s, e));
    }
  }
  return (s, e) => operator(read(s, e), value);
}

function compileNode(node: unknown, eager: boolean): Compiled | null {
  if (!isObj(node) || Array.isArray(node) || Object.hasOwn(node, 'priority')) return null;
  const kind = Object.hasOwn(node, 'any') ? 'any' : Object.hasOwn(node, 'all') ? 'all' : Object.hasOwn(node, 'not') ? 'not' : null;
  if (kind === null) return compileLeaf(node);
  const inner = node[kind];
  if (kind === 'not') {
    if (Array.isArray(inner)) return null;
    const child = compileNode(inner, eager);
    if (!child) return null;
    const test = child.test;
    return { test: (s, e) => !test(s, e), mayThrow: child.mayThrow };
  }
  if (!Array.isArray(inner)) return null;
  const children: Compiled[] = [];
  for (const c of inner) {
    const compiled = compileNode(c, eager);
    if (!compiled) return null;
    children.push(compiled);
  }
  const mayThrow = children.some((c) => c.mayThrow);
  if (children.length === 0) return { test: () => true, mayThrow };
  if (children.length === 1) return children[0]!;
  const tests = children.map((c) => c.test);
  return { test: kind === 'all' ? allOf(tests, eager) : anyOf(tests, eager), mayThrow };
}

function allOf(tests: readonly ConditionTest[], eager: boolean): ConditionTest {
  if (eager) {
    return (s, e) => {
      let holds = true;
      for (const t of tests) if (!t(s, e)) holds = false;
      return holds;
    };
  }
  if (tests.length === 2) {
    const [a, b] = tests as [ConditionTest, ConditionTest];
    return (s, e) => a(s, e) && b(s, e);
  }
  return (s, e) => {
    for (const t of tests) if (!t(s, e)) return false;
    return true;
  };
}

function anyOf(tests: readonly ConditionTest[], eager: boolean): ConditionTest {
  if (eager) {
    return (s, e) => {
      let holds = false;
      for (const t of tests) if (t(s, e)) holds = true;
      return holds;
    };
  }
  if (tests.length === 2) {
    const [a, b] = tests as [ConditionTest, ConditionTest];
    return (s, e) => a(s, e) || b(s, e);
  }
  return (s, e) => {
    for (const t of tests) if (t(s, e)) return true;
    return false;
  };
}

/**
 * The tree as a function that decides as json-rules-engine's rule `{ all: [tree] }` does, or
 * null when it cannot be compiled to decide alike.
 */
export function compileCondition(tree: unknown): ConditionTest | null {
  const lazy = compileNode(tree, false);
  if (!lazy) return null;
  return lazy.mayThrow ? compileNode(tree, true)!.test : lazy.test;
}
