/**
 * The guards, in the order they are checked; the first that refuses names the reason.
 * `concurrency` is not among them: a busy target makes an action wait for the executor's
 * per-target lock, it does not refuse it (an uncordon must not be lost behind its cordon).
 */
import { inWindow } from '../policy/window.js';
import type { CompiledPolicy, ResolvedSettings } from '../policy/types.js';
import { formatDuration } from '../util/duration.js';
import type { GuardLedger } from './ledger.js';
import { count } from '../util/count.js';
import { minHealthyRefusal, protectedRefusal } from './node-guards.js';
import type { NodeGuardContext } from './node-guards.js';
import { runCooldown } from './run-cooldown.js';

/** The guards in the order checkGuards checks them. */
export const GUARDS = ['paused', 'maintenance', 'protected', 'window', 'cooldown', 'rate-limit', 'blast-radius', 'min-healthy'] as const;
export type Guard = (typeof GUARDS)[number];

/**
 * The guards that still hold an `onResolved` answering actions that ran for the same alert:
 * only a human's stops. Alertmanager never re-sends a resolved alert, so a refusal loses the
 * recovery for good; the guards that limit how often and how widely the engine starts to
 * change things (window, cooldown, rate limit, blast radius) must not keep it from undoing
 * what it did (a node cordoned for good after a flap).
 */
export const ANSWER_GUARDS = ['paused', 'maintenance'] as const satisfies readonly Guard[];

export interface GuardRefusal {
  guard: Guard;
  reason: string;
}

/** The kill switch thrown through the API (engine/approvals/pause.ts): who, why, since and until when. */
export interface RuntimePause {
  by: string;
  reason: string;
  /** ISO times; until null: until resumed. */
  at: string;
  until: string | null;
}

export interface GuardContext extends NodeGuardContext {
  /** A policy, or a routine job (kind Schedule): guards read only its name and guards. */
  policy: Pick<CompiledPolicy, 'name' | 'guards'>;
  phase: string;
  target: string;
  disruptive: boolean;
  settings: ResolvedSettings;
  ledger: GuardLedger;
  now: number;
  /** The pause in force through the API, if any (homeostat.yaml's `paused` is checked first). */
  pause?: RuntimePause | null;
}

/** Each guard's check: the reason it refuses, or null. */
const CHECKS: Record<Guard, (c: GuardContext) => string | null> = {
  paused: ({ settings, pause, now }) => {
    if (settings.paused) return 'paused: homeostat.yaml sets paused: true';
    if (!pause || (pause.until !== null && Date.parse(pause.until) <= now)) return null;
    return `paused by ${pause.by} at ${pause.at}${pause.until ? ` until ${pause.until}` : ' until resumed'}: ${pause.reason}`;
  },
  maintenance: ({ settings, now }) => {
    const open = settings.maintenanceWindows.find((w) => now >= w.start && now < w.end);
    return open ? `maintenance window open until ${new Date(open.end).toISOString()}${open.reason ? `: ${open.reason}` : ''}` : null;
  },
  protected: protectedRefusal,
  window: ({ policy, now }) => {
    const w = policy.guards.window;
    return w && !inWindow(now, w) ? `outside the policy window (${w.days.join(',')} ${fmtBetween(w.between)} ${w.timezone})` : null;
  },
  cooldown: ({ policy, phase, target, ledger, now }) => {
    const last = ledger.lastStart(policy.name, phase, target);
    if (last === undefined || now - last >= policy.guards.cooldownMs) return runCooldown({ policy, target, ledger, now });
    const when = now === last ? 'just now' : `${formatDuration(now - last)} ago`;
    return `cooldown: ${policy.name} decided an action for ${target} ${when} (cooldown ${formatDuration(policy.guards.cooldownMs)})`;
  },
  'rate-limit': ({ policy, phase, ledger, now }) => {
    const limit = policy.guards.rateLimit;
    if (!limit || ledger.countPolicy(policy.name, phase, now - limit.perMs) < limit.max) return null;
    return `rate limit: ${policy.name} already decided ${count(limit.max, 'action')} in ${formatDuration(limit.perMs)}`;
  },
  'blast-radius': ({ disruptive, settings, ledger, now }) => {
    const { max, perMs } = settings.blastRadius;
    if (!disruptive || ledger.countDisruptive(now - perMs) < max) return null;
    return `blast radius: ${count(max, 'disruptive action')} in ${formatDuration(perMs)} across all policies`;
  },
  'min-healthy': minHealthyRefusal,
};

/** Checks `guards` (all of them unless told), in order; the first refusal, or null. */
export function checkGuards(context: GuardContext, guards: readonly Guard[] = GUARDS): GuardRefusal | null {
  for (const guard of guards) {
    const reason = CHECKS[guard](context);
    if (reason !== null) return { guard, reason };
  }
  return null;
}

function fmtBetween([start, end]: [number, number]): string {
  const hm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
  return `${hm(start)}-${hm(end)}`;
}
