/**
 * What every notification says, whatever its receiver: the alert, the policy and action that
 * decided, the target, how the parent action ended (for a notify sub-action) and a link to the
 * audit entry when the engine knows its own address. Receivers get these as data (JSON values,
 * Slack plain text), never as markup built from label values.
 */
import type { ParentOutcome, RunContext, StormNotice } from './types.js';

export interface Notice {
  /** alert: what the alert said; run: a routine job's run, whose schedule stands in `alert`; storm: the storm breaker's summary. */
  kind: 'alert' | 'run' | 'storm';
  alert: { alertname: string; status: string; fingerprint: string; startsAt: string; labels: Record<string, string>; annotations: Record<string, string> };
  policy: string;
  /** The action this is about: the parent of a notify sub-action, else the notification itself. */
  action: string;
  target: string;
  outcome: Omit<ParentOutcome, 'link'> | null;
  /** The audit entry of the action this is about, on the engine; null without --external-url. */
  link: string | null;
  /** The storm breaker's summary: the storm (count, top alertnames, since when). */
  storm?: StormNotice;
}

export function noticeOf(context: RunContext): Notice {
  const { alert, run, parent, entry, storm } = context;
  if (storm) return stormNoticeOf(context, storm);
  const auditId = parent?.auditId ?? entry?.id ?? null;
  const external = context.outbound?.externalUrl ?? null;
  const outcome = parent ? (({ link: _link, ...rest }) => rest)(parent) : null;
  return {
    // A routine job's run has no alert: the notice names the schedule in its place, the run's
    // id where a fingerprint would be and its due time as the start.
    kind: alert ? 'alert' : 'run',
    alert: alert
      ? {
          alertname: alert.alertname, status: alert.status, fingerprint: alert.fingerprint, startsAt: alert.startsAt,
          labels: { ...alert.labels }, annotations: { ...alert.annotations },
        }
      : {
          alertname: run?.schedule ?? '', status: run?.trigger === 'manual' ? 'manual run' : 'scheduled run',
          fingerprint: run?.runId ?? '', startsAt: run?.due ?? '', labels: {}, annotations: {},
        },
    policy: entry?.policy ?? '',
    action: parent?.action ?? entry?.action ?? '',
    target: context.target,
    outcome,
    link: external !== null && auditId !== null ? auditLink(external, auditId) : null,
  };
}

/**
 * The storm breaker's summary: no alert decided it; the storm stands in `alert` (its id where
 * a fingerprint would be, its start as startsAt) and is given whole in `storm`.
 */
function stormNoticeOf(context: RunContext, storm: StormNotice): Notice {
  const external = context.outbound?.externalUrl ?? null;
  const id = context.entry?.id ?? null;
  return {
    kind: 'storm',
    alert: { alertname: 'alert storm', status: 'breaker open', fingerprint: storm.id, startsAt: storm.since, labels: {}, annotations: {} },
    policy: context.entry?.policy ?? '',
    action: context.entry?.action ?? '',
    target: '',
    outcome: null,
    link: external !== null && id !== null ? auditLink(external, id) : null,
    storm,
  };
}

/** The storm in one line: what a receiver shows in place of the alert. */
export function stormLine(storm: StormNotice): string {
  const counted = storm.trigger === 'alerts' ? `${storm.alerts} alerts` : `${storm.targets} targets`;
  return `${counted} in ${storm.per} (more than ${storm.threshold}) since ${storm.since}; top: ${storm.top || 'none'}; disruptive actions stop until quiet for ${storm.quietFor}`;
}

/** Where the engine shows one audit entry (GET /api/v1/actions/:id). */
export function auditLink(externalUrl: string, id: string): string {
  return `${externalUrl.replace(/\/+$/, '')}/api/v1/actions/${encodeURIComponent(id)}`;
}
