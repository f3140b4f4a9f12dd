/**
 * Policy regexes run on RE2 semantics (re2js): matching time is linear in the input, so a
 * label can never make a pattern backtrack. Patterns are anchored, as Alertmanager's are.
 */
import { RE2JS } from 're2js';

export interface RegexError {
  unsafe: boolean;
  message: string;
}

const cache = new Map<string, RE2JS>();

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

function compileAnchored(pattern: string): RE2JS {
  let compiled = cache.get(pattern);
  if (!compiled) {
    compiled = RE2JS.compile(pattern);
    cache.set(pattern, compiled);
  }
  return compiled;
}

/** Whether the whole value matches (RE2's full match); a pattern that does not compile matches nothing. */
export function fullMatch(pattern: string, value: string): boolean {
  try {
    return compileAnchored(pattern).matches(value);
  } catch {
    return false;
  }
}
