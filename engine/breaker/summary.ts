/**
 * What the storm breaker's transitions become in the audit: a breaker-opened event and the one
 * summary notification (an action entry with `storm` in place of an alert, run by the executor
 * like any notification), and a breaker-closed event. The notification's templates see
 * `storm`; its values (alertnames) are data, never template source.
 */
import { ACTION_TYPES } from '../actions/registry.js';
import type { StormNotice } from '../actions/types.js';
import type { AuditEntry } from '../audit/entry.js';
import { newEntryId } from '../audit/entry.js';
import { redact } from '../exec/redact.js';
import { renderParams } from '../plan/render.js';
import type { ResolvedSettings, StormBreakerSettings } from '../policy/types.js';
import { TemplateRenderError } from '../template/template.js';
import { count } from '../util/count.js';
import type { BreakerState, Transition } from './breaker.js';

/** The audit's name for where the notification is written (no policy can be named so). */
export const STORM_POLICY = 'homeostat.yaml';

export interface SummaryOptions {
  now: number;
  revision: string;
  /** `serve --dry-run`: the notification is not sent. */
  dryRun: boolean;
  secrets: readonly string[];
}

/** A notification to run: its intent entry and what the executor needs of it. */
export interface StormJob {
  entry: AuditEntry;
  storm: StormNotice;
}

/** The storm as the summary's templates and receivers see it. */
export function stormNotice(state: BreakerState, settings: StormBreakerSettings): StormNotice {
  return {
    id: state.id,
    since: new Date(state.openedAt).toISOString(),
    alerts: state.alerts,
    targets: state.targets,
    alertnames: state.alertnames,
    top: state.alertnames.map((a) => `${a.alertname} (${a.count})`).join(', '),
    trigger: state.trigger,
    threshold: (state.trigger === 'alerts' ? settings.alerts : settings.targets) ?? 0,
    per: settings.per,
    quietFor: settings.quietFor,
  };
}

/** The audit entries of one transition, and the notification to run when it opened. */
export function transitionEntries(transition: Transition, settings: ResolvedSettings, options: SummaryOptions): { entries: AuditEntry[]; job: StormJob | null } {
  const { state } = transition;
  if (transition.kind === 'closed') {
    const details = { id: state.id, openedAt: new Date(state.openedAt).toISOString(), closedAt: new Date(transition.at).toISOString(), lastLoud: new Date(state.loudAt).toISOString() };
    return { entries: [event(options, 'breaker-closed', `storm breaker closed: ${transition.why}; open since ${details.openedAt}`, details)], job: null };
  }
  const storm = stormNotice(state, transition.settings);
  const notification = notificationEntry(storm, transition.settings, settings, options);
  const counted = storm.trigger === 'alerts' ? count(storm.alerts, 'alert') : count(storm.targets, 'target');
  const opened = event(options, 'breaker-opened', `storm breaker opened: ${counted} in ${storm.per} (more than ${storm.threshold}), top ${storm.top || 'none'}; no new disruptive action until quiet for ${storm.quietFor}`, {
    ...storm, notification: notification.id,
  });
  const runs = notification.verdict === 'run' || notification.verdict === 'dry-run';
  return { entries: [opened, notification], job: runs ? { entry: notification, storm } : null };
}

function notificationEntry(storm: StormNotice, breaker: StormBreakerSettings, settings: ResolvedSettings, options: SummaryOptions): AuditEntry {
  const action = breaker.notify;
  const type = ACTION_TYPES.get(action.type)!;
  const dryRun = options.dryRun || settings.dryRun || action.dryRun;
  let params: Record<string, unknown> | null = null;
  let failure: string | null = null;
  try {
    params = renderParams(action, { storm });
  } catch (error) {
    failure = error instanceof TemplateRenderError ? error.message : String((error as Error).message);
  }
  return {
    ...head('action', options),
    storm: { id: storm.id, since: storm.since, alerts: storm.alerts, targets: storm.targets, alertnames: storm.alertnames, trigger: storm.trigger },
    policy: STORM_POLICY,
    action: action.name,
    type: action.type,
    target: null,
    params: params && options.secrets.length ? (JSON.parse(redact(JSON.stringify(params), options.secrets)) as Record<string, unknown>) : params,
    description: params ? type.describe(params, '', dryRun) : null,
    verdict: failure ? 'failed' : dryRun ? 'dry-run' : 'run',
    reason: failure,
    guards: { passed: [], refusedBy: failure ? 'template' : null },
    approval: null,
    outcome: failure ? 'failed' : null,
    execution: null,
  };
}

function event(options: SummaryOptions, name: 'breaker-opened' | 'breaker-closed', message: string, details: object): AuditEntry {
  return { ...head('event', options), event: { name, message, details: { ...details } } };
}

function head(kind: 'action' | 'event', options: SummaryOptions): Pick<AuditEntry, 'apiVersion' | 'kind' | 'id' | 'at' | 'revision'> {
  return { apiVersion: 'homeostat.dev/v1', kind, id: newEntryId(options.now), at: new Date(options.now).toISOString(), revision: options.revision };
}
