/**
 * The kill switch without a commit: POST /api/v1/pause (who, why, until when) stops every new
 * action through the paused guard (plan/guards.ts) until POST /api/v1/resume or its `until`.
 * Kept under the state key `pause`, so that it survives a restart; each pause and resume is an
 * audited event. homeostat.yaml's `paused: true` is another switch that this one never undoes.
 */
import { newEntryId } from '../audit/entry.js';
import type { RuntimePause } from '../plan/guards.js';
import { ENGINE } from './approval.js';
import type { ApprovalHost } from './host.js';
import { eventEntry } from './host.js';

const PAUSE_KEY = 'pause';
const MAX_TIMER_MS = 2 ** 31 - 1;
const RETRY_MS = 1_000;

type Host = Pick<ApprovalHost, 'clock' | 'log' | 'state' | 'active'>;

export interface PauseStatus {
  /** Whether new actions are refused now, by either switch. */
  paused: boolean;
  /** homeostat.yaml's `paused: true` (of the active revision): only a commit undoes it. */
  settings: boolean;
  /** The pause thrown through the API, while in force. */
  api: RuntimePause | null;
}

export class KillSwitch {
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly host: Host) {}

  /** The pause in force through the API now, or null (none, or past its `until`). */
  current(now = this.host.clock()): RuntimePause | null {
    const pause = this.host.state.get<RuntimePause>(PAUSE_KEY);
    if (!pause || (pause.until !== null && Date.parse(pause.until) <= now)) return null;
    return pause;
  }

  status(): PauseStatus {
    const settings = this.host.active()?.set.settings.paused ?? false;
    const api = this.current();
    return { paused: settings || api !== null, settings, api };
  }

  /** Sets the timer of a pause read back at start-up (one already past its `until` is lifted at once). */
  start(): void {
    this.arm();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Pauses (again: the new reason and `until` replace the old), durably and audited. */
  async pause(by: string, reason: string, until: number | null): Promise<PauseStatus> {
    const now = this.host.clock();
    const pause: RuntimePause = { by, reason, at: new Date(now).toISOString(), until: until === null ? null : new Date(until).toISOString() };
    const message = `paused by ${by}${pause.until ? ` until ${pause.until}` : ' until resumed'}: ${reason}`;
    await this.host.state.commit([[PAUSE_KEY, pause]], [this.event(now, 'paused', message, { ...pause })]);
    this.host.log.warn({ by, reason, until: pause.until }, 'paused through the API: no new action runs');
    this.arm();
    return this.status();
  }

  /** Lifts the API's pause; null when there was none in force (nothing changes then). */
  async resume(by: string, reason: string): Promise<PauseStatus | null> {
    const now = this.host.clock();
    const was = this.current(now);
    if (!was) return null;
    const still = this.host.active()?.set.settings.paused ? '; homeostat.yaml still sets paused: true' : '';
    await this.host.state.commit([[PAUSE_KEY, null]], [this.event(now, 'resumed', `resumed by ${by}: ${reason} (paused by ${was.by} at ${was.at}: ${was.reason})${still}`, { by, reason, paused: was })]);
    this.host.log.info({ by, reason }, 'resumed through the API');
    this.stop();
    return this.status();
  }

  private event(now: number, name: 'paused' | 'resumed', message: string, details: Record<string, unknown>) {
    return eventEntry(newEntryId(now), now, this.host.active()?.set.revision ?? 'none', name, message, details);
  }

  /** A pause with an `until` is lifted then, and its end audited. */
  private arm(delayMs?: number): void {
    this.stop();
    const pause = this.host.state.get<RuntimePause>(PAUSE_KEY);
    if (!pause?.until) return;
    const wait = delayMs ?? Date.parse(pause.until) - this.host.clock();
    this.timer = setTimeout(() => void this.expire(), Math.min(MAX_TIMER_MS, Math.max(0, wait)));
    this.timer.unref();
  }

  private async expire(): Promise<void> {
    this.timer = null;
    const now = this.host.clock();
    const pause = this.host.state.get<RuntimePause>(PAUSE_KEY);
    if (!pause?.until) return;
    if (Date.parse(pause.until) > now) return this.arm();
    try {
      await this.host.state.commit([[PAUSE_KEY, null]], [this.event(now, 'resumed', `resumed by ${ENGINE}: the pause by ${pause.by} ended at ${pause.until}: ${pause.reason}`, { by: ENGINE, reason: `until ${pause.until} passed`, paused: pause })]);
      this.host.log.info({ pausedBy: pause.by, until: pause.until }, 'pause ended: its until passed');
    } catch (error) {
      this.host.log.warn({ err: error }, 'the end of the pause could not be journaled yet; trying again');
      this.arm(RETRY_MS);
    }
  }
}
