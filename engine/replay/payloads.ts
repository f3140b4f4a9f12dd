/**
 * Alert events as the webhook payloads Alertmanager would have sent: the alerts of one group
 * (same values of the group-by labels; by default the alertname) that fire or resolve at the
 * same time go in one payload. Alertmanager would also repeat the group's other firing
 * alerts in it; the engine refuses those as duplicates, so they are left out.
 */
import type { AlertmanagerWebhook } from '../generated/schema-types.js';
import type { AlertEvent } from './episodes.js';

export const DEFAULT_GROUP_BY = ['alertname'] as const;

/** Alertmanager's "not ended" time. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

export interface TimedWebhook {
  at: number;
  payload: AlertmanagerWebhook;
}

function groupLabels(labels: Record<string, string>, groupBy: readonly string[]): Record<string, string> {
  const group: Record<string, string> = {};
  for (const name of groupBy) if (Object.hasOwn(labels, name)) group[name] = labels[name]!;
  return group;
}

/** The labels every alert of the payload shares. */
function common(events: readonly AlertEvent[]): Record<string, string> {
  const [first, ...rest] = events;
  const shared: Record<string, string> = {};
  for (const [name, value] of Object.entries(first!.labels)) if (rest.every((e) => e.labels[name] === value)) shared[name] = value;
  return shared;
}

function payloadOf(events: readonly AlertEvent[], group: Record<string, string>, receiver: string): AlertmanagerWebhook {
  return {
    version: '4',
    // Alertmanager's own form: the route's matchers, then the group labels.
    groupKey: `{}:${JSON.stringify(group)}`,
    truncatedAlerts: 0,
    status: events.some((e) => e.status === 'firing') ? 'firing' : 'resolved',
    receiver,
    groupLabels: group,
    commonLabels: common(events),
    commonAnnotations: {},
    externalURL: '',
    alerts: events.map((e) => ({
      status: e.status,
      labels: e.labels,
      annotations: {},
      startsAt: new Date(e.startsAt).toISOString(),
      endsAt: e.endsAt === null ? ZERO_TIME : new Date(e.endsAt).toISOString(),
      generatorURL: '',
      fingerprint: e.fingerprint,
    })),
  };
}

/** Events in time order as payloads in time order: one per group and time. */
export function webhooksOf(events: readonly AlertEvent[], groupBy: readonly string[], receiver = 'replay'): TimedWebhook[] {
  const out: TimedWebhook[] = [];
  for (let i = 0; i < events.length; ) {
    const at = events[i]!.at;
    const groups = new Map<string, { group: Record<string, string>; events: AlertEvent[] }>();
    for (; i < events.length && events[i]!.at === at; i++) {
      const group = groupLabels(events[i]!.labels, groupBy);
      const key = JSON.stringify(group);
      const entry = groups.get(key) ?? { group, events: [] };
      entry.events.push(events[i]!);
      groups.set(key, entry);
    }
    for (const { group, events: grouped } of groups.values()) out.push({ at, payload: payloadOf(grouped, group, receiver) });
  }
  return out;
}
