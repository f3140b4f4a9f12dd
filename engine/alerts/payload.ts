/**
 * A webhook payload validated and split into all of its alerts, firing and resolved alike
 * (never only alerts[0]); `truncatedAlerts` is carried so callers can report it.
 *
 * An alert is known by its fingerprint and startsAt (dedup, the audit), so both are ours to
 * trust: the fingerprint is computed from the labels, whatever the caller sent (a wrong one
 * would let one alert pass for another), and an alert without a startsAt that is a date is
 * refused, naming it.
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

/** An alert whose sent fingerprint is not the one of its labels; the computed one is used. */
export interface FingerprintMismatch {
  /** The alert's index in the payload's alerts. */
  index: number;
  sent: string;
  computed: string;
}

export type PayloadResult =
  | { ok: true; payload: SplitPayload; fingerprintMismatches: FingerprintMismatch[] }
  | { ok: false; problems: Problem[] };

export function splitPayload(body: unknown): PayloadResult {
  const problems = validate('AlertmanagerWebhook', body);
  if (problems.length) return { ok: false, problems: problems.map((p) => namingTheAlert(p, body)) };
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
  const fingerprintMismatches: FingerprintMismatch[] = [];
  const alerts = payload.alerts.map((a, index) => {
    const labels = toLabelMap(a.labels);
    const computed = fingerprint(labels);
    if (a.fingerprint !== undefined && a.fingerprint !== computed) fingerprintMismatches.push({ index, sent: a.fingerprint, computed });
    return Object.freeze({
      status: a.status,
      labels,
      annotations: toLabelMap(a.annotations),
      startsAt: a.startsAt,
      endsAt: a.endsAt ?? '',
      generatorURL: a.generatorURL ?? '',
      fingerprint: computed,
      alertname: Object.hasOwn(labels, 'alertname') ? labels.alertname! : '',
      group,
    });
  });
  return { ok: true, payload: { group, alerts }, fingerprintMismatches };
}

const IN_AN_ALERT = /^\/alerts\/(\d+)(\/|$)/;

/**
 * A problem inside one alert names it, by index and alertname, as the one line a 400 or a CLI
 * error has room for: `alerts[3] (alertname ServiceDown): missing required field 'startsAt'`.
 */
function namingTheAlert(problem: Problem, body: unknown): Problem {
  const index = IN_AN_ALERT.exec(problem.pointer)?.[1];
  if (index === undefined) return problem;
  const alert = (body as { alerts: unknown[] }).alerts[Number(index)] as { labels?: unknown } | null;
  const labels = alert && typeof alert.labels === 'object' && alert.labels !== null ? (alert.labels as Record<string, unknown>) : {};
  const name = Object.hasOwn(labels, 'alertname') && typeof labels.alertname === 'string' ? JSON.stringify(labels.alertname) : 'none';
  // The schema's words name the field by the pointer's last segment, here the index: "in 3".
  const message = problem.pointer === `/alerts/${index}` ? problem.message.replace(new RegExp(` in ${index}$`), '') : problem.message;
  return { ...problem, message: `alerts[${index}] (alertname ${name}): ${message}` };
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
