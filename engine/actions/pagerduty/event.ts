/**
 * A PagerDuty Events API v2 event. One alert of one policy is one incident: the dedup_key is
 * derived from the policy and the alert's fingerprint, so the resolve sent when the alert
 * resolves closes the incident its firing opened.
 */
import type { Notice } from '../notice.js';

export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';

/** PagerDuty's limits: summary 1024 characters, dedup_key 255. */
const SUMMARY_MAX = 1024;

export function dedupKeyOf(policy: string, fingerprint: string): string {
  return `homeostat/${policy}/${fingerprint}`.slice(0, 255);
}

export interface EventInput {
  routingKey: string;
  eventAction: 'trigger' | 'resolve';
  severity: string;
  summary: string;
  source: string;
  notice: Notice;
  clientUrl: string | null;
}

export function pagerdutyEvent(input: EventInput): Record<string, unknown> {
  const { notice } = input;
  const dedup_key = dedupKeyOf(notice.policy, notice.alert.fingerprint);
  if (input.eventAction === 'resolve') return { routing_key: input.routingKey, event_action: 'resolve', dedup_key };
  return {
    routing_key: input.routingKey,
    event_action: 'trigger',
    dedup_key,
    payload: {
      summary: input.summary.length > SUMMARY_MAX ? `${input.summary.slice(0, SUMMARY_MAX - 1)}…` : input.summary,
      source: input.source,
      severity: input.severity,
      timestamp: notice.alert.startsAt,
      component: notice.target,
      group: notice.policy,
      class: notice.alert.alertname,
      custom_details: { alert: notice.alert, policy: notice.policy, action: notice.action, target: notice.target, ...(notice.outcome ? { outcome: notice.outcome } : {}) },
    },
    client: 'homeostat',
    ...(input.clientUrl ? { client_url: input.clientUrl } : {}),
    ...(notice.link ? { links: [{ href: notice.link, text: 'homeostat audit entry' }] } : {}),
  };
}
