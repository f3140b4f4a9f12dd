/**
 * The guards, in the order they are checked; the first that refuses names the reason.
 * `concurrency` is not among them: a busy target makes an action wait for the executor's
 * per-target lock, it does not refuse it (an uncordon must not be lost behind its cordon).
 */
import { inWindow } from '../policy/window.js';
import type { CompiledPolicy, ResolvedSettings } from '../policy/types.js';
import { formatDuration } from '../util/duration.js';
import type { GuardLedger } from './ledger.js';

/** The guards in the order checkGuards checks them. */
export const GUARDS = ['paused', 'maintenance', 'window', 'cooldown', 'rate-limit', 'blast-radius'] as const;

export interface GuardRefusal {
  guard: (typeof GUARDS)[number];
  reason: string;
}

export function checkGuards(policy: CompiledPolicy, phase: string, target: string, disruptive: boolean, settings: ResolvedSettings, ledger: GuardLedger, now: number): GuardRefusal | null {
  const g = policy.guards;
  if (settings.paused) return { guard: 'paused', reason: 'paused: homeostat.yaml sets paused: true' };
  const maintenance = settings.maintenanceWindows.find((w) => now >= w.start && now < w.end);
  if (maintenance) return { guard: 'maintenance', reason: `maintenance window open until ${new Date(maintenance.end).toISOString()}${maintenance.reason ? `: ${maintenance.reason}` : ''}` };
  if (g.window && !inWindow(now, g.window)) return { guard: 'window', reason: `outside the policy window (${g.window.days.join(',')} ${fmtBetween(g.window.between)} ${g.window.timezone})` };
  const last = ledger.lastStart(policy.name, phase, target);
  if (last !== undefined && now - last < g.cooldownMs) {
    const when = now === last ? 'just now' : `${formatDuration(now - last)} ago`;
    return { guard: 'cooldown', reason: `cooldown: ${policy.name} decided an action for ${target} ${when} (cooldown ${formatDuration(g.cooldownMs)})` };
  }
  if (g.rateLimit && ledger.countPolicy(policy.name, phase, now - g.rateLimit.perMs) >= g.rateLimit.max) {
    return { guard: 'rate-limit', reason: `rate limit: ${policy.name} already decided ${g.rateLimit.max} actions in ${formatDuration(g.rateLimit.perMs)}` };
  }
  if (disruptive && ledger.countDisruptive(now - settings.blastRadius.perMs) >= settings.blastRadius.max) {
    return { guard: 'blast-radius', reason: `blast radius: ${settings.blastRadius.max} disruptive actions in ${formatDuration(settings.blastRadius.perMs)} across all policies` };
  }
  return null;
}

function fmtBetween([start, end]: [number, number]): string {
  const hm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
  return `${hm(start)}-${hm(end)}`;
}
