/**
 * Runs decided actions: a queue with bounded concurrency and one action at a time per target.
 * An action starts only once its intent is committed to the audit repository (audited before
 * it runs; a broken audit means nothing starts), its process group is journaled as soon as it
 * exists, and its outcome is journaled and committed when it ends. At shutdown, queued actions
 * are recorded as interrupted, never left to a restart to run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { ACTION_TYPES } from '../actions/registry.js';
import { notStarted } from '../actions/outcome.js';
import type { RunResult } from '../actions/types.js';
import type { AuditEntry, Outcome } from '../audit/entry.js';
import type { Journal } from '../audit/journal.js';
import { processStartTime } from '../exec/exec.js';
import type { Auditor } from './auditor.js';
import type { Job } from './intake.js';
import type { Metrics } from './metrics.js';

export interface ExecutorOptions {
  concurrency: number;
  /** Where each run gets its scratch directory. */
  workRoot: string;
  secrets: readonly string[];
  journal: Journal;
  auditor: Auditor;
  log: Logger;
  metrics: Metrics;
  clock?: () => number;
  /** Called with each entry as it changes (the recent-actions view). */
  onEntry?(entry: AuditEntry): void;
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
  private readonly running = new Map<string, { abort: AbortController; done: Promise<void>; repoDir: string }>();
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
      const done = this.execute(queued, abort.signal).finally(() => {
        this.busyTargets.delete(target);
        this.running.delete(queued.job.entry.id);
        this.options.metrics.running.set(this.running.size);
        this.pump();
      });
      this.running.set(queued.job.entry.id, { abort, done, repoDir: queued.repoDir });
    }
    this.options.metrics.queueDepth.set(this.queue.length);
    this.options.metrics.running.set(this.running.size);
  }

  private async execute({ job, committed, repoDir }: Queued, signal: AbortSignal): Promise<void> {
    const { entry, alert, action } = job;
    const { log, metrics, journal } = this.options;
    await Promise.race([committed, aborted(signal)]); // audited before it runs
    if (signal.aborted || this.stopping) {
      await this.finish(job, interrupted(entry, this.clock(), 'not run: the engine was stopping'));
      return;
    }
    const type = ACTION_TYPES.get(entry.type!)!;
    const dryRun = entry.verdict === 'dry-run';
    const startedAt = this.clock();
    let result: RunResult;
    if (!type.run) {
      result = notExecuted(entry, dryRun);
    } else {
      const workDir = mkdtempSync(join(this.options.workRoot, `${entry.id}-`));
      log.info({ id: entry.id, policy: entry.policy, action: entry.action, target: entry.target, dryRun }, 'action started');
      try {
        result = await type.run({
          repoDir,
          workDir,
          params: (entry.params ?? {}) as Record<string, unknown>,
          target: entry.target!,
          alert,
          dryRun,
          timeoutMs: action.timeoutMs,
          secrets: this.options.secrets,
          signal,
          onSpawn: async (pgid) => {
            const { durable } = journal.append([{ t: 'started', id: entry.id, pgid, leaderStart: processStartTime(pgid) }]);
            await durable;
          },
        });
      } catch (error) {
        // run() rejects only when its process group could not be journaled (onSpawn): the
        // group has been ended by then, so the action did not complete.
        result = { ...notStarted(`interrupted: ${(error as Error).message}`, []), outcome: 'interrupted' };
      } finally {
        rmSync(workDir, { recursive: true, force: true });
      }
    }
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
      },
    };
    log[result.outcome === 'succeeded' ? 'info' : 'warn']({ id: entry.id, policy: entry.policy, target: entry.target, outcome: result.outcome, reason: result.reason, durationMs: result.durationMs }, 'action ended');
    await this.finish(job, ended);
  }

  private async finish(job: Job, ended: AuditEntry): Promise<void> {
    this.options.onEntry?.(ended);
    try {
      const { seqs, durable } = this.options.journal.append([{ t: 'entry', entry: ended }]);
      await durable;
      // The slot is free once the outcome is durable; its commit follows in the next batch.
      void this.options.auditor.enqueue(seqs[0]!, ended);
    } catch (error) {
      // The journal is broken: readiness says so; the restart records this run as interrupted.
      this.options.log.error({ err: error, id: ended.id }, 'cannot journal the outcome of an action');
    }
  }

  /**
   * Stops starting actions; running ones get until `deadline`, then their process groups are
   * ended. Queued actions are recorded as interrupted. Resolves when every outcome is journaled.
   */
  async stop(deadline: number): Promise<void> {
    this.stopping = true;
    const queued = this.queue.splice(0);
    this.options.metrics.queueDepth.set(0);
    const recorded = queued.map(({ job }) => this.finish(job, interrupted(job.entry, this.clock(), 'not run: the engine stopped before it started')));
    const running = [...this.running.values()];
    const timer = setTimeout(() => running.forEach((r) => r.abort.abort()), Math.max(0, deadline - this.clock()));
    await Promise.all([...recorded, ...running.map((r) => r.done)]);
    clearTimeout(timer);
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

/** Types without an executor: a dry run says what it would do; a live run is not pretended. */
function notExecuted(entry: AuditEntry, dryRun: boolean): RunResult {
  if (dryRun) return { ...notStarted('', []), outcome: 'succeeded', output: `dry run: ${entry.description ?? entry.type}`, reason: null };
  return notStarted(`the ${entry.type} action type is not executed by this version of homeostat; run it in dry-run`, []);
}
