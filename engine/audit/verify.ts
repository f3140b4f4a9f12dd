/**
 * `homeostat audit verify`: every entry the journal holds is in the audit repository with the
 * same content, and every file of the repository is a valid entry where it belongs. Contents
 * are compared by blob id (the id git would give the expected content), so the journal side
 * needs no read of the repository beyond one ls-tree.
 */
import { blobId } from '../git/git.js';
import { validate } from '../schema/validator.js';
import { entryPath, isEntryId } from './entry.js';
import type { AuditRecord } from './entries.js';
import type { AuditRepo } from './repo.js';

export interface ExpectedEntry {
  id: string;
  /** serializeEntry(entry) of the entry's latest journal record. */
  content: string;
}

export type VerifyCode = 'missing' | 'differs' | 'unreadable' | 'invalid' | 'misplaced';

export interface VerifyProblem {
  code: VerifyCode;
  id: string;
  path: string;
  message: string;
}

export interface VerifyReport {
  /** Entry files at the head. */
  files: number;
  /** Journal entries compared. */
  expected: number;
  problems: VerifyProblem[];
}

/** Checks the branch head against the journal's entries (the last content per id wins). */
export async function verifyAudit(repo: AuditRepo, expected: readonly ExpectedEntry[], rev?: string): Promise<VerifyReport> {
  const listed = await repo.list(rev);
  const problems: VerifyProblem[] = [];
  const byPath = new Map(listed.map((e) => [e.path, e]));
  const latest = new Map(expected.map((e) => [e.id, e.content]));
  for (const [id, content] of latest) {
    const path = entryPath(id);
    const file = byPath.get(path);
    if (!file) problems.push({ code: 'missing', id, path, message: 'in the journal, not in the audit repository' });
    else if (file.blob !== blobId(content)) problems.push({ code: 'differs', id, path, message: 'the audit repository holds another content than the journal' });
  }
  for await (const record of repo.entries({}, rev === undefined ? {} : { rev })) problems.push(...checkFile(record));
  return { files: listed.length, expected: latest.size, problems };
}

function checkFile(record: AuditRecord): VerifyProblem[] {
  const at = { id: record.id, path: record.path };
  if (!isEntryId(record.id) || entryPath(record.id) !== record.path) {
    return [{ code: 'misplaced', ...at, message: 'not named actions/YYYY/MM/DD/<id>.json after a valid entry id' }];
  }
  if (!record.entry) return [{ code: 'unreadable', ...at, message: record.error ?? 'unreadable' }];
  const problems: VerifyProblem[] = validate('AuditEntry', record.entry).map((p) => ({
    code: 'invalid' as const,
    ...at,
    message: `${p.pointer || '/'}: ${p.message}`,
  }));
  if (record.entry.id !== record.id) problems.push({ code: 'misplaced', ...at, message: `the file holds entry ${String(record.entry.id)}` });
  return problems;
}
