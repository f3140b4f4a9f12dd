/**
 * The storm breaker (homeostat.yaml `stormBreaker`): it counts the distinct alerts received
 * firing and the distinct targets decided for within a sliding window, opens when either count
 * goes over its threshold, and closes once the storm has been quiet for `quietFor` (no alert
 * arrived while a count was over its threshold). While it is open, the `storm` guard
 * (plan/guards.ts) refuses every new disruptive action.
 *
 * Pure: the time is given, nothing is written. Opening and closing are queued as transitions
 * that the engine drains into audit entries and a state change in its turn (service.ts); what
 * survives a restart is the open state (BreakerState), not the window's counts.
 */
import type { Alert } from '../alerts/payload.js';
import type { StormWatch } from '../plan/decide.js';
import type { StormView } from '../plan/guards.js';
import type { StormBreakerSettings } from '../policy/types.js';
import { SlidingSet } from './window.js';

/** What the state store keeps under the key `breaker` while the breaker is open. */
export interface BreakerState {
  /** This opening's id (the breaker-opened event's details.id). */
  id: string;
  openedAt: number;
  /** The last time an alert or target arrived while a count was over its threshold. */
  loudAt: number;
  trigger: 'alerts' | 'targets';
  /** The counts and the top alertnames when it opened (the summary said these). */
  alerts: number;
  targets: number;
  alertnames: { alertname: string; count: number }[];
}

export type Transition =
  | { kind: 'opened'; state: BreakerState; settings: StormBreakerSettings }
  | { kind: 'closed'; state: BreakerState; at: number; why: string };

/** Alertnames the summary names at most. */
const TOP_ALERTNAMES = 5;
/** An alertname is a label value: the summary keeps this much of it. */
const ALERTNAME_MAX = 120;

export class StormBreaker {
  private open: BreakerState | null;
  private readonly alerts: SlidingSet;
  private readonly targets: SlidingSet;
  private readonly pending: Transition[] = [];
  /** loudAt as last persisted: the state is written again when it moved. */
  private persistedLoudAt: number;
  private windowMs = 0;

  constructor(restored: BreakerState | null, private readonly newId: (now: number) => string) {
    this.open = restored;
    this.persistedLoudAt = restored?.loudAt ?? 0;
    this.alerts = new SlidingSet(() => this.windowMs);
    this.targets = new SlidingSet(() => this.windowMs);
  }

  get state(): BreakerState | null {
    return this.open;
  }

  /** Transitions not yet drained: the payload that caused them must be given a turn. */
  get changed(): boolean {
    return this.pending.length > 0;
  }

  /** The firing alerts of a payload, received at `now`. */
  observe(alerts: readonly Alert[], settings: StormBreakerSettings | null, now: number): void {
    this.closeIfDue(settings, now);
    if (!settings) return;
    this.windowMs = settings.perMs;
    let firing = 0;
    for (const alert of alerts) {
      if (alert.status !== 'firing') continue;
      this.alerts.touch(alert.fingerprint, alert.alertname.slice(0, ALERTNAME_MAX), now);
      firing++;
    }
    if (firing > 0) this.check(settings, now);
  }

  /** The watch decide uses for one payload decided at `now` under these settings. */
  watch(settings: StormBreakerSettings | null, now: number): StormWatch | null {
    if (!settings) return null;
    return {
      target: (target) => {
        if (settings.targets === null) return;
        this.windowMs = settings.perMs;
        this.targets.touch(target, target, now);
        this.check(settings, now);
      },
      view: () => this.view(settings),
    };
  }

  view(settings: StormBreakerSettings): StormView | null {
    const open = this.open;
    if (!open) return null;
    return {
      openedAt: open.openedAt,
      alerts: open.alerts,
      targets: open.targets,
      trigger: open.trigger,
      until: open.loudAt + settings.quietForMs,
      quietForMs: settings.quietForMs,
      threshold: (open.trigger === 'alerts' ? settings.alerts : settings.targets) ?? 0,
      per: settings.per,
    };
  }

  /** Closes it when the storm has been quiet long enough, or when the settings no longer have a breaker. */
  closeIfDue(settings: StormBreakerSettings | null, now: number): void {
    const open = this.open;
    if (!open) return;
    if (settings && now < open.loudAt + settings.quietForMs) return;
    const why = settings
      ? `quiet for ${settings.quietFor}: no alert arrived over the threshold since ${new Date(open.loudAt).toISOString()}`
      : 'homeostat.yaml no longer has a stormBreaker';
    this.open = null;
    this.alerts.clear();
    this.targets.clear();
    this.pending.push({ kind: 'closed', state: open, at: now, why });
  }

  /** When it closes if nothing more arrives; null when closed. */
  closesAt(settings: StormBreakerSettings | null): number | null {
    if (!this.open) return null;
    return settings ? this.open.loudAt + settings.quietForMs : 0;
  }

  /** The counts within the window now (status, metrics). */
  counts(now: number): { alerts: number; targets: number } {
    return { alerts: this.alerts.count(now), targets: this.targets.count(now) };
  }

  /** Hands over the transitions since the last drain, or else the open state if it moved (loudAt). */
  drain(): { transitions: Transition[]; moved: BreakerState | null } {
    const transitions = this.pending.splice(0);
    const open = this.open;
    // A transition's state is saved with it; otherwise only a later loud moment is news.
    const moved = transitions.length === 0 && open && open.loudAt !== this.persistedLoudAt ? open : null;
    this.persistedLoudAt = open?.loudAt ?? 0;
    return { transitions, moved };
  }

  private check(settings: StormBreakerSettings, now: number): void {
    const alerts = this.alerts.count(now);
    const targets = this.targets.count(now);
    const trigger = settings.alerts !== null && alerts > settings.alerts ? 'alerts' : settings.targets !== null && targets > settings.targets ? 'targets' : null;
    if (trigger === null) return;
    if (this.open) {
      this.open = { ...this.open, loudAt: now };
      return;
    }
    const alertnames = this.alerts.top(now, TOP_ALERTNAMES).map(({ name, count }) => ({ alertname: name, count }));
    this.open = { id: this.newId(now), openedAt: now, loudAt: now, trigger, alerts, targets, alertnames };
    this.pending.push({ kind: 'opened', state: this.open, settings });
  }
}
