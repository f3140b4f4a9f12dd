import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { escapeControl, line } from './terminal.js';

export function diagnosticText(d: Diagnostic): string {
  return line`${d.file}:${d.line}:${d.col} ${d.severity} ${d.code} ${d.message}\n    hint: ${d.hint}` + (d.pointer ? line` (at ${d.pointer})` : '');
}

/**
 * A GitHub Actions workflow command; its properties and message are escaped as the runner
 * expects. A message given as lines keeps those line breaks (%0A); control characters inside
 * them are escaped first, as everywhere: a log viewer is a terminal too.
 */
export function githubAnnotation(level: 'error' | 'warning', props: Record<string, string | number>, message: string | readonly string[]): string {
  const prop = (v: string) => escapeControl(v).replace(/%/g, '%25').replace(/:/g, '%3A').replace(/,/g, '%2C');
  const lines = typeof message === 'string' ? [message] : message;
  const data = lines.map((l) => escapeControl(l).replace(/%/g, '%25')).join('%0A');
  const list = Object.entries(props).map(([k, v]) => `${k}=${prop(String(v))}`).join(',');
  return `::${level} ${list}::${data}`;
}
