/**
 * The audit entry: one JSON file per action or engine event, at actions/YYYY/MM/DD/<id>.json
 * in the audit repository (schemas/audit-entry.schema.json). Ids sort by time.
 */
import { randomBytes } from 'node:crypto';
import type { AuditEntry } from '../generated/schema-types.js';

export type { AuditEntry };
export type Outcome = NonNullable<AuditEntry['outcome']>;

const ID_PATTERN = /^(\d{4})(\d{2})(\d{2})T\d{9}Z-[0-9a-f]{8}$/;

export function newEntryId(now: number): string {
  const iso = new Date(now).toISOString(); // 2026-11-21T10:15:00.123Z
  const stamp = iso.replace(/[-:]/g, '').replace('.', '');
  return `${stamp}-${randomBytes(4).toString('hex')}`;
}

export function isEntryId(id: string): boolean {
  return ID_PATTERN.test(id);
}

/** Where an entry lives in the audit repository. */
export function entryPath(id: string): string {
  const m = ID_PATTERN.exec(id);
  if (!m) throw new Error(`not an audit entry id: ${id}`);
  return `actions/${m[1]}/${m[2]}/${m[3]}/${id}.json`;
}

/** The file's content: stable key order, two-space indent, trailing newline (diffs read well). */
export function serializeEntry(entry: AuditEntry): string {
  return `${JSON.stringify(entry, null, 2)}\n`;
}
