/**
 * Which audit entries a reader asked for (`homeostat audit log --policy P --target T
 * --outcome O --since DATE`): pure checks on the entry files as they are at the head.
 */
import type { AuditEntry } from './entry.js';

export interface EntryFilter {
  policy?: string;
  target?: string;
  /** An outcome, or 'pending' for entries without one yet. */
  outcome?: string;
  /** One kind, or several. */
  kind?: AuditEntry['kind'] | readonly AuditEntry['kind'][];
  /** Entries created at or after this instant (their id says when). */
  since?: Date;
  /** Entries created before this instant. */
  until?: Date;
}

/** The id prefix of an instant: ids sort by time, so comparing ids compares creation times. */
export function idStamp(at: Date): string {
  return at.toISOString().replace(/[-:]/g, '').replace('.', '');
}

/** What can be decided from the id alone, before the file is read. */
export function idInRange(id: string, filter: EntryFilter): boolean {
  if (filter.since && id < idStamp(filter.since)) return false;
  if (filter.until && id >= idStamp(filter.until)) return false;
  return true;
}

export function entryMatches(entry: AuditEntry, filter: EntryFilter): boolean {
  if (filter.kind !== undefined && !(typeof filter.kind === 'string' ? [filter.kind] : filter.kind).includes(entry.kind)) return false;
  // A 'refusals' entry matches when one of the actions it lists does.
  const listed = entry.kind === 'refusals' ? (entry.refusals ?? []) : [entry];
  const wanted = (e: { policy?: string; target?: string | null }) =>
    (filter.policy === undefined || e.policy === filter.policy) && (filter.target === undefined || e.target === filter.target);
  if (!listed.some(wanted)) return false;
  if (filter.outcome !== undefined && (entry.outcome ?? 'pending') !== filter.outcome) return false;
  return true;
}

/** True when the filter needs the file's content, not only its id. */
export function needsContent(filter: EntryFilter): boolean {
  return filter.kind !== undefined || filter.policy !== undefined || filter.target !== undefined || filter.outcome !== undefined;
}
