/**
 * `homeostat audit log|show|verify`: read the audit repository of a data directory (the
 * engine may be running: nothing here writes). `verify` also reads the journal, read only.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isEntryId, serializeEntry } from '../../audit/entry.js';
import type { AuditEntry, Outcome } from '../../audit/entry.js';
import { readJournal } from '../../audit/journal.js';
import { AuditRepo, AuditRepoError } from '../../audit/repo.js';
import type { EntryFilter } from '../../audit/repo.js';
import { verifyAudit } from '../../audit/verify.js';
import { replay } from '../../runtime/recovery.js';
import { count } from '../../util/count.js';
import { EXIT, UserError } from '../errors.js';
import { escapeLines, line } from '../format/terminal.js';
import type { Io } from '../io.js';

/**
 * What `audit log --outcome` takes: every outcome of the schema, and 'pending' for none yet. A
 * map, so that an outcome added to the schema does not compile until it is offered here.
 */
const OUTCOME_FILTER: Record<Outcome | 'pending', true> = { succeeded: true, failed: true, timed_out: true, interrupted: true, refused: true, denied: true, expired: true, cancelled: true, skipped: true, missed: true, pending: true };
export const OUTCOME_FILTERS: readonly string[] = Object.keys(OUTCOME_FILTER);

export interface AuditOptions {
  dataDir: string;
  branch: string;
  format: string;
}

async function openExisting(o: AuditOptions, io: Io): Promise<AuditRepo> {
  const dir = join(resolve(io.cwd, o.dataDir), 'audit');
  if (!existsSync(join(dir, 'HEAD'))) throw new UserError(`${join(o.dataDir, 'audit')}: no audit repository here; give the engine's --data-dir (default ./.homeostat)`);
  // Read only: an engine may be committing to this repository right now.
  return AuditRepo.openReadOnly({ dir, branch: o.branch }).catch((error: unknown) => {
    if (error instanceof AuditRepoError) throw new UserError(`${error.message}; give the engine's --data-dir and audit --branch`);
    throw error;
  });
}

export async function auditLogCommand(o: AuditOptions & { policy?: string; target?: string; outcome?: string; since?: string; limit: string }, io: Io): Promise<number> {
  const since = o.since === undefined ? undefined : new Date(o.since);
  if (since && Number.isNaN(since.getTime())) throw new UserError(`--since ${o.since}: not a date; give an ISO 8601 time such as 2026-11-21 or 2026-11-21T09:00:00Z`);
  const limit = Number.parseInt(o.limit, 10);
  if (!(limit > 0)) throw new UserError(`--limit ${o.limit}: give a positive number`);
  const filter: EntryFilter = { kind: ['action', 'refusals'], policy: o.policy, target: o.target, outcome: o.outcome, since };
  const repo = await openExisting(o, io);
  const entries: AuditEntry[] = [];
  for await (const record of repo.entries(filter, { newestFirst: true, limit })) if (record.entry) entries.push(record.entry);
  if (o.format === 'json') {
    io.stdout(`${JSON.stringify({ entries }, null, 2)}\n`);
    return EXIT.ok;
  }
  for (const e of entries) {
    if (e.kind === 'refusals') {
      io.stdout(line`${e.id}  ${'refused'.padEnd(11)} ${count(e.count ?? 0, 'action')} by ${e.guard}  ${e.reason}\n`);
      continue;
    }
    const outcome = e.outcome ?? (e.verdict === 'awaiting-approval' ? 'awaiting' : 'pending');
    const about = e.storm ? line`storm breaker summary: ${count(e.storm.alerts, 'alert')}, ${count(e.storm.targets, 'target')} since ${e.storm.since}` : line`on ${e.target ?? '-'}  ${e.alert?.alertname ?? ''} [${e.alert?.fingerprint ?? ''}]`;
    io.stdout(line`${e.id}  ${outcome.padEnd(11)} ${e.policy}/${e.action} ` + about + (e.reason ? line`  ${e.reason}` : '') + '\n');
  }
  if (entries.length === 0) io.stdout('no audit entries match\n');
  return EXIT.ok;
}

export async function auditShowCommand(id: string, o: AuditOptions, io: Io): Promise<number> {
  if (!isEntryId(id)) throw new UserError(`${id}: not an audit entry id (they read like 20261121T101500123Z-1a2b3c4d); list them with \`homeostat audit log\``, 1);
  const repo = await openExisting(o, io);
  const content = await repo.read(id);
  if (content === null) throw new UserError(`${id}: no such audit entry; list them with \`homeostat audit log\``, 1);
  const commits = await repo.log({ id });
  if (o.format === 'json') {
    io.stdout(`${JSON.stringify({ entry: JSON.parse(content), commits: commits.map((c) => ({ sha: c.sha, date: c.date, subject: c.subject })) }, null, 2)}\n`);
    return EXIT.ok;
  }
  io.stdout(escapeLines(content));
  for (const c of commits) io.stdout(line`${c.sha.slice(0, 12)} ${c.date} ${c.subject}\n`);
  return EXIT.ok;
}

export async function auditVerifyCommand(o: AuditOptions, io: Io): Promise<number> {
  const repo = await openExisting(o, io);
  const state = replay(readJournal(join(resolve(io.cwd, o.dataDir), 'journal')));
  const expected = [...state.latest.values()].map((r) => ({ id: r.entry.id, content: serializeEntry(r.entry) }));
  const report = await verifyAudit(repo, expected);
  if (o.format === 'json') io.stdout(`${JSON.stringify({ ok: report.problems.length === 0, ...report }, null, 2)}\n`);
  else {
    for (const p of report.problems) io.stdout(line`${p.path}: ${p.code}: ${p.message}\n`);
    const verdict = report.problems.length === 0 ? 'ok' : count(report.problems.length, 'problem');
    io.stdout(`${verdict}: ${count(report.files, 'entry file')}, ${count(report.expected, 'journal entry', 'journal entries')} compared\n`);
  }
  return report.problems.length === 0 ? EXIT.ok : EXIT.problems;
}
