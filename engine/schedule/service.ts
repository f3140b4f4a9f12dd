/**
 * The routine jobs as the engine runs them: the scheduler's due times and the run-now requests
 * become decided runs (targets listed, concurrencyPolicy and guards checked, entries audited,
 * jobs queued on the engine's executor), and what is in flight is tracked for Forbid and the
 * metrics. The engine (runtime/engine.ts) is its host: the turn, the guards' ledger, the
 * journal, the audit and the executor stay there, shared with the alerts' actions, so that a
 * run and an alert's action on one target share its lock, its cooldown and the blast radius.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { AuditEntry } from '../audit/entry.js';
import type { StormView } from '../plan/guards.js';
import type { GuardLedger } from '../plan/ledger.js';
import type { RuntimePause } from '../plan/guards.js';
import type { GuardFacts } from '../plan/node-guards.js';
import type { CompiledSchedule, PolicySet } from '../policy/types.js';
import { missedEntries, planRun } from './plan.js';
import type { PlannedJob, RunRequest } from './plan.js';
import { Scheduler } from './scheduler.js';
import type { DueRun } from './scheduler.js';
import type { DueMark } from './keys.js';
import { scheduleMetrics } from './metrics.js';
import type { ScheduleMetrics } from './metrics.js';
import { resolveTargets } from './targets.js';

export interface ScheduleHost {
  clock(): number;
  log: Logger;
  registry: Registry;
  /** Every action in dry-run (`serve --dry-run`). */
  dryRun: boolean;
  workRoot: string;
  secrets(): readonly string[];
  /** The active revision and where its files are; null when none is. */
  active(): { set: PolicySet; root: string } | null;
  /** The pause thrown through the engine's API, if any: the paused guard holds runs too. */
  pause?(): RuntimePause | null;
  /**
   * Runs `decide` in the engine's turn with the guards' ledger, journals the entries it returns
   * with what it taught the ledger and the `seen` keys, and resolves once that is durable, with
   * each entry's audit commit; rejects when nothing can be decided durably now.
   */
  decide(decide: (ledger: GuardLedger, now: number, storm: StormView | null) => { entries: AuditEntry[]; seen: string[] }): Promise<Map<string, Promise<void>>>;
  /** What the node guards need to know for deciding these schedules' runs (engine/health/), read before the turn. */
  guardFacts?(set: PolicySet, root: string, schedules: readonly CompiledSchedule[]): Promise<GuardFacts>;
  /** Queues a job on the executor, to start once `committed`. */
  submit(job: PlannedJob & { alert: null }, committed: Promise<void>, repoDir: string): void;
}

/** A run-now request the engine refuses: `status` is the HTTP status it answers. */
export class RunRefused extends Error {
  constructor(message: string, readonly status: 400 | 404 | 503) {
    super(message);
  }
}

export interface RunNow {
  target?: string;
  /** Who asked, as the request said. */
  by: string;
}

export class ScheduleService {
  private readonly scheduler: Scheduler;
  private readonly metrics: ScheduleMetrics;
  /** Entry ids queued or running, by "schedule\0target". */
  private readonly inFlight = new Map<string, Set<string>>();
  private readonly abort = new AbortController();

  constructor(private readonly host: ScheduleHost, restored: Map<string, DueMark>) {
    this.metrics = scheduleMetrics(host.registry);
    this.scheduler = new Scheduler(
      {
        clock: host.clock,
        log: host.log,
        dispatch: (due) => this.runDue(due),
        mark: async (keys) => void (await host.decide(() => ({ entries: [], seen: keys }))),
      },
      restored,
    );
  }

  /** Takes the schedules of a newly active revision, all at once. */
  async activate(schedules: readonly CompiledSchedule[]): Promise<void> {
    await this.scheduler.activate(schedules);
    this.metrics.nextRun.reset();
    this.updateNext();
  }

  /** The schedules and when each is next due. */
  list(): { name: string; cron: string; timezone: string; next: string | null; lastDue: string }[] {
    return this.scheduler.list().map(({ schedule, next, last }) => ({
      name: schedule.name, cron: schedule.cron, timezone: schedule.timezone,
      next: next === null ? null : new Date(next).toISOString(), lastDue: new Date(last).toISOString(),
    }));
  }

  /** Runs a schedule now, on one of its targets or all; the entries decided (their outcomes follow). */
  async runNow(name: string, request: RunNow): Promise<AuditEntry[]> {
    const schedule = this.scheduler.get(name);
    if (!schedule) throw new RunRefused(`no schedule named '${name}' in the active revision`, 404);
    const active = this.requireActive();
    let targets = await resolveTargets(schedule, this.targetContext(active.root));
    if (request.target !== undefined) {
      if (!Array.isArray(targets)) throw new RunRefused(`cannot list the targets of ${name}: ${(targets as { error: string }).error}`, 503);
      if (!targets.includes(request.target)) throw new RunRefused(`'${request.target}' is not a target of schedule ${name} (${targets.join(', ')})`, 400);
      targets = [request.target];
    }
    const now = this.host.clock();
    return this.decideRuns([{ schedule, revision: active.set.revision, trigger: 'manual', due: now, by: request.by, targets }], null);
  }

  /** Told of every entry as it changes (the executor's onEntry): ended runs leave the in-flight set. */
  ended(entry: AuditEntry): void {
    if (entry.kind !== 'run' || entry.outcome === null || entry.outcome === undefined) return;
    const key = `${entry.schedule!.name}\0${entry.target}`;
    const ids = this.inFlight.get(key);
    if (ids?.delete(entry.id) && ids.size === 0) this.inFlight.delete(key);
    this.count(entry);
  }

  stop(): void {
    this.scheduler.stop();
    this.abort.abort();
  }

  private async runDue(due: DueRun): Promise<void> {
    const active = this.requireActive();
    const { schedule, owed } = due;
    const revision = active.set.revision;
    const targets = await resolveTargets(schedule, this.targetContext(active.root));
    const missed = owed.missed ? missedEntries({ schedule, revision, trigger: 'cron', due: owed.missed.last, targets }, owed.missed, this.host.clock()) : [];
    const requests = owed.run.map((at): RunRequest => ({ schedule, revision, trigger: 'cron', due: at, by: null, targets }));
    await this.decideRuns(requests, { entries: missed, key: due.key });
    this.updateNext();
  }

  /**
   * Plans the runs in one turn of the engine and journals them in one write with the due key,
   * then queues their jobs. concurrencyPolicy looks at what was in flight before: due times a
   * stop left owing run one after the other, under the target's lock.
   */
  private async decideRuns(requests: readonly RunRequest[], cron: { entries: AuditEntry[]; key: string } | null): Promise<AuditEntry[]> {
    const active = this.requireActive();
    const jobs: PlannedJob[] = [];
    const entries: AuditEntry[] = [...(cron?.entries ?? [])];
    const facts = await this.host.guardFacts?.(active.set, active.root, requests.map((r) => r.schedule));
    const committed = await this.host.decide((ledger, now, storm) => {
      const options = { now, settings: active.set.settings, pause: this.host.pause?.() ?? null, dryRun: this.host.dryRun, ledger, secrets: this.host.secrets(), facts, busy: (s: string, t: string) => this.inFlight.has(`${s}\0${t}`), storm };
      for (const request of requests) {
        const plan = planRun(request, options);
        jobs.push(...plan.jobs);
        entries.push(...plan.entries);
      }
      return { entries, seen: cron ? [cron.key] : [] };
    });
    for (const entry of entries) if (entry.outcome !== null) this.count(entry);
    for (const job of jobs) {
      const key = `${job.run.schedule}\0${job.entry.target}`;
      let ids = this.inFlight.get(key);
      if (!ids) this.inFlight.set(key, (ids = new Set()));
      ids.add(job.entry.id);
      this.host.submit({ ...job, alert: null }, committed.get(job.entry.id)!, active.root);
    }
    for (const r of requests) this.host.log.info({ schedule: r.schedule.name, trigger: r.trigger, due: new Date(r.due).toISOString(), jobs: jobs.length, entries: entries.length }, 'scheduled run decided');
    return entries;
  }

  private requireActive(): { set: PolicySet; root: string } {
    const active = this.host.active();
    if (!active) throw new RunRefused('no valid policy revision is active', 503);
    return active;
  }

  private targetContext(repoDir: string) {
    return { repoDir, workRoot: this.host.workRoot, secrets: this.host.secrets(), signal: this.abort.signal };
  }

  private count(entry: AuditEntry): void {
    const schedule = entry.schedule!.name;
    this.metrics.runs.inc({ schedule, outcome: entry.outcome! });
    if (entry.outcome === 'succeeded') this.metrics.lastSuccess.set({ schedule }, Date.parse(entry.execution?.endedAt ?? entry.at) / 1000);
  }

  private updateNext(): void {
    for (const { schedule, next } of this.scheduler.list()) if (next !== null) this.metrics.nextRun.set({ schedule: schedule.name }, next / 1000);
  }
}
