/**
 * The guards, in the order they are checked; the first that refuses names the reason.
 * `concurrency` is not among them: a busy target makes an action wait for the executor's
 * per-target lock, it does not refuse it (an uncordon must not be lost behind its cordon).
 */
import { inWindow, nextOpening } from '../policy/window.js';
import type { CompiledPolicy, ResolvedSettings } from '../policy/types.js';
import { formatDuration } from '../util/duration.js';
import type { GuardLedger } from './ledger.js';
import { count } from '../util/count.js';
import { minHealthyRefusal, protectedRefusal } from './node-guards.js';
import type { NodeGuardContext } from './node-guards.js';
import { runCooldown } from './run-cooldown.js';

/** The guards in the order checkGuards checks them. */
export const GUARDS = ['paused', 'maintenance', 'protected', 'storm', 'window', 'cooldown', 'rate-limit', 'blast-radius', 'min-healthy'] as const;
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
  /** When the guard stops refusing, as far as is known now (epoch ms); null when a person decides (paused). */
  until: number | null;
}

/** What the `storm` guard reads of the storm breaker (engine/breaker/) while it is open. */
export interface StormView {
  openedAt: number;
  alerts: number;
  targets: number;
  trigger: 'alerts' | 'targets';
  /** The earliest it closes: quietForMs after the last loud moment. */
  until: number;
  quietForMs: number;
  /** The threshold that was passed, and over what window (for the reason). */
  threshold: number;
  per: string;
}

/** A check's refusal: its reason, and until when if that is known. */
export interface Refused {
  reason: string;
  until: number | null;
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
  /** The storm breaker when it is open (engine/breaker/); absent or null: closed. */
  storm?: StormView | null;
}

/**
 * Each guard's check: null, or why it refuses: a Refused (with until when), or only a reason
 * when no end can be told.
 */
const CHECKS: Record<Guard, (c: GuardContext) => Refused | string | null> = {
  paused: ({ settings, pause, now }) => {
    if (settings.paused) return 'paused: homeostat.yaml sets paused: true';
    if (!pause || (pause.until !== null && Date.parse(pause.until) <= now)) return null;
    const reason = `paused by ${pause.by} at ${pause.at}${pause.until ? ` until ${pause.until}` : ' until resumed'}: ${pause.reason}`;
    return pause.until ? { reason, until: Date.parse(pause.until) } : reason;
  },
  maintenance: ({ settings, now }) => {
    const open = settings.maintenanceWindows.find((w) => now >= w.start && now < w.end);
    return open ? { reason: `maintenance window open until ${iso(open.end)}${open.reason ? `: ${open.reason}` : ''}`, until: open.end } : null;
  },
  storm: ({ disruptive, storm }) => {
    if (!disruptive || !storm) return null;
    const counted = storm.trigger === 'alerts' ? `${count(storm.alerts, 'alert')}` : `${count(storm.targets, 'target')}`;
    return {
      reason: `storm breaker open since ${iso(storm.openedAt)} (${counted} in ${storm.per}, more than ${storm.threshold}): no new disruptive action until the storm has been quiet for ${formatDuration(storm.quietForMs)}, at the earliest ${iso(storm.until)}`,
      until: storm.until,
    };
  },
  protected: protectedRefusal,
  window: ({ policy, now }) => {
    const w = policy.guards.window;
    if (!w || inWindow(now, w)) return null;
    const opens = nextOpening(now, w);
    const where = `outside the policy window (${w.days.join(',')} ${fmtBetween(w.between)} ${w.timezone})`;
    return { reason: opens === null ? where : `${where}; the window opens at ${iso(opens)}`, until: opens };
  },
  cooldown: ({ policy, phase, target, ledger, now }) => {
    const last = ledger.lastStart(policy.name, phase, target);
    if (last === undefined || now - last >= policy.guards.cooldownMs) return runCooldown({ policy, target, ledger, now });
    const when = now === last ? 'just now' : `${formatDuration(now - last)} ago`;
    const until = last + policy.guards.cooldownMs;
    return { reason: `cooldown: ${policy.name} decided an action for ${target} ${when} (cooldown ${formatDuration(policy.guards.cooldownMs)}, until ${iso(until)})`, until };
  },
  'rate-limit': ({ policy, phase, ledger, now }) => {
    const limit = policy.guards.rateLimit;
    if (!limit || ledger.countPolicy(policy.name, phase, now - limit.perMs) < limit.max) return null;
    // Once the max-th latest of them leaves the window, one more fits.
    const until = endOfWindow(ledger.nthLatestPolicy(policy.name, phase, limit.max), limit.perMs);
    return { reason: `rate limit: ${policy.name} already decided ${count(limit.max, 'action')} in ${formatDuration(limit.perMs)}${until === null ? '' : `, until ${iso(until)}`}`, until };
  },
  'blast-radius': ({ disruptive, settings, ledger, now }) => {
    const { max, perMs } = settings.blastRadius;
    if (!disruptive || ledger.countDisruptive(now - perMs) < max) return null;
    const until = endOfWindow(ledger.nthLatestDisruptive(max), perMs);
    return { reason: `blast radius: ${count(max, 'disruptive action')} in ${formatDuration(perMs)} across all policies${until === null ? '' : `, until ${iso(until)}`}`, until };
  },
  'min-healthy': minHealthyRefusal,
};

/** A count over [now - per, now] drops once its entry at `at` is older than that: a millisecond past at + per. */
function endOfWindow(at: number | undefined, perMs: number): number | null {
  return at === undefined ? null : at + perMs + 1;
}

function iso(at: number): string {
  return new Date(at).toISOString();
}

/** Checks `guards` (all of them unless told), in order; the first refusal, or null. */
export function checkGuards(context: GuardContext, guards: readonly Guard[] = GUARDS): GuardRefusal | null {
  for (const guard of guards) {
    const refused = CHECKS[guard](context);
    if (refused === null) continue;
    return typeof refused === 'string' ? { guard, reason: refused, until: null } : { guard, ...refused };
  }
  return null;
}

function fmtBetween([start, end]: [number, number]): string {
  const hm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
  return `${hm(start)}-${hm(end)}`;
}
