/**
 * The text of an entry, made a slice at a time. A 'refusals' entry of a storm lists hundreds
 * of thousands of refused actions (some 125 MB of JSON): one JSON.stringify of it would hold
 * the event loop for most of a second. Here its list is serialized STRINGIFY_SLICE items at a
 * time, with a turn of the event loop between slices, into exactly the text JSON.stringify
 * gives (compact for the journal, two-space indented for the audit file).
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { AuditEntry } from './entry.js';

/** Refused actions serialized between two turns of the event loop (about 5 ms). */
export const STRINGIFY_SLICE = 2_000;

/** Stands for the list in the entry's own text; no serialized value can contain it (see below). */
const MARK = '\u0000refusals\u0000';

/**
 * JSON.stringify(entry) (or JSON.stringify(entry, null, 2) when `pretty`), in slices: the text
 * is the concatenation of the parts, which are left apart (a storm's list is some 125 MB: one
 * string of it would be copied whole each time it is cut or prefixed).
 */
export async function stringifyEntryParts(entry: AuditEntry, pretty: boolean): Promise<string[]> {
  const items = entry.kind === 'refusals' ? (entry.refusals ?? []) : [];
  const indent = pretty ? 2 : undefined;
  if (items.length <= STRINGIFY_SLICE) return [JSON.stringify(entry, null, indent)];
  // The list keeps its place among the keys. Inside a serialized string a quote is always
  // escaped, so the quoted mark below occurs once: where the list goes.
  const shell = JSON.stringify({ ...entry, refusals: MARK }, null, indent);
  const quoted = JSON.stringify(MARK);
  const at = shell.lastIndexOf(quoted);
  const parts = [`${shell.slice(0, at)}[${pretty ? '\n' : ''}`];
  for (let i = 0; i < items.length; i += STRINGIFY_SLICE) {
    if (i > 0) await nextTurn();
    const slice = items.slice(i, i + STRINGIFY_SLICE);
    const comma = i > 0 ? (pretty ? ',\n' : ',') : '';
    // An item of the list stands two levels deep: each of its lines gets four more spaces.
    parts.push(comma + (pretty ? slice.map((item) => `    ${JSON.stringify(item, null, 2).replaceAll('\n', '\n    ')}`).join(',\n') : slice.map((item) => JSON.stringify(item)).join(',')));
  }
  parts.push(`${pretty ? '\n  ' : ''}]${shell.slice(at + quoted.length)}`);
  return parts;
}
