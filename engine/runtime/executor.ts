/**
 * Runs decided actions: a queue with bounded concurrency and one action at a time per target.
 * An action starts only once its intent is committed to the audit repository (audited before
 * it runs; a broken audit means nothing starts) and while the journal can be written (a full
 * disk: it waits for the journal to heal), its process group is journaled as soon as it
 * exists, and its outcome is journaled and committed when it ends (a run under way when the
 * disk fills keeps its slot until its outcome is written). At shutdown, queued actions are
 * recorded as interrupted, never left to a restart to run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { ACTION_TYPES } from '../actions/registry.js';
import { notStarted } from '../actions/outcome.js';
import type { RunResult } from '../actions/types.js';
import type { KubeClient } from '../kube/index.js';
import type { AuditEntry, Outcome } from '../audit/entry.js';
import type { Journal } from '../audit/journal.js';
import { processStartTime } from '../exec/exec.js';
import type { Auditor } from './auditor.js';
import type { Job } from './intake.js';
import type { Metrics } from './metrics.js';
import { notificationsOf } from './notify.js';
import type { Notifications } from './notify.js';
import { touchedNames } from '../plan/node-guards.js';
import type { UnderAction } from '../plan/node-guards.js';

export interface ExecutorOptions {
  concurrency: number;
  /** Where each run gets its scratch directory. */
  workRoot: string;
  /** Read at each run: a rotated token is masked from then on. */
  secrets: () => readonly string[];
  journal: Journal;
  auditor: Auditor;
  log: Logger;
  metrics: Metrics;
  clock?: () => number;
  /** `serve --external-url`: notifications link to audit entries under it. */
  externalUrl?: string | null;
  /** Called with each entry as it changes (the recent-actions view). */
  onEntry?(entry: AuditEntry): void;
  /** The cluster the kubernetes actions act on; throws, naming the fix, when none is configured. */
  kube?: () => KubeClient;
}

interface Running {
  abort: AbortController;
  /** Its outcome is journaled (or could not be). */
  done: Promise<void>;
  /** Its process, if any, has ended: what is left is journaling its outcome. */
  ended: Promise<void>;
  repoDir: string;
  job: Job;
}

interface Queued {
  job: Job;
  committed: Promise<void>;
  /** The files of the revision that decided the job: its playbooks and scripts run from there. */
  repoDir: string;
}

export class Executor {
  private readonly queue: Queued[] = [];
  private readonly busyTargets = new Set<string>();
  private readonly running = new Map<string, Running>();
  private stopping = false;
  private readonly clock: () => number;

  constructor(private readonly options: ExecutorOptions) {
    this.clock = options.clock ?? Date.now;
  }

  get depth(): number {
    return this.queue.length;
  }

  get active(): number {
    return this.running.size;
  }

  /** The folders queued and running actions take their files from: not to be removed. */
  repoDirsInUse(): Set<string> {
    return new Set([...this.queue.map((q) => q.repoDir), ...[...this.running.values()].map((r) => r.repoDir)]);
  }

  /** Node-disruptive actions queued or running: they hold their node out of minHealthy's budget (plan/node-guards.ts). */
  underAction(): UnderAction[] {
    const of = (job: Job, state: UnderAction['state']): UnderAction[] =>
      job.action.disruptsNode && typeof job.entry.target === 'string' ? [{ policy: job.entry.policy ?? job.entry.schedule?.name ?? '', action: job.action.name, target: job.entry.target, touches: touchedNames(job.action.type, job.entry.params ?? {}), state }] : [];
    return [...[...this.running.values()].flatMap((r) => of(r.job, 'running')), ...this.queue.flatMap((q) => of(q.job, 'queued'))];
  }

  /**
   * Queues a job whose intent is journaled; `committed` resolves when the intent is in git.
   * `repoDir` holds the files of the revision that decided it, which a later activation
   * does not change.
   */
  submit(job: Job, committed: Promise<void>, repoDir: string): void {
    this.queue.push({ job, committed, repoDir });
    this.options.metrics.queueDepth.set(this.queue.length);
    this.pump();
  }

  private pump(): void {
    if (this.stopping) return;
    for (let i = 0; i < this.queue.length && this.running.size < this.options.concurrency; ) {
      const queued = this.queue[i]!;
      const target = targetKey(queued.job);
      if (this.busyTargets.has(target)) {
        i++;
        continue;
      }
      this.queue.splice(i, 1);
      this.busyTargets.add(target);
      const abort = new AbortController();
      let onEnded!: () => void;
      const ended = new Promise<void>((resolve) => (onEnded = resolve));
      const done = this.execute(queued, abort.signal, onEnded).finally(() => {
        this.busyTargets.delete(target);
        this.running.delete(queued.job.entry.id);
        this.options.metrics.running.set(this.running.size);
        this.pump();
      });
      this.running.set(queued.job.entry.id, { abort, done, ended, repoDir: queued.repoDir, job: queued.job });
    }
    this.options.metrics.queueDepth.set(this.queue.length);
    this.options.metrics.running.set(this.running.size);
  }

  private async execute({ job, committed, repoDir }: Queued, signal: AbortSignal, onEnded: () => void): Promise<void> {
    const { entry } = job;
    const { log, metrics, journal } = this.options;
    await Promise.race([committed, aborted(signal)]); // audited before it runs
    if (journal.broken && !signal.aborted) {
      // Its start could not be journaled, and a run the journal does not know of is one a
      // restart can neither end nor audit: it waits, as the webhook does, for the journal.
      log.warn({ id: entry.id, policy: entry.policy, target: entry.target, reason: journal.broken.message }, 'action waits: the journal cannot be written');
      await Promise.race([journal.whenWritable(), aborted(signal)]);
    }
    if (signal.aborted || this.stopping) {
      onEnded();
      await this.finish(job, interrupted(entry, this.clock(), 'not run: the engine was stopping'));
      return;
    }
    const dryRun = entry.verdict === 'dry-run';
    const startedAt = this.clock();
    const result = await this.run(job, repoDir, signal, dryRun);
    onEnded();
    const endedAt = this.clock();
    metrics.actions.inc({ type: entry.type!, outcome: result.outcome });
    metrics.actionDuration.observe({ type: entry.type! }, (endedAt - startedAt) / 1000);
    const ended: AuditEntry = {
      ...entry,
      outcome: result.outcome,
      reason: result.reason,
      execution: {
        startedAt: new Date(startedAt).toISOString(),
        endedAt: new Date(endedAt).toISOString(),
        durationMs: result.durationMs,
        exitCode: result.exitCode,
        signal: result.signal,
        pgid: result.pgid,
        dryRun,
        command: result.command,
        output: result.output,
        outputTruncated: result.outputTruncated,
        ...(result.details ? { details: result.details } : {}),
      },
    };
    log[result.outcome === 'succeeded' ? 'info' : 'warn']({ id: entry.id, policy: entry.policy, target: entry.target, outcome: result.outcome, reason: result.reason, durationMs: result.durationMs }, 'action ended');
    // A routine job's run has no alert to notify about (lint refuses notify: on a schedule's actions).
    const notifications = job.alert === null ? { entries: [], jobs: [] } : notificationsOf(ended, job.action, job.alert, {
      now: endedAt, secrets: this.options.secrets(), externalUrl: this.options.externalUrl ?? null, ...(job.outbound ? { outbound: job.outbound } : {}),
    });
    await this.finish(job, ended, notifications, repoDir);
  }

  private async run({ entry, alert, run, storm, action, outbound, parentOutcome, settings }: Job, repoDir: string, signal: AbortSignal, dryRun: boolean): Promise<RunResult> {
    const { log, journal } = this.options;
    const type = ACTION_TYPES.get(entry.type!)!;
    let workDir: string;
    try {
      workDir = mkdtempSync(join(this.options.workRoot, `${entry.id}-`));
    } catch (error) {
      // A disk that is full before any journal write has failed: nothing has started.
      return notStarted(`not started: cannot create its work directory: ${(error as Error).message}`, []);
    }
    log.info({ id: entry.id, policy: entry.policy, action: entry.action, target: entry.target, dryRun }, 'action started');
    try {
      return await type.run({
        repoDir,
        workDir,
        params: (entry.params ?? {}) as Record<string, unknown>,
        target: entry.target ?? '',
        alert,
        ...(run ? { run } : {}),
        ...(storm ? { storm } : {}),
        dryRun,
        timeoutMs: action.timeoutMs,
        secrets: this.options.secrets(),
        signal,
        entry: { id: entry.id, policy: entry.policy!, action: entry.action!, revision: entry.revision },
        outbound: { allowHosts: outbound?.allowHosts ?? [], pagerdutyEventsUrl: outbound?.pagerdutyEventsUrl ?? null, externalUrl: this.options.externalUrl ?? null },
        ...(parentOutcome ? { parent: parentOutcome } : {}),
        settings,
        ...(this.options.kube ? { kube: this.options.kube } : {}),
        // While the disk is full this waits (the process runs meanwhile) until the record is
        // written; it fails only if the journal is closed first (a shutdown).
        onSpawn: async (pgid) => {
          const { durable } = journal.append([{ t: 'started', id: entry.id, pgid, leaderStart: processStartTime(pgid) }]);
          durable.catch(() => undefined); // dropped only if the journal closes first
          // While the disk is full this waits; at shutdown the deadline's abort ends the wait,
          // so that stop() never waits on a disk that may not come back.
          await Promise.race([durable, aborted(signal)]);
        },
      });
    } catch (error) {
      // run() rejects only when its process group could not be journaled (onSpawn): the
      // group has been ended by then, so the action did not complete.
      return { ...notStarted(`interrupted: ${(error as Error).message}`, []), outcome: 'interrupted' };
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  }

  /**
   * Journals the outcome, and the intents of the notify actions it calls for ahead of it in
   * the same append: a crash keeps them with it or loses them with it, and a restart records a
   * notify it finds without an outcome as interrupted, never sending it twice.
   */
  private async finish(job: Job, ended: AuditEntry, notifications: Notifications | null = null, repoDir = ''): Promise<void> {
    const intents = notifications?.entries ?? [];
    this.options.onEntry?.(ended);
    for (const intent of intents) this.options.onEntry?.(intent);
    try {
      const { seqs, durable } = this.options.journal.append([...intents, ended].map((entry) => ({ t: 'entry' as const, entry })));
      await durable;
      // The slot is free once the outcome is durable; its commit follows in the next batch.
      const committed = intents.map((intent, i) => this.options.auditor.enqueue(seqs[i]!, intent));
      void this.options.auditor.enqueue(seqs[intents.length]!, ended);
      await Promise.all((notifications?.jobs ?? []).map((notify) => this.submitNotify(notify, committed[intents.indexOf(notify.entry)]!, repoDir)));
    } catch (error) {
      // The journal was closed first (a shutdown while the disk was full): the restart records
      // this run as interrupted, the outcome it had being lost with the rest of what was pending.
      this.options.log.error({ err: error, id: ended.id, outcome: ended.outcome }, 'cannot journal the outcome of an action');
    }
  }

  /** A notify decided while the engine stops is recorded as interrupted at once, never left queued. */
  private async submitNotify(job: Job, committed: Promise<void>, repoDir: string): Promise<void> {
    if (this.stopping) await this.finish(job, interrupted(job.entry, this.clock(), 'not run: the engine stopped before it started'));
    else this.submit(job, committed, repoDir);
  }

  /**
   * Stops starting actions; running ones get until `deadline`, then their process groups are
   * ended. Queued actions are recorded as interrupted. Resolves when every outcome is journaled,
   * or, on a disk that stays full, once every process has ended and the deadline has passed:
   * Journal.close() then decides what becomes of the outcomes still waiting.
   */
  async stop(deadline: number): Promise<void> {
    this.stopping = true;
    const queued = this.queue.splice(0);
    this.options.metrics.queueDepth.set(0);
    const recorded = queued.map(({ job }) => this.finish(job, interrupted(job.entry, this.clock(), 'not run: the engine stopped before it started')));
    const running = [...this.running.values()];
    const timer = setTimeout(() => running.forEach((r) => r.abort.abort()), Math.max(0, deadline - this.clock()));
    const stop = { settled: false };
    await Promise.race([Promise.all([...recorded, ...running.map((r) => r.done)]), this.journalStuck(running, deadline, stop)]);
    stop.settled = true;
    clearTimeout(timer);
  }

  /** Resolves when all that is left to wait for is a journal that cannot be written. */
  private async journalStuck(running: readonly Running[], deadline: number, stop: { settled: boolean }): Promise<void> {
    await Promise.all(running.map((r) => r.ended));
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, deadline - this.clock())).unref());
    await this.options.journal.whenBroken();
    if (!stop.settled) this.options.log.error({ waiting: this.running.size }, 'stopping with outcomes not journaled: the journal cannot be written');
  }
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

function targetKey(job: Job): string {
  return job.entry.target ?? job.entry.id;
}

export function interrupted(entry: AuditEntry, now: number, reason: string, pgid: number | null = null): AuditEntry {
  return {
    ...entry,
    outcome: 'interrupted' satisfies Outcome,
    reason,
    execution: entry.execution ?? {
      startedAt: new Date(now).toISOString(),
      endedAt: new Date(now).toISOString(),
      durationMs: 0,
      exitCode: null,
      signal: null,
      pgid,
      dryRun: entry.verdict === 'dry-run',
      command: [],
      output: '',
      outputTruncated: false,
    },
  };
}

