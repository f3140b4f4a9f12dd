/** The slack action: post to an incoming webhook held in a secret. */
import type { ActionType } from '../types.js';
import { SCHEMA_ID_BASE } from '../../schema/validator.js';

export const slack: ActionType = {
  type: 'slack',
  disruptive: false,
  schemaId: `${SCHEMA_ID_BASE}actions/slack.schema.json`,
  literalFields: [],
  files: [],
  describe(rendered) {
    return `post to Slack: ${String(rendered.text)} (not sent)`;
  },
  example: { webhook: { env: 'SLACK_WEBHOOK_URL' }, text: '{{ labels.alertname }} on {{ target }}' },
};
