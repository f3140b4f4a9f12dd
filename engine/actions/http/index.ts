/** The http action: call an endpoint whose URL is written in the policy. */
import type { ActionType } from '../types.js';
import { SCHEMA_ID_BASE } from '../../schema/validator.js';

export const http: ActionType = {
  type: 'http',
  disruptive: false,
  schemaId: `${SCHEMA_ID_BASE}actions/http.schema.json`,
  literalFields: ['url', 'method'],
  files: [],
  describe(rendered) {
    return `${String(rendered.method ?? 'POST')} ${String(rendered.url)} (not sent)`;
  },
  example: { url: 'https://hooks.internal.example/heal', method: 'POST', body: '{{ labels.alertname }} on {{ target }}' },
};
