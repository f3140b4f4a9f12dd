/**
 * The audit entry: one JSON file per action or engine event, at actions/YYYY/MM/DD/<id>.json
 * in the audit repository (schemas/audit-entry.schema.json). Ids sort by time.
 */
import { randomFillSync } from 'node:crypto';
import type { AuditEntry } from '../generated/schema-types.js';

export type { AuditEntry };
export type Outcome = NonNullable<AuditEntry['outcome']>;

const ID_PATTERN = /^(\d{4})(\d{2})(\d{2})T\d{9}Z-[0-9a-f]{8}$/;

// Random suffixes are drawn from a pool: one system call per 1,024 ids, not one per id.
const pool = Buffer.alloc(4096);
let poolAt = pool.length;
let lastNow = NaN;
let lastStamp = '';

export function newEntryId(now: number): string {
  if (now !== lastNow) {
    lastStamp = new Date(now).toISOString().replace(/[-:]/g, '').replace('.', ''); // 20261121T101500123Z
    lastNow = now;
  }
  if (poolAt + 4 > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  poolAt += 4;
  return `${lastStamp}-${pool.toString('hex', poolAt - 4, poolAt)}`;
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

/** How many actions an entry stands for: a 'refusals' entry, each one it lists. */
export function actionsOf(entry: AuditEntry): number {
  return entry.kind === 'refusals' ? (entry.refusals?.length ?? 1) : 1;
}
