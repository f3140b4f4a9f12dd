/**
 * Text output meets a terminal, and alert labels, reasons and file contents are hostile input:
 * an escape sequence in a label would recolour or rewrite the screen, a newline would print a
 * line that no entry wrote, a bidi override would show a name reversed. Every text formatter
 * writes values through here; JSON output is left to JSON.stringify.
 */

/**
 * C0 controls (tab and newline too), DEL, C1 controls, the bidi embeddings, overrides, isolates
 * and marks, and the Unicode line and paragraph separators.
 */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** JSON's escapes, so that a JSON document printed through here still parses to the same value. */
function escapeOne(char: string): string {
  return NAMED[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** A value made printable on one line: every control character written as an escape. */
export function escapeControl(value: string): string {
  return value.replace(CONTROL, escapeOne);
}

/** Text whose line breaks are its own (a JSON file, a list of lines): each line made printable. */
export function escapeLines(text: string): string {
  return text.split('\n').map(escapeControl).join('\n');
}

/**
 * A tagged template for a line of text output: the literal parts are the formatter's own (its
 * newlines and indents are kept), every interpolated value is escaped.
 */
export function line(parts: TemplateStringsArray, ...values: unknown[]): string {
  let out = parts[0]!;
  values.forEach((value, i) => {
    out += escapeControl(String(value)) + parts[i + 1]!;
  });
  return out;
}
