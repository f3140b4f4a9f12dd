/**
 * A Slack incoming-webhook message in Block Kit. The policy's text is mrkdwn with `&`, `<` and
 * `>` escaped (Slack's own rule), so a label cannot add a link or an @channel; the facts are
 * plain_text fields; the link to the audit entry is a button whose URL the engine built.
 */
import type { Notice } from '../notice.js';
import { stormLine } from '../notice.js';

/** Slack's limits: a section's text 3000 characters, a field 2000, ten fields. */
const TEXT_MAX = 3000;
const FIELD_MAX = 2000;

export function slackMessage(text: string, notice: Notice): Record<string, unknown> {
  const escaped = cut(escapeMrkdwn(text), TEXT_MAX);
  const fields = (notice.storm ? [['Storm', stormLine(notice.storm)]] : [
    [notice.kind === 'alert' ? 'Alert' : 'Routine job', `${notice.alert.alertname} (${notice.alert.status})`],
    ['Policy', notice.policy],
    ['Action', notice.action],
    ['Target', notice.target],
    ...(notice.outcome ? [['Outcome', outcomeText(notice.outcome)]] : []),
  ]).map(([name, value]) => ({ type: 'plain_text', text: cut(`${name}: ${value}`, FIELD_MAX), emoji: false }));
  const blocks: Record<string, unknown>[] = [
    { type: 'section', text: { type: 'mrkdwn', text: escaped } },
    { type: 'section', fields },
  ];
  if (notice.link !== null) {
    blocks.push({ type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Audit entry' }, url: notice.link }] });
  }
  return { text: escaped, blocks };
}

export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function outcomeText(outcome: NonNullable<Notice['outcome']>): string {
  const took = outcome.duration === '' ? '' : ` in ${outcome.duration}`;
  const why = outcome.status === 'succeeded' || outcome.reason === '' ? '' : `: ${outcome.reason}`;
  return `${outcome.status}${took}${why}`;
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
