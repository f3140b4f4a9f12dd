/**
 * The message of an audit commit, and reading it back. A commit of one write says that
 * write's line; a commit of several says how many and what kind, then one body line per
 * write. The trailers come in one group per write, each opening with `Homeostat-Entry: <id>`,
 * so a script (or `log()`) can tell which trailer belongs to which entry.
 */
import { count } from '../util/count.js';

export type WriteKind = 'intent' | 'outcome' | 'event';

export interface AuditWrite {
  /** The entry id: the file is entryPath(id). */
  id: string;
  /** What the write records, for the summary of a batch commit (counted as 'other' when absent). */
  kind?: WriteKind;
  /**
   * serializeEntry(entry), or its bytes in parts: a storm's 'refusals' entry (3.4 MB) is
   * encoded a part at a time, never made one string (journal-text.ts says why).
   */
  content: string | readonly Buffer[];
  /** One readable line. */
  message: string;
  trailers?: Record<string, string>;
}

export interface EntryTrailers {
  id: string;
  trailers: Record<string, string>;
}

export const ENTRY_TRAILER = 'Homeostat-Entry';
const TRAILER_KEY = /^[A-Za-z0-9][A-Za-z0-9-]*$/;

export function commitMessage(writes: readonly AuditWrite[]): string {
  const trailers = writes.map(trailerGroup).join('');
  if (writes.length === 1) return `${oneLine(writes[0]!.message)}\n\n${trailers}`;
  const body = writes.map((w) => `- ${oneLine(w.message)}\n`).join('');
  return `${summary(writes)}\n\n${body}\n${trailers}`;
}

function trailerGroup(write: AuditWrite): string {
  let out = `${ENTRY_TRAILER}: ${write.id}\n`;
  for (const [key, value] of Object.entries(write.trailers ?? {})) {
    if (!TRAILER_KEY.test(key) || key === ENTRY_TRAILER) throw new Error(`not a usable trailer name: ${JSON.stringify(key)}`);
    out += `${key}: ${oneLine(value)}\n`;
  }
  return out;
}

// Control characters too: line breaks would end the trailer block, and readLog separates
// fields and commits with \x1f and \x1e.
function oneLine(text: string): string {
  return text.replace(/[\x00-\x1f\x7f]+/g, ' ').trim();
}

// `audit: 12 entries (9 intents, 3 outcomes)`: the message and trailers are the caller's to word.
function summary(writes: readonly AuditWrite[]): string {
  const counts = { intent: 0, outcome: 0, event: 0, other: 0 };
  for (const w of writes) counts[w.kind ?? 'other']++;
  const parts = [
    plural(counts.intent, 'intent'),
    plural(counts.outcome, 'outcome'),
    plural(counts.event, 'event'),
    plural(counts.other, 'other'),
  ].filter(Boolean);
  return `audit: ${writes.length} entries (${parts.join(', ')})`;
}

/** The kind of write an entry makes: an event, an action's intent (no outcome yet), or its outcome. */
export function writeKind(entry: { kind: string; outcome?: unknown }): WriteKind {
  if (entry.kind === 'event') return 'event';
  return entry.outcome === null || entry.outcome === undefined ? 'intent' : 'outcome';
}

function plural(n: number, word: string): string {
  return n === 0 ? '' : count(n, word);
}

/** The trailer groups of a commit message, in order; a commit homeostat did not write has none. */
export function readTrailers(message: string): EntryTrailers[] {
  const paragraphs = message.trimEnd().split(/\n\s*\n/);
  const last = paragraphs.at(-1) ?? '';
  if (paragraphs.length < 2) return [];
  const groups: EntryTrailers[] = [];
  for (const line of last.split('\n')) {
    const m = /^([A-Za-z0-9][A-Za-z0-9-]*): ?(.*)$/.exec(line);
    if (!m) return [];
    const [, key, value] = m as unknown as [string, string, string];
    if (key === ENTRY_TRAILER) groups.push({ id: value.trim(), trailers: {} });
    else if (groups.length) groups.at(-1)!.trailers[key] = value;
  }
  return groups;
}

/** The first line of a message. */
export function subjectOf(message: string): string {
  return message.split('\n', 1)[0] ?? '';
}
