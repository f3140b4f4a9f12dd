/**
 * engine/breaker/: the storm breaker. breaker.ts counts and decides (pure), summary.ts says it
 * in the audit, and this service runs it in the engine: it is told each payload's alerts as
 * they arrive, gives decide a watch, records each opening and closing in the engine's turn
 * (audit entries and the state store's key `breaker`, in one journal append), queues the one
 * summary notification to the executor, and closes the breaker on time when nothing arrives.
 * It does not decide actions, and writes nothing outside the engine's journal and executor.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { Gauge } from 'prom-client';
import type { Alert } from '../alerts/payload.js';
import type { AuditEntry } from '../audit/entry.js';
import { newEntryId } from '../audit/entry.js';
import type { StormNotice } from '../actions/types.js';
import type { CompiledAction, OutboundSettings, PolicySet, ResolvedSettings, StormBreakerSettings } from '../policy/types.js';
import type { StateChange } from '../state/store.js';
import { StormBreaker } from './breaker.js';
import type { BreakerState } from './breaker.js';
import type { StormWatch } from '../plan/decide.js';
import { transitionEntries } from './summary.js';

/** The state store's key. */
export const BREAKER_KEY = 'breaker';
/** setTimeout's longest delay; a later close is re-armed when it fires. */
const MAX_DELAY_MS = 2 ** 31 - 1;

/** The summary notification to run: the executor's job, less the alert it does not have. */
export interface SummaryJob {
  entry: AuditEntry;
  storm: StormNotice;
  action: CompiledAction;
  outbound: OutboundSettings;
  settings: ResolvedSettings;
}

export interface BreakerHost {
  clock(): number;
  log: Logger;
  registry: Registry;
  /** `serve --dry-run`: the summary is not sent. */
  dryRun: boolean;
  secrets(): readonly string[];
  /** The active policy set and the folder of its files; null before one is active. */
  active(): { set: PolicySet; root: string } | null;
  /** Runs `task` in the engine's turn, the one payloads are decided in. */
  turn(task: () => Promise<void>): Promise<void>;
  /** The state store's commit: the changes and the entries that record them, durable together. */
  commit(changes: readonly StateChange[], entries: readonly AuditEntry[]): Promise<void>;
  /** Resolves when a committed entry is in the audit repository (an intent before its run). */
  committed(entry: AuditEntry): Promise<void>;
  submit(job: SummaryJob, committed: Promise<void>, repoDir: string): void;
}

export class BreakerService {
  private readonly breaker: StormBreaker;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly host: BreakerHost, restored: BreakerState | null) {
    this.breaker = new StormBreaker(restored, newEntryId);
    const breaker = this.breaker;
    new Gauge({
      name: 'homeostat_storm_breaker_open',
      help: 'The storm breaker: 1 while it is open (new disruptive actions refused), else 0.',
      registers: [host.registry],
      collect() {
        this.set(breaker.state ? 1 : 0);
      },
    });
  }

  private settings(): StormBreakerSettings | null {
    return this.host.active()?.set.settings.stormBreaker ?? null;
  }

  /**
   * A payload's alerts as they arrive (before they are decided). True when the breaker opened
   * or closed: the payload must then be decided in a turn, which records it (flush).
   */
  observe(alerts: readonly Alert[], now: number): boolean {
    if (!this.host.active()) return false;
    this.breaker.observe(alerts, this.settings(), now);
    return this.breaker.changed;
  }

  /** What decide is given for a payload decided at `now`. */
  watch(now: number): StormWatch | null {
    return this.breaker.watch(this.settings(), now);
  }

  /**
   * Records the openings and closings since the last flush, and the open state when it moved
   * (its last loud moment): in the engine's turn. Resolves once durable; the summary is then
   * queued to run once its intent is committed.
   */
  async flush(now: number): Promise<void> {
    const active = this.host.active();
    if (!active) return;
    const { transitions, moved } = this.breaker.drain();
    if (transitions.length === 0 && moved === null) return;
    const options = { now, revision: active.set.revision, dryRun: this.host.dryRun, secrets: this.host.secrets() };
    const entries: AuditEntry[] = [];
    const jobs: SummaryJob[] = [];
    for (const transition of transitions) {
      const made = transitionEntries(transition, active.set.settings, options);
      entries.push(...made.entries);
      if (transition.kind === 'opened' && made.job) {
        const { settings } = active.set;
        jobs.push({ entry: made.job.entry, storm: made.job.storm, action: transition.settings.notify, outbound: settings.outbound, settings });
      }
      this.host.log.warn({ breaker: transition.kind, id: transition.state.id, alerts: transition.state.alerts, targets: transition.state.targets, trigger: transition.state.trigger }, transition.kind === 'opened' ? 'storm breaker opened' : 'storm breaker closed');
    }
    await this.host.commit([[BREAKER_KEY, this.breaker.state]], entries);
    for (const job of jobs) this.host.submit(job, this.host.committed(job.entry), active.root);
    this.arm();
  }

  /** Called when a policy set becomes active: the close may now be due, or its time changed. */
  activated(): void {
    this.arm();
  }

  /** GET /api/v1/status: whether it is set up, open, since when, until when at the earliest, and the counts now. */
  status(now: number) {
    const settings = this.settings();
    const state = this.breaker.state;
    const counted = this.breaker.counts(now);
    return {
      configured: settings !== null,
      open: state !== null,
      ...(settings ? { thresholds: { alerts: settings.alerts, targets: settings.targets, per: settings.per, quietFor: settings.quietFor } } : {}),
      window: counted,
      ...(state
        ? {
            id: state.id,
            since: new Date(state.openedAt).toISOString(),
            trigger: state.trigger,
            alerts: state.alerts,
            targets: state.targets,
            alertnames: state.alertnames,
            lastLoud: new Date(state.loudAt).toISOString(),
            closesAt: settings ? new Date(state.loudAt + settings.quietForMs).toISOString() : null,
          }
        : {}),
    };
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** A timer for the time it closes if nothing more arrives. */
  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.stopped || !this.host.active()) return;
    const at = this.breaker.closesAt(this.settings());
    if (at === null) return;
    this.timer = setTimeout(() => this.tick(), Math.min(MAX_DELAY_MS, Math.max(0, at - this.host.clock())));
    this.timer.unref();
  }

  private tick(): void {
    this.timer = null;
    this.host
      .turn(async () => {
        const now = this.host.clock();
        this.breaker.closeIfDue(this.settings(), now);
        await this.flush(now);
      })
      .catch((error: Error) => this.host.log.error({ err: error }, 'storm breaker: recording its close failed; tried again at the next alert'))
      .finally(() => this.arm());
  }
}
