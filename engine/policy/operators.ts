/**
 * The operators of `when` conditions as plain functions, by name. json-rules-engine decides
 * with its own built-ins and the custom ones registered here (evaluate.ts); the compiled
 * predicates (conditions.ts) call these same functions, so both decide alike.
 *
 * The built-ins are json-rules-engine 7.3's (dist/engine-default-operators.js), written out:
 * a validator of the fact's value, then the comparison. They are not exported by the package;
 * the differential test (test/unit/policy/compiled-conditions.test.ts) holds these copies to
 * the engine's own on every operator.
 */
import { fullMatch } from '../regex/re2.js';
import type { BUILTIN_OPERATORS, CUSTOM_OPERATORS } from './facts.js';

export type OperatorFn = (fact: unknown, value: unknown) => boolean;

type Indexed = { indexOf(item: unknown): number };

/** json-rules-engine's numberValidator: the fact reads as a number (parseFloat). */
function numeric(fact: unknown): boolean {
  return Number.parseFloat(fact as string).toString() !== 'NaN';
}

const BUILTIN: Record<(typeof BUILTIN_OPERATORS)[number], OperatorFn> = {
  equal: (a, b) => a === b,
  notEqual: (a, b) => a !== b,
  in: (a, b) => (b as Indexed).indexOf(a) > -1,
  notIn: (a, b) => (b as Indexed).indexOf(a) === -1,
  contains: (a, b) => Array.isArray(a) && a.indexOf(b) > -1,
  doesNotContain: (a, b) => Array.isArray(a) && a.indexOf(b) === -1,
  lessThan: (a, b) => numeric(a) && (a as number) < (b as number),
  lessThanInclusive: (a, b) => numeric(a) && (a as number) <= (b as number),
  greaterThan: (a, b) => numeric(a) && (a as number) > (b as number),
  greaterThanInclusive: (a, b) => numeric(a) && (a as number) >= (b as number),
};

/** homeostat's own: regexes on RE2 (anchored), and whether a value is there at all. */
export const CUSTOM: Record<(typeof CUSTOM_OPERATORS)[number], OperatorFn> = {
  regex: (fact, value) => typeof value === 'string' && fullMatch(value, fact == null ? '' : String(fact)),
  notRegex: (fact, value) => typeof value === 'string' && !fullMatch(value, fact == null ? '' : String(fact)),
  exists: (fact, value) => (fact !== undefined && fact !== null && fact !== '') === value,
};

/** Every operator a condition may name; a Map, so that no name reaches a prototype. */
export const OPERATOR_FNS: ReadonlyMap<string, OperatorFn> = new Map(Object.entries({ ...BUILTIN, ...CUSTOM }));
