/** The slack action: post to an incoming webhook held in a secret. */
import type { ActionType, RunContext, RunResult } from '../types.js';
import { SCHEMA_ID_BASE } from '../../schema/validator.js';
import { deliver, notSent } from '../deliver.js';
import { noticeOf } from '../notice.js';
import { describeRef, SecretError, SecretReader } from '../secrets.js';
import type { SecretRef } from '../secrets.js';
import { slackMessage } from './blocks.js';

export const slack: ActionType = {
  type: 'slack',
  disruptive: false,
  schemaId: `${SCHEMA_ID_BASE}actions/slack.schema.json`,
  literalFields: [],
  files: [],
  describe(rendered, _target, dryRun) {
    return `post to Slack: ${String(rendered.text)}${dryRun ? ' (dry run: not sent)' : ''}`;
  },
  example: { webhook: { env: 'SLACK_WEBHOOK_URL' }, text: '{{ labels.alertname }} on {{ target }}' },
  run: runSlack,
};

async function runSlack(context: RunContext): Promise<RunResult> {
  const ref = context.params.webhook as SecretRef;
  const reader = new SecretReader();
  let url = '';
  if (!context.dryRun) {
    try {
      url = reader.read(ref);
    } catch (error) {
      if (error instanceof SecretError) return notSent(error.message);
      throw error;
    }
  }
  const body = JSON.stringify(slackMessage(String(context.params.text), noticeOf(context)));
  // The webhook URL is the secret: the audit names where it was read from instead.
  return deliver(context, { method: 'POST', url, shownUrl: `(${describeRef(ref)})`, headers: { 'content-type': 'application/json' }, body }, reader.values);
}
