/**
 * The e-mail's addresses, subject and body from the rendered parameters. An address comes out
 * of a template and may hold a label's value, so each must be exactly one plain address: a
 * label cannot add a recipient with a comma, nor a header with a line break.
 */
import type { Notice } from '../notice.js';
import { stormLine } from '../notice.js';

const ADDRESS = /^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;

export class MessageError extends Error {}

export interface Message {
  from: string;
  to: string[];
  subject: string;
  text: string;
}

export function messageOf(params: Record<string, unknown>, notice: Notice): Message {
  const to = (Array.isArray(params.to) ? params.to : [params.to]).map((a) => address(a, 'to'));
  return {
    from: address(params.from, 'from'),
    to,
    // A subject is one line: a line break from a label would start a header of its own.
    subject: String(params.subject).replace(/[\r\n]+/g, ' ').trim(),
    text: params.body === undefined ? defaultBody(notice) : String(params.body),
  };
}

function address(value: unknown, field: string): string {
  const text = String(value).trim();
  if (!ADDRESS.test(text)) throw new MessageError(`${field}: '${text.slice(0, 120)}' is not one e-mail address (name@domain); each entry of 'to' renders to exactly one`);
  return text;
}

function defaultBody(notice: Notice): string {
  if (notice.storm) return `Storm breaker open: ${stormLine(notice.storm)}\n${notice.link ? `\nAudit entry: ${notice.link}\n` : ''}`;
  const lines = [
    notice.kind === 'alert' ? `Alert: ${notice.alert.alertname} (${notice.alert.status}), fingerprint ${notice.alert.fingerprint}` : `Routine job: ${notice.alert.alertname} (${notice.alert.status} ${notice.alert.fingerprint})`,
    `Policy: ${notice.policy}`,
    `Action: ${notice.action}`,
    `Target: ${notice.target}`,
  ];
  if (notice.outcome) {
    const o = notice.outcome;
    lines.push(`Outcome: ${o.status}${o.duration ? ` in ${o.duration}` : ''}${o.reason ? `: ${o.reason}` : ''}`);
    if (o.output) lines.push('', 'Output (tail):', o.output);
  }
  if (notice.link) lines.push('', `Audit entry: ${notice.link}`);
  return `${lines.join('\n')}\n`;
}
