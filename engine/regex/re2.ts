/**
 * Policy regexes run on RE2 semantics (re2js): matching time is linear in the input, so a
 * label can never make a pattern backtrack. Patterns are anchored, as Alertmanager's are.
 *
 * Results are cached per (pattern, value): label values repeat heavily in a storm, and a
 * look-up costs some 20 ns where re2js costs 150–800 ns. The cache is bounded (entries in
 * all, and the length of a value kept), and emptied whole when full: hostile labels, all
 * different, cannot make it grow. re2js stays the engine: measured on Node 20 against short
 * label values, the other linear-time engines that install without a download are slower
 * (re2-wasm about 2.9 µs a match, V8's experimental linear engine, the `l` flag behind
 * --enable-experimental-regexp-engine, about 0.8 µs), and a JavaScript RegExp backtracks.
 */
import { RE2JS } from 're2js';

export interface RegexError {
  unsafe: boolean;
  message: string;
}

interface Pattern {
  re: RE2JS;
  /** value → whether it matches */
  results: Map<string, boolean>;
}

/** Results kept in all patterns' caches together. */
export const MAX_CACHED_RESULTS = 65_536;
/** Longer values are matched each time: they are rare, and would make the cache heavy. */
export const MAX_CACHED_VALUE_LENGTH = 256;

const patterns = new Map<string, Pattern>();
let cachedResults = 0;

/** Why a pattern cannot run, or null when it compiles. */
export function checkRegex(pattern: string): RegexError | null {
  try {
    compileAnchored(pattern);
    return null;
  } catch (error) {
    const message = (error as Error).message.replace(/^error parsing regexp: /, '');
    return { unsafe: isUnsupportedFeature(pattern, message), message };
  }
}

function isUnsupportedFeature(pattern: string, message: string): boolean {
  if (/Perl syntax/.test(message)) return true; // (?= (?! (?<= (?<!
  return /invalid escape sequence: `\\[1-9k]/.test(message) || /\\[1-9]/.test(pattern);
}

function compileAnchored(pattern: string): Pattern {
  let compiled = patterns.get(pattern);
  if (!compiled) {
    compiled = { re: RE2JS.compile(pattern), results: new Map() };
    patterns.set(pattern, compiled);
  }
  return compiled;
}

function emptyCaches(): void {
  for (const p of patterns.values()) p.results.clear();
  cachedResults = 0;
}

function cachedMatch(p: Pattern, value: string): boolean {
  if (value.length > MAX_CACHED_VALUE_LENGTH) return p.re.matches(value);
  const known = p.results.get(value);
  if (known !== undefined) return known;
  const result = p.re.matches(value);
  if (cachedResults >= MAX_CACHED_RESULTS) emptyCaches();
  p.results.set(value, result);
  cachedResults++;
  return result;
}

/** Whether the whole value matches (RE2's full match); a pattern that does not compile matches nothing. */
export function fullMatch(pattern: string, value: string): boolean {
  let p: Pattern;
  try {
    p = compileAnchored(pattern);
  } catch {
    return false;
  }
  return cachedMatch(p, value);
}

/** fullMatch of one pattern, compiled now: what a policy's matcher keeps. */
export function fullMatcher(pattern: string): (value: string) => boolean {
  let p: Pattern;
  try {
    p = compileAnchored(pattern);
  } catch {
    return () => false;
  }
  return (value) => cachedMatch(p, value);
}

/** fullMatch without the cache: what a value never seen before costs (benchmarks). */
export function fullMatchUncached(pattern: string, value: string): boolean {
  try {
    return compileAnchored(pattern).re.matches(value);
  } catch {
    return false;
  }
}

/** How many results the caches hold now (tests, benchmarks). */
export function cachedResultCount(): number {
  return cachedResults;
}
