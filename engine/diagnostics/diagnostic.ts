import type { Code } from './codes.js';

export type Severity = 'error' | 'warning';

/** One problem, placed: what every loader, validator and check reports. */
export interface Diagnostic {
  file: string;
  line: number;
  col: number;
  pointer: string;
  code: Code;
  severity: Severity;
  message: string;
  hint: string;
}

/** A problem found in a document before it is placed on a line; `key` places it on the key. */
export interface Problem {
  pointer: string;
  code: Code;
  message: string;
  hint: string;
  key?: boolean;
  severity?: Severity;
}

export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  return a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.col - b.col;
}

export function pointerOf(segments: readonly (string | number)[]): string {
  return segments.map((s) => '/' + String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

export function segmentsOf(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}
