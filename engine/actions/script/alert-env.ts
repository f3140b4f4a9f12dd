/** The ALERT_* variables a script receives; values as they are, since no shell ever reads them. */
import type { Alert } from '../../alerts/payload.js';
import type { ScheduleRunInfo } from '../types.js';

/** A label name as a variable name: upper case, anything but [A-Z0-9_] replaced by '_'. */
export function labelVariable(name: string): string {
  return `ALERT_LABEL_${name.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`;
}

/**
 * Two labels may map to one variable (`a-b` and `a_b`): the name that sorts first wins, so
 * the choice does not depend on the order the labels arrived in.
 */
export function alertEnv(alert: Alert, target: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of Object.keys(alert.labels).sort()) {
    const variable = labelVariable(name);
    if (!Object.hasOwn(env, variable)) env[variable] = alert.labels[name]!;
  }
  return {
    ...env,
    ALERT_NAME: alert.alertname,
    ALERT_STATUS: alert.status,
    ALERT_FINGERPRINT: alert.fingerprint,
    ALERT_STARTS_AT: alert.startsAt,
    ALERT_TARGET: target,
  };
}

/** The SCHEDULE_* variables of a routine job's run: it has no alert. */
export function runEnv(run: ScheduleRunInfo, target: string): Record<string, string> {
  return { SCHEDULE_NAME: run.schedule, SCHEDULE_RUN_ID: run.runId, SCHEDULE_DUE: run.due, SCHEDULE_TRIGGER: run.trigger, SCHEDULE_TARGET: target };
}
