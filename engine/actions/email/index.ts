/** The email action: a plain-text message through an SMTP server written in the policy. */
import type { ActionType, RunContext, RunResult } from '../types.js';
import { SCHEMA_ID_BASE } from '../../schema/validator.js';
import { redact } from '../../exec/redact.js';
import { formatDuration } from '../../util/duration.js';
import { notSent } from '../deliver.js';
import { noticeOf } from '../notice.js';
import { SecretError, SecretReader } from '../secrets.js';
import type { SecretRef } from '../secrets.js';
import { MessageError, messageOf } from './message.js';
import { DEFAULT_PORTS, sendMail } from './smtp.js';
import type { SmtpServer } from './smtp.js';

export const email: ActionType = {
  type: 'email',
  disruptive: false,
  schemaId: `${SCHEMA_ID_BASE}actions/email.schema.json`,
  literalFields: ['smtp'],
  files: [],
  describe(rendered, _target, dryRun) {
    const to = Array.isArray(rendered.to) ? rendered.to.join(', ') : String(rendered.to);
    return `e-mail to ${to}: ${String(rendered.subject)}${dryRun ? ' (dry run: not sent)' : ''}`;
  },
  example: {
    smtp: { host: 'smtp.example.com', port: 587, auth: { user: 'homeostat', pass: { env: 'SMTP_PASSWORD' } } },
    from: 'homeostat@example.com',
    to: ['oncall@example.com'],
    subject: '{{ labels.alertname }} on {{ target }}',
  },
  run: runEmail,
};

type SmtpParams = { host: string; port?: number; security?: SmtpServer['security']; ca?: string; auth?: { user: string | SecretRef; pass: SecretRef } };

async function runEmail(context: RunContext): Promise<RunResult> {
  const smtp = context.params.smtp as SmtpParams;
  const security = smtp.security ?? 'starttls';
  const shownServer = { host: smtp.host, port: smtp.port ?? DEFAULT_PORTS[security], security };
  let message;
  try {
    message = messageOf(context.params, noticeOf(context));
  } catch (error) {
    if (error instanceof MessageError) return notSent(error.message, { smtp: shownServer });
    throw error;
  }
  if (context.dryRun) return { ...ended(0, 'not sent (dry run)'), outcome: 'succeeded', details: { sent: false, smtp: shownServer, message } };
  const reader = new SecretReader();
  let auth: SmtpServer['auth'] = null;
  try {
    if (smtp.auth) auth = { user: reader.text(smtp.auth.user), pass: reader.read(smtp.auth.pass) };
  } catch (error) {
    if (error instanceof SecretError) return notSent(error.message, { smtp: shownServer });
    throw error;
  }
  const secrets = [...context.secrets, ...reader.values];
  const started = Date.now();
  const result = await sendMail({ ...shownServer, ca: smtp.ca ?? null, auth }, message, {
    timeoutMs: context.timeoutMs, allowHosts: context.outbound?.allowHosts ?? [], signal: context.signal, secrets,
  });
  const shownMessage = JSON.parse(redact(JSON.stringify(message), secrets)) as typeof message;
  const details = { sent: result.ok, smtp: shownServer, message: shownMessage, attempts: result.attempts };
  const took = Date.now() - started;
  if (result.ok) return { ...ended(took, result.line), outcome: 'succeeded', details };
  if (result.aborted) return { ...ended(took, ''), outcome: 'interrupted', reason: 'interrupted: the engine was stopping', details };
  if (result.timedOut) return { ...ended(took, ''), outcome: 'timed_out', reason: `timed out after ${formatDuration(context.timeoutMs)}: ${result.line}`, details };
  const tries = result.attempts.length > 1 ? ` (after ${result.attempts.length} attempts)` : '';
  return { ...ended(took, ''), outcome: 'failed', reason: `SMTP ${smtp.host}:${shownServer.port}: ${result.line}${tries}`, details };
}

function ended(durationMs: number, output: string): Omit<RunResult, 'outcome'> {
  return { exitCode: null, signal: null, durationMs, pgid: null, command: [], output, outputTruncated: false, reason: null };
}
