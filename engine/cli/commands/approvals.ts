/**
 * `homeostat approvals`, `homeostat approve ID --reason TEXT` and `homeostat deny ID --reason
 * TEXT`: a running engine's pending approvals, answered through its API (GET
 * /api/v1/approvals, POST /api/v1/approvals/:id/approve|deny) with an admin token, whose name
 * the audit records as who answered. Exit 1 when the engine refuses the answer (already
 * answered, expired, refused by a guard), 2 when it cannot be asked.
 */
import type { ApprovalView } from '../../approvals/approval.js';
import { EXIT, UserError } from '../errors.js';
import { line } from '../format/terminal.js';
import type { Io } from '../io.js';
import { ask } from './runs.js';
import type { EngineFlags } from './runs.js';

export async function approvalsCommand(flags: EngineFlags & { all?: boolean }, io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const body = await ask(flags, io, `/api/v1/approvals?state=${flags.all ? 'all' : 'pending'}`, { method: 'GET' }, env);
  if (flags.format === 'json') {
    io.stdout(JSON.stringify(body, null, 2) + '\n');
    return EXIT.ok;
  }
  const approvals = (body.approvals ?? []) as ApprovalView[];
  for (const a of approvals) io.stdout(approvalText(a));
  if (approvals.length === 0) io.stdout(flags.all ? 'no approvals in the last 7 days\n' : 'no pending approvals\n');
  return EXIT.ok;
}

export async function answerCommand(what: 'approve' | 'deny', id: string, flags: EngineFlags & { reason: string }, io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (!flags.reason.trim()) throw new UserError(`${what}: --reason TEXT says why, for the audit; it may not be empty`);
  const body = await ask(flags, io, `/api/v1/approvals/${encodeURIComponent(id)}/${what}`, { method: 'POST', body: { reason: flags.reason } }, env);
  if (flags.format === 'json') {
    io.stdout(JSON.stringify(body, null, 2) + '\n');
    return EXIT.ok;
  }
  const a = body.approval as ApprovalView;
  const entry = body.entry as { verdict?: string; description?: string | null };
  const runs = what === 'approve' ? line`; it runs now${entry.verdict === 'dry-run' ? ' in dry-run' : ''}: ${entry.description ?? ''}` : '; it does not run';
  io.stdout(line`${a.state} ${a.id} (${a.policy}/${a.action} on ${a.target ?? '-'}) by ${a.answer?.by ?? '?'}: ${a.answer?.reason ?? ''}` + `${runs}\n`);
  return EXIT.ok;
}

function approvalText(a: ApprovalView): string {
  const head = line`${a.id}  ${a.state.padEnd(9)} ${a.policy}/${a.action}${a.type ? ` (${a.type})` : ''} on ${a.target ?? '-'}  ${a.alert.alertname} [${a.alert.fingerprint}]`;
  if (a.answer) return head + line`\n    ${a.state} by ${a.answer.by} at ${a.answer.at}: ${a.answer.reason}\n`;
  return head + line`\n    requested ${a.requestedAt}, expires ${a.expiresAt}${a.description ? `: ${a.description}` : ''}\n`;
}
