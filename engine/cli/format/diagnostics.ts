import type { Diagnostic } from '../../diagnostics/diagnostic.js';

export function diagnosticText(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.col} ${d.severity} ${d.code} ${d.message}\n    hint: ${d.hint}${d.pointer ? ` (at ${d.pointer})` : ''}`;
}

/** A GitHub Actions workflow command; its properties and message are escaped as the runner expects. */
export function githubAnnotation(level: 'error' | 'warning', props: Record<string, string | number>, message: string): string {
  const prop = (v: string) => v.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/:/g, '%3A').replace(/,/g, '%2C');
  const data = (v: string) => v.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  const list = Object.entries(props).map(([k, v]) => `${k}=${prop(String(v))}`).join(',');
  return `::${level} ${list}::${data(message)}`;
}
