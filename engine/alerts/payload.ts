/**
 * A webhook payload validated and split into all of its alerts, firing and resolved alike
 * (never only alerts[0]); `truncatedAlerts` is carried so callers can report it.
 */
import type { AlertmanagerWebhook, InlineAlert } from '../generated/schema-types.js';
import type { Problem } from '../diagnostics/diagnostic.js';
import { validate } from '../schema/validator.js';
import { fingerprint } from './fingerprint.js';
import { toLabelMap } from './labels.js';
import type { LabelMap } from './labels.js';

export interface GroupInfo {
  receiver: string;
  status: string;
  groupKey: string;
  groupLabels: LabelMap;
  commonLabels: LabelMap;
  commonAnnotations: LabelMap;
  externalURL: string;
  truncatedAlerts: number;
}

export interface Alert {
  status: 'firing' | 'resolved';
  labels: LabelMap;
  annotations: LabelMap;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
  alertname: string;
  group: GroupInfo;
}

export interface SplitPayload {
  group: GroupInfo;
  alerts: Alert[];
}

export type PayloadResult = { ok: true; payload: SplitPayload } | { ok: false; problems: Problem[] };

export function splitPayload(body: unknown): PayloadResult {
  const problems = validate('AlertmanagerWebhook', body);
  if (problems.length) return { ok: false, problems };
  const payload = body as AlertmanagerWebhook;
  const group: GroupInfo = Object.freeze({
    receiver: payload.receiver ?? '',
    status: payload.status,
    groupKey: payload.groupKey ?? '',
    groupLabels: toLabelMap(payload.groupLabels),
    commonLabels: toLabelMap(payload.commonLabels),
    commonAnnotations: toLabelMap(payload.commonAnnotations),
    externalURL: payload.externalURL ?? '',
    truncatedAlerts: payload.truncatedAlerts ?? 0,
  });
  const alerts = payload.alerts.map((a) => {
    const labels = toLabelMap(a.labels);
    return Object.freeze({
      status: a.status,
      labels,
      annotations: toLabelMap(a.annotations),
      startsAt: a.startsAt ?? '',
      endsAt: a.endsAt ?? '',
      generatorURL: a.generatorURL ?? '',
      fingerprint: a.fingerprint ?? fingerprint(labels),
      alertname: Object.hasOwn(labels, 'alertname') ? labels.alertname! : '',
      group,
    });
  });
  return { ok: true, payload: { group, alerts } };
}

/** Inline test alerts become a payload as Alertmanager would send it. */
export function payloadFromInline(alerts: readonly InlineAlert[], startsAt: string): AlertmanagerWebhook {
  const common = (key: 'labels' | 'annotations') => {
    const first = alerts[0]?.[key] ?? {};
    return Object.fromEntries(Object.entries(first).filter(([k, v]) => alerts.every((a) => (a[key] ?? {})[k] === v)));
  };
  return {
    version: '4',
    status: alerts.some((a) => (a.status ?? 'firing') === 'firing') ? 'firing' : 'resolved',
    receiver: 'test',
    groupKey: '{}:test',
    truncatedAlerts: 0,
    groupLabels: {},
    commonLabels: common('labels'),
    commonAnnotations: common('annotations'),
    externalURL: '',
    alerts: alerts.map((a) => ({
      status: a.status ?? 'firing',
      labels: a.labels,
      annotations: a.annotations ?? {},
      startsAt: a.startsAt ?? startsAt,
      endsAt: a.status === 'resolved' ? startsAt : '0001-01-01T00:00:00Z',
      generatorURL: '',
      fingerprint: a.fingerprint ?? fingerprint(a.labels),
    })),
  };
}
