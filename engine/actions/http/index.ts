/** The http action: a JSON webhook whose URL is written in the policy. */
import type { ActionType } from '../types.js';
import { SCHEMA_ID_BASE } from '../../schema/validator.js';
import { runHttp } from './run.js';

export const http: ActionType = {
  type: 'http',
  disruptive: false,
  schemaId: `${SCHEMA_ID_BASE}actions/http.schema.json`,
  literalFields: ['url', 'method'],
  files: [],
  describe(rendered, _target, dryRun) {
    return `${String(rendered.method ?? 'POST')} ${String(rendered.url)}${dryRun ? ' (dry run: not sent)' : ''}`;
  },
  example: { url: 'https://hooks.internal.example/heal', method: 'POST', body: { alert: '{{ labels.alertname }}', target: '{{ target }}' } },
  run: runHttp,
};
