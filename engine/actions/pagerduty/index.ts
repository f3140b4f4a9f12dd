/** The pagerduty action: an Events API v2 event, routing key held in a secret. */
import type { ActionType, RunContext, RunResult } from '../types.js';
import { SCHEMA_ID_BASE } from '../../schema/validator.js';
import { deliver, notSent } from '../deliver.js';
import { noticeOf } from '../notice.js';
import { SecretError, SecretReader } from '../secrets.js';
import type { SecretRef } from '../secrets.js';
import { PAGERDUTY_EVENTS_URL, pagerdutyEvent } from './event.js';

export const pagerduty: ActionType = {
  type: 'pagerduty',
  disruptive: false,
  schemaId: `${SCHEMA_ID_BASE}actions/pagerduty.schema.json`,
  literalFields: ['severity', 'eventAction', 'eventsUrl'],
  files: [],
  describe(rendered, _target, dryRun) {
    const action = String(rendered.eventAction ?? 'trigger on firing, resolve on resolution');
    return `PagerDuty ${action} (${String(rendered.severity ?? 'critical')}): ${String(rendered.summary)}${dryRun ? ' (dry run: not sent)' : ''}`;
  },
  example: { routingKey: { env: 'PAGERDUTY_ROUTING_KEY' }, severity: 'critical', summary: '{{ labels.alertname }} on {{ target }}' },
  run: runPagerduty,
};

async function runPagerduty(context: RunContext): Promise<RunResult> {
  const { params, alert } = context;
  const reader = new SecretReader();
  let routingKey = '(routing key)';
  if (!context.dryRun) {
    try {
      routingKey = reader.read(params.routingKey as SecretRef);
    } catch (error) {
      if (error instanceof SecretError) return notSent(error.message);
      throw error;
    }
  }
  const eventAction = (params.eventAction as 'trigger' | 'resolve' | undefined) ?? (alert?.status === 'resolved' ? 'resolve' : 'trigger');
  const event = pagerdutyEvent({
    routingKey,
    eventAction,
    severity: String(params.severity ?? 'critical'),
    summary: String(params.summary),
    source: params.source === undefined ? context.target : String(params.source),
    notice: noticeOf(context),
    clientUrl: context.outbound?.externalUrl ?? null,
  });
  const url = String(params.eventsUrl ?? context.outbound?.pagerdutyEventsUrl ?? PAGERDUTY_EVENTS_URL);
  return deliver(context, { method: 'POST', url, shownUrl: url, headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) }, reader.values);
}
