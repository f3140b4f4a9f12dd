/**
 * homeostat.yaml's protected target patterns: a glob ('db-*', 'web-?') or `{ regex }`, both
 * run on RE2 (engine/regex/re2.ts), anchored, so a target from an alert never makes a pattern
 * backtrack. A glob knows two wildcards: `*` (any run of characters, dots and slashes too)
 * and `?` (one character); every other character stands for itself.
 */
import { checkRegex, fullMatch } from '../regex/re2.js';

export type TargetPatternSpec = string | { regex: string };

export interface TargetPattern {
  /** As written: the glob, or `regex:` and the pattern. */
  written: string;
  regex: string;
}

export function compileTargetPattern(spec: TargetPatternSpec): TargetPattern {
  if (typeof spec !== 'string') return { written: `regex ${spec.regex}`, regex: `(?s)${spec.regex}` };
  // (?s): a wildcard matches a newline too, so a hostile target cannot slip past with one.
  const regex = `(?s)${[...spec].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : escape(c))).join('')}`;
  return { written: spec, regex };
}

/** Why the pattern cannot run, or null. Globs always compile. */
export function targetPatternError(spec: TargetPatternSpec): ReturnType<typeof checkRegex> {
  return typeof spec === 'string' ? null : checkRegex(spec.regex);
}

/** The first pattern the name matches, or null. */
export function matchingPattern(patterns: readonly TargetPattern[], name: string): TargetPattern | null {
  return patterns.find((p) => fullMatch(p.regex, name)) ?? null;
}

function escape(c: string): string {
  return /[\\^$.|+()[\]{}]/.test(c) ? `\\${c}` : c;
}
