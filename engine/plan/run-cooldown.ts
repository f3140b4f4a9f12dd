/**
 * The cooldown a routine job's run puts on its target for the policies: after a run of a
 * schedule that sets a cooldown of its own (a restart on a schedule, say), a policy's action on
 * that target waits out the policy's cooldown as it would after its own action. A schedule
 * without a cooldown (a read-only check, whose cadence is its cron) holds nothing back.
 */
import { formatDuration } from '../util/duration.js';
import type { GuardContext } from './guards.js';

/** Why the policy's cooldown holds after a schedule's run on the target, or null. */
export function runCooldown({ policy, target, ledger, now }: Pick<GuardContext, 'policy' | 'target' | 'ledger' | 'now'>): string | null {
  const run = ledger.lastRunOnTarget?.(target);
  const cooldown = policy.guards.cooldownMs;
  // A schedule's own runs are its per-target cooldown (lastStart).
  if (!run || run.schedule === policy.name || now - run.at >= cooldown) return null;
  const when = now === run.at ? 'just now' : `${formatDuration(now - run.at)} ago`;
  return `cooldown: schedule ${run.schedule} decided a run on ${target} ${when} (cooldown of ${policy.name}: ${formatDuration(cooldown)})`;
}
