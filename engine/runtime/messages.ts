/**
 * Commit messages of the audit repository: one line a person reads in `git log --oneline`,
 * and trailers a script reads (`git log --format=%(trailers)`).
 */
import type { AuditEntry } from '../audit/entry.js';
import { formatDuration } from '../util/duration.js';

export function entryMessage(entry: AuditEntry): { message: string; trailers: Record<string, string> } {
  const trailers: Record<string, string> = { 'Homeostat-Revision': entry.revision };
  if (entry.kind === 'event') {
    trailers['Homeostat-Event'] = entry.event!.name;
    return { message: oneLine(`${entry.event!.name}: ${entry.event!.message}`), trailers };
  }
  if (entry.kind === 'refusals') {
    Object.assign(trailers, { 'Homeostat-Guard': entry.guard!, 'Homeostat-Count': String(entry.count), 'Homeostat-Outcome': 'refused' });
    const policies = new Set(entry.refusals!.map((r) => r.policy));
    const across = policies.size === 1 ? `of ${[...policies][0]}` : `across ${policies.size} policies`;
    return { message: oneLine(`refused: ${entry.count} actions ${across} by ${entry.guard} — ${entry.reason}`), trailers };
  }
  if (entry.kind === 'run') return runMessage(entry, trailers);
  if (entry.storm) return stormMessage(entry, trailers);
  const what = `${entry.policy}/${entry.action} (${entry.type}) on ${entry.target ?? 'no target'}`;
  const alert = `${entry.alert!.alertname} ${entry.alert!.status} [${entry.alert!.fingerprint}]`;
  Object.assign(trailers, {
    'Homeostat-Policy': entry.policy!,
    'Homeostat-Target': entry.target ?? '',
    'Homeostat-Alert': entry.alert!.fingerprint,
    'Homeostat-Outcome': entry.outcome ?? 'pending',
  });
  return { message: oneLine(`${headline(entry)} ${what}, for ${alert}${tail(entry)}`), trailers };
}

/** `intent: schedule check-dns/check (ansible) on dns-1, run due 2026-12-03T03:00:00.000Z (cron)` */
function runMessage(entry: AuditEntry, trailers: Record<string, string>): { message: string; trailers: Record<string, string> } {
  const run = entry.schedule!;
  Object.assign(trailers, { 'Homeostat-Schedule': run.name, 'Homeostat-Run': run.runId, 'Homeostat-Target': entry.target ?? '', 'Homeostat-Outcome': entry.outcome ?? 'pending' });
  const head = entry.outcome === 'skipped' || entry.outcome === 'missed' ? `${entry.outcome}:` : headline(entry);
  const how = run.trigger === 'manual' ? `manual, by ${run.by ?? 'unknown'}` : 'cron';
  const reason = head === `${entry.outcome}:` ? ` — ${entry.reason ?? ''}`.replace(/ — (skipped|missed): /, ' — ') : tail(entry);
  return { message: oneLine(`${head} schedule ${run.name}/${entry.action} (${entry.type}) on ${entry.target ?? 'every target'}, run due ${run.due} (${how})${reason}`), trailers };
}

/** `intent: homeostat.yaml/storm-summary (slack), the storm breaker's summary of 408 alerts since 2026-…` */
function stormMessage(entry: AuditEntry, trailers: Record<string, string>): { message: string; trailers: Record<string, string> } {
  const storm = entry.storm!;
  Object.assign(trailers, { 'Homeostat-Policy': entry.policy!, 'Homeostat-Storm': storm.id, 'Homeostat-Outcome': entry.outcome ?? 'pending' });
  const counted = storm.trigger === 'alerts' ? `${storm.alerts} alerts` : `${storm.targets} targets`;
  return { message: oneLine(`${headline(entry)} ${entry.policy}/${entry.action} (${entry.type}), the storm breaker's summary of ${counted} since ${storm.since}${tail(entry)}`), trailers };
}

function headline(entry: AuditEntry): string {
  const dry = entry.verdict === 'dry-run' ? ' (dry run)' : '';
  switch (entry.outcome) {
    case null:
    case undefined:
      if (entry.verdict === 'awaiting-approval') return 'awaiting approval:';
      return entry.approval?.answer === 'approved' ? `approved by ${entry.approval.by}, intent${dry}:` : `intent${dry}:`;
    case 'timed_out':
      return `timed out${dry}:`;
    default:
      return `${entry.outcome}${dry}:`;
  }
}

/** An approval answered other than yes: its reason says by whom and why. */
const ANSWERED_NO = new Set(['denied', 'expired', 'cancelled']);

function tail(entry: AuditEntry): string {
  const run = entry.execution;
  const reason = entry.reason ? ` — ${entry.reason.replace(new RegExp(`^${entry.outcome ?? ''}:\\s*`), '')}` : '';
  if (entry.outcome === 'refused' || (entry.outcome === 'failed' && !run) || ANSWERED_NO.has(entry.outcome ?? '')) return reason;
  if (!run || entry.outcome === null) return '';
  const ran = run.exitCode !== null || run.signal !== null || (run.durationMs ?? 0) > 0;
  const took = ran && run.durationMs !== null ? ` in ${formatDuration(run.durationMs)}` : '';
  const code = run.exitCode !== null ? `, exit ${run.exitCode}` : run.signal ? `, ${run.signal}` : '';
  const saysOnlyTheCode = run.exitCode !== null && entry.reason === `exit code ${run.exitCode}`;
  return `${took}${code}${entry.outcome !== 'succeeded' && !saysOnlyTheCode ? reason : ''}`;
}

function oneLine(text: string): string {
  const flat = text.replace(/[\r\n]+/g, ' ');
  return flat.length > 200 ? `${flat.slice(0, 197)}...` : flat;
}
