/**
 * Semantic checks of a Schedule document beyond its schema: the cron expression and time zone
 * croner will read, targets that are exactly one of a group or a list of hosts, each host one
 * Ansible host, the files it names, and its actions as a Policy's are checked, with templates
 * over `schedule`, `run` and `target` (there is no alert).
 */
import type { Problem } from '../diagnostics/diagnostic.js';
import { pointerOf } from '../diagnostics/diagnostic.js';
import { refuseHost } from '../actions/checks.js';
import { checkActionLists, checkFile } from '../policy/checks.js';
import type { Refer } from '../policy/checks.js';
import { isTimeZone, windowProblems } from '../policy/window.js';
import { SCHEDULE_ROOTS } from '../template/liquid.js';

const NO_ENRICHMENT: ReadonlySet<string> = new Set();
import { cronProblem } from './cron.js';

type Obj = Record<string, unknown>;

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function checkSchedule(doc: unknown, refer: Refer): Problem[] {
  if (!isObj(doc) || !isObj(doc.spec)) return [];
  const spec = doc.spec;
  const problems: Problem[] = [];
  if (typeof spec.cron === 'string') {
    const problem = cronProblem(spec.cron);
    if (problem) problems.push({ pointer: '/spec/cron', code: 'HST_CRON_INVALID', message: `cron '${spec.cron}' does not parse: ${problem}`, hint: "write five fields such as '0 3 * * *', six with seconds first, or @hourly, @daily, @weekly, @monthly" });
  }
  if (typeof spec.timezone === 'string' && !isTimeZone(spec.timezone)) {
    problems.push({ pointer: '/spec/timezone', code: 'HST_TIMEZONE_UNKNOWN', message: `unknown time zone '${spec.timezone}'`, hint: 'use an IANA name such as UTC or Europe/Berlin' });
  }
  problems.push(...checkTargets(spec.targets, refer));
  problems.push(...checkActionLists(spec, refer, NO_ENRICHMENT, SCHEDULE_ROOTS));
  if (Array.isArray(spec.actions)) {
    spec.actions.forEach((action, i) => {
      if (isObj(action) && action.notify !== undefined) {
        problems.push({ pointer: pointerOf(['spec', 'actions', i, 'notify']), code: 'HST_NOTIFY_MISPLACED', message: "a routine job's actions cannot have notify: (it follows an alert's action)", hint: 'list the notification as another action of the schedule' });
      }
    });
  }
  problems.push(...windowProblems(isObj(spec.guards) ? spec.guards.window : undefined, ['spec', 'guards', 'window']));
  return problems;
}

function checkTargets(targets: unknown, refer: Refer): Problem[] {
  if (!isObj(targets)) return [];
  const problems: Problem[] = [];
  const has = (key: string) => targets[key] !== undefined;
  if (has('group') === has('hosts')) {
    problems.push({ pointer: '/spec/targets', code: 'HST_SCHEDULE_TARGETS', message: has('group') ? 'targets has both group and hosts' : 'targets has neither group nor hosts', hint: 'give either `group: NAME` (an inventory group) or `hosts: [a, b]`' });
  }
  if (Array.isArray(targets.hosts)) {
    targets.hosts.forEach((host, i) => {
      const reason = typeof host === 'string' ? refuseHost('host', host) : null;
      if (reason) problems.push({ pointer: pointerOf(['spec', 'targets', 'hosts', i]), code: 'HST_SCHEDULE_TARGETS', message: reason, hint: 'name one host; a group goes in `group:`' });
    });
  }
  if (typeof targets.inventory === 'string') problems.push(...checkFile(targets.inventory, 'inventory', ['spec', 'targets', 'inventory'], refer));
  return problems;
}
