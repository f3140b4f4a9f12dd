/**
 * The text of an entry, made a slice at a time. A 'refusals' entry of a storm lists thousands
 * of refused actions (2.3 MB of JSON, 3.4 MB indented): one JSON.stringify of it would hold
 * the event loop, and each string that large is a V8 large object, freed only by a full
 * collection (the audit of one storm made some 500 MB of them). Here its list is serialized
 * STRINGIFY_SLICE items between two turns of the event loop, in parts of PART_ITEMS items
 * (tens of KB: young objects, cheap to collect), into exactly the text JSON.stringify gives
 * (compact for the journal, two-space indented for the audit file), encoded part by part and
 * never joined: the journal (journal.ts) and git (fast-import.ts) are given the parts.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { AuditEntry } from './entry.js';

/** Refused actions serialized between two turns of the event loop (about 5 ms). */
export const STRINGIFY_SLICE = 2_000;
/** Refused actions per part: under 128 KB of text indented, so not a large object. */
export const PART_ITEMS = 100;

/** Stands for the list in the entry's own text; no serialized value can contain it (see below). */
const MARK = '\u0000refusals\u0000';

/**
 * JSON.stringify(entry) (or JSON.stringify(entry, null, 2) when `pretty`) as UTF-8, in slices:
 * the bytes are the concatenation of the parts, which are left apart. Each part is encoded as
 * soon as it is made: its text dies young, never promoted to the old generation while the rest
 * of the entry is made.
 */
export async function encodeEntryParts(entry: AuditEntry, pretty: boolean): Promise<Buffer[]> {
  const take = (part: string) => Buffer.from(part, 'utf8');
  const items = entry.kind === 'refusals' ? (entry.refusals ?? []) : [];
  const indent = pretty ? 2 : undefined;
  if (items.length <= PART_ITEMS) return [take(JSON.stringify(entry, null, indent))];
  // The list keeps its place among the keys. Inside a serialized string a quote is always
  // escaped, so the quoted mark below occurs once: where the list goes.
  const shell = JSON.stringify({ ...entry, refusals: MARK }, null, indent);
  const quoted = JSON.stringify(MARK);
  const at = shell.lastIndexOf(quoted);
  const parts = [take(`${shell.slice(0, at)}[${pretty ? '\n' : ''}`)];
  for (let i = 0; i < items.length; i += PART_ITEMS) {
    if (i > 0 && i % STRINGIFY_SLICE === 0) await nextTurn();
    const slice = items.slice(i, i + PART_ITEMS);
    const comma = i > 0 ? (pretty ? ',\n' : ',') : '';
    // An item of the list stands two levels deep: each of its lines gets four more spaces.
    parts.push(take(comma + (pretty ? slice.map((item) => `    ${JSON.stringify(item, null, 2).replaceAll('\n', '\n    ')}`).join(',\n') : slice.map((item) => JSON.stringify(item)).join(','))));
  }
  parts.push(take(`${pretty ? '\n  ' : ''}]${shell.slice(at + quoted.length)}`));
  return parts;
}
