/** The pagerduty action: an Events API v2 event, routing key held in a secret. */
import type { ActionType } from '../types.js';
import { SCHEMA_ID_BASE } from '../../schema/validator.js';

export const pagerduty: ActionType = {
  type: 'pagerduty',
  disruptive: false,
  schemaId: `${SCHEMA_ID_BASE}actions/pagerduty.schema.json`,
  literalFields: ['severity', 'eventAction'],
  files: [],
  describe(rendered) {
    return `PagerDuty ${String(rendered.eventAction ?? 'trigger')} (${String(rendered.severity ?? 'critical')}): ${String(rendered.summary)} (not sent)`;
  },
  example: { routingKey: { env: 'PAGERDUTY_ROUTING_KEY' }, severity: 'critical', summary: '{{ labels.alertname }} on {{ target }}' },
};
