/**
 * The engine behind `homeostat serve`: journal, audit repository, guards' memory, policy set
 * and executor, wired together. It owns the order of things — journal before answer, audit
 * commit before action, outcome after — and start-up recovery; the HTTP layer only calls it.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { GroupInfo, SplitPayload } from '../alerts/payload.js';
import type { AuditEntry } from '../audit/entry.js';
import { newEntryId } from '../audit/entry.js';
import { Journal } from '../audit/journal.js';
import type { NewRecord } from '../audit/journal.js';
import { lazyKubeClient } from '../kube/index.js';
import type { EngineConfig } from '../config/serve-config.js';
import type { HeldLock } from '../exec/exec.js';
import { Auditor } from './auditor.js';
import type { Appended } from './append-parts.js';
import { appendInParts } from './append-parts.js';
import type { AuditSink } from './auditor.js';
import { Executor } from './executor.js';
import { decidePayload, RecordingLedger } from './intake.js';
import type { Intake } from './intake.js';
import { Turns } from './turns.js';
import { evaluateAll } from '../pipeline/simulate.js';
import { IndexedLedger } from '../plan/ledger.js';
import type { Metrics } from './metrics.js';
import { GitPolicySource } from './git-source.js';
import { LocalPolicySource } from './policies.js';
import type { ActiveSet, LoadReport, PolicySource } from './activation.js';
import { RecentActions } from './recent.js';
import { RemediationTracker } from './remediation.js';
import { interruptUnfinished, replay, snapshotOf } from './recovery.js';
import { claimDataDir } from './data-lock.js';
import { count } from '../util/count.js';
import { Evaluators } from './enrichment.js';
import { guardFactsReader } from './guard-facts.js';
import type { GuardFactsReader } from '../health/index.js';
import { factsNeeded, scheduleFactsNeeded } from '../plan/node-guards.js';
import type { GuardFacts } from '../plan/node-guards.js';
import { lastDue } from '../schedule/keys.js';
import { ScheduleService } from '../schedule/service.js';
import { RunHistory } from '../schedule/history.js';
import { AuditRepo } from '../audit/repo.js';
import { idStamp } from '../audit/filter.js';
import type { ScheduleHost } from '../schedule/service.js';
import { EmbeddedStateStore } from '../state/store.js';
import type { AppendState, StateChange, StateStore } from '../state/store.js';
import type { StormView } from '../plan/guards.js';
import { ApprovalService } from '../approvals/service.js';
import type { ApprovalHost } from '../approvals/host.js';
import { KillSwitch } from '../approvals/pause.js';
import { approvalMetrics } from '../approvals/metrics.js';
import { BREAKER_KEY, BreakerService } from '../breaker/service.js';
import type { BreakerState } from '../breaker/breaker.js';

const COMPACT_BYTES = 16 * 1024 * 1024;
/** Actions GET /api/v1/actions can show (the newest; the audit repository has them all). */
const RECENT_ACTIONS = 2_000;
const STARTUP_FLUSH_MS = 10_000;
/** Groups whose truncation is remembered, so that their re-sends are not audited again. */
const TRUNCATED_GROUPS = 10_000;

/** A payload's matches until it is decided. */
interface HeldMatches {
  matches: Awaited<ReturnType<typeof evaluateAll>> | null;
}

export class NotReadyError extends Error {}
/** Too much decided and not yet audited or run: refuse for now; Alertmanager retries a 5xx. */
export class OverloadedError extends NotReadyError {}

/**
 * Past this many entries waiting for git, or actions waiting to run, the webhook answers 503.
 * The audit's limit leaves room for what arrives while a large commit is written (about half
 * a second under a storm), so that a storm git keeps up with is not turned away; an entry
 * waits in memory at about 2 KB.
 */
export const AUDIT_BACKLOG_LIMIT = 40_000;
export const ACTION_BACKLOG_LIMIT = 10_000;

export interface EngineDeps {
  /** Token values to mask, read at each use: token files rotate, and old values stay masked. */
  secrets?: () => readonly string[];
  config: EngineConfig;
  log: Logger;
  metrics: Metrics;
  /** Opens the audit repository at DIR/audit (injected so tests can break it). */
  openAudit(dir: string, config: EngineConfig): Promise<AuditSink>;
  clock?: () => number;
  /**
   * Called when the data directory's lock is lost while the engine runs (its holder process
   * was killed). By default the process exits at once with code 1: another engine could now
   * start on the same directory, and a crash is what the journal already recovers from.
   */
  onLockLost?(why: string): void;
  /** How many actions memory keeps for GET /api/v1/actions and /runs (default 2,000; tests make it small). */
  recentActions?: number;
}

export interface ReceiveResult {
  alerts: number;
  decisions: number;
  duplicates: number;
  actions: number;
  revision: string;
  /** Alerts of the group Alertmanager did not send (max_alerts): never seen, never decided. */
  truncatedAlerts: number;
}

export class Engine {
  private stopping = false;
  private lockLost: string | null = null;
  private compacting: Promise<void> | null = null;
  /** A compaction waits for the entries of the payload that asked for it to be in git. */
  private compactionDue = false;
  /**
   * Payloads that may touch the guards' memory are decided one at a time, each until its
   * records are appended to the journal: a payload decided later finds what an earlier one
   * decided, and is acknowledged only once that is durable too (the journal writes in order).
   * The ledger is swapped (compact) in a turn of its own, never under a payload being decided.
   */
  private readonly turns = new Turns();
  /** A storm keeps most of the journal open: compact again only once it has doubled. */
  private compactAt = COMPACT_BYTES;
  readonly recent: RecentActions;
  /** The routine jobs' runs: memory's, then the audit repository's (schedule/history.ts). */
  readonly runHistory: RunHistory;
  /** The truncated count last audited, by group key (the newest TRUNCATED_GROUPS groups). */
  private readonly truncatedGroups = new Map<string, number>();
  readonly startedAt = new Date().toISOString();
  /** Each policy set's evaluator, with the Prometheus its enrichment asks (enrichment.ts). */
  private readonly evaluators: Evaluators;
  /** The routine jobs (engine/schedule/): their runs share this engine's turn, ledger, journal, audit and executor. */
  schedules!: ScheduleService;
  /** What the node guards know of the nodes (health, protected nodes), read before a payload is decided. */
  guardFacts!: GuardFactsReader;
  /** Durable state: the guards' memory and keyed state (approvals, pause, breaker); see engine/state/. */
  state!: StateStore;
  /** Pending approvals (engine/approvals/). */
  approvals!: ApprovalService;
  /** The pause thrown through the API (engine/approvals/pause.ts). */
  killSwitch!: KillSwitch;
  /** The storm breaker (engine/breaker/): told every payload's alerts, it can stop disruptive actions. */
  breaker!: BreakerService;
  /** Each entry journaled by record(): when it is committed to git (a job waits for its intent). */
  private readonly committedOf = new WeakMap<AuditEntry, Promise<void>>();
  /** Ends the recovery metrics' sweep timer. */
  private stopSweeping: () => void = () => undefined;

  private constructor(
    private readonly deps: EngineDeps,
    private readonly journal: Journal,
    private readonly auditor: Auditor,
    private ledger: IndexedLedger,
    private readonly executor: Executor,
    readonly policies: PolicySource,
    private readonly clock: () => number,
    /** Token values, masked in rendered parameters and in output. */
    private readonly secrets: () => readonly string[],
    private readonly lock: HeldLock,
    private readonly remediation: RemediationTracker,
  ) {
    this.evaluators = new Evaluators(deps.config.prometheusUrl ?? null, deps.metrics, deps.log);
    this.recent = new RecentActions(deps.recentActions ?? RECENT_ACTIONS, idStamp(new Date(clock())));
    const { dataDir, audit } = deps.config;
    // Read only, beside the engine's own commits (as `homeostat audit log` reads it).
    this.runHistory = new RunHistory(this.recent, () => AuditRepo.openReadOnly({ dir: join(dataDir, 'audit'), branch: audit.branch }));
  }

  /** Takes the data directory (data-lock.ts: one engine per directory), then starts in it. */
  static async start(deps: EngineDeps): Promise<Engine> {
    const lock = await claimDataDir(deps.config, deps.log);
    try {
      return await Engine.open(deps, lock);
    } catch (error) {
      await lock.release();
      throw error;
    }
  }

  private static async open(deps: EngineDeps, lock: HeldLock): Promise<Engine> {
    const { config, log, metrics } = deps;
    const clock = deps.clock ?? Date.now;
    const { journal, records } = Journal.open(join(config.dataDir, 'journal'), log);
    const state = replay(records);
    const sink = await deps.openAudit(join(config.dataDir, 'audit'), config);
    const auditor = new Auditor(sink, journal, log, metrics);
    const ledger = IndexedLedger.restore({ seen: state.seen, ledger: state.ledger }, clock);
    const workRoot = join(config.dataDir, 'work');
    mkdirSync(workRoot, { recursive: true });
    const fixed = [config.webhookToken, config.adminToken, config.syncToken].filter((t): t is string => t !== null);
    const secrets = deps.secrets ?? (() => fixed);
    let engine: Engine | null = null;
    const remediation = new RemediationTracker({ windowMs: config.remediationWindowMs, metrics, log, clock });
    const kube = lazyKubeClient({ kubeconfig: config.kube?.kubeconfig ?? null, context: config.kube?.context ?? null, env: process.env, cwd: process.cwd() });
    const executor = new Executor({
      concurrency: config.concurrency,
      workRoot,
      secrets,
      journal,
      auditor,
      log,
      metrics,
      clock,
      externalUrl: config.externalUrl ?? null,
      onEntry: (entry) => {
        engine?.recent.put(entry);
        engine?.schedules.ended(entry);
        // A notify reports on a remediation; it is not one (its success is not the parent's).
        if (entry.parent === undefined) remediation.ended(entry);
      },
      kube,
    });
    const onLoad = (report: LoadReport, active: ActiveSet | null, previous: ActiveSet | null) => engine?.onPolicyLoad(report, active, previous);
    const source = config.source;
    const policies: PolicySource =
      source.kind === 'git'
        ? new GitPolicySource({ ...source, cacheDir: join(config.dataDir, 'policies'), inUse: () => executor.repoDirsInUse() }, log, onLoad)
        : new LocalPolicySource(source.dir, log, onLoad);
    engine = new Engine(deps, journal, auditor, ledger, executor, policies, clock, secrets, lock, remediation);
    engine.state = new EmbeddedStateStore(state.kv, () => engine!.ledger, (entries, record) => engine!.record(entries, record), clock);
    engine.schedules = new ScheduleService(engine.scheduleHost(workRoot), lastDue(state.seen));
    engine.guardFacts = guardFactsReader(config, kube, workRoot, secrets, clock, log);
    const approvalHost = engine.approvalHost();
    engine.killSwitch = new KillSwitch(approvalHost);
    engine.approvals = new ApprovalService(approvalHost);
    approvalMetrics(metrics.registry, { pending: () => engine!.approvals.pending, paused: () => engine!.killSwitch.status().paused });
    engine.breaker = new BreakerService(engine.breakerHost(), engine.state.get<BreakerState>(BREAKER_KEY) ?? null);
    metrics.setReadiness(() => engine!.notReady().length === 0);
    metrics.setRemediationSweep(() => remediation.sweep());
    engine.stopSweeping = sweepEvery(remediation, config.remediationWindowMs);
    lock.onLost((why) => engine!.onLockLost(why));

    // What a crash left: commit what git lacks, oldest first, then close what never ended.
    for (const record of state.uncommitted) void auditor.enqueue(record.seq, record.entry);
    const cut = await interruptUnfinished(state, clock());
    if (cut.length) {
      log.warn({ interrupted: cut.length, ended: cut.filter((c) => c.ended).length }, 'actions cut short by the last stop recorded as interrupted; none is re-run');
      await engine.record(cut.map((c) => c.entry));
      await engine.record([engine.event('recovered', `${count(cut.length, 'action')} interrupted by the last stop recorded; none re-run`, { ids: cut.map((c) => c.entry.id) })]);
    }
    if (state.uncommitted.length) log.info({ entries: state.uncommitted.length }, 'committing journal entries missing from the audit repository');
    // A broken audit must not keep the engine from listening: readiness then says why.
    await Promise.race([auditor.flush(), new Promise((resolve) => setTimeout(resolve, STARTUP_FLUSH_MS).unref())]);
    await engine.compact();

    await policies.start();
    engine.approvals.start();
    engine.killSwitch.start();
    return engine;
  }

  /** What the approvals and the kill switch are given of the engine (engine/approvals/host.ts). */
  private approvalHost(): ApprovalHost {
    return {
      clock: this.clock,
      log: this.deps.log,
      state: this.state,
      dryRun: this.deps.config.dryRun,
      active: () => this.policies.active,
      pause: () => this.killSwitch.current(),
      decide: (task) => this.decideRun(task),
      submit: (job, committed, repoDir) => this.executor.submit(job, committed, repoDir),
      facts: async (actions) => {
        const active = this.policies.active!;
        return { ...(await this.guardFacts.read(active.set, active.root, scheduleFactsNeeded(active.set.settings, [{ actions }]))), underAction: this.executor.underAction() };
      },
    };
  }

  /** What the engine's services (routine jobs, the storm breaker) are all given of it. */
  private hostBase() {
    const { config, log, metrics } = this.deps;
    return { clock: this.clock, log, registry: metrics.registry, dryRun: config.dryRun, secrets: this.secrets, active: () => this.policies.active };
  }

  /** What the routine jobs are given of the engine (engine/schedule/service.ts). */
  private scheduleHost(workRoot: string): ScheduleHost {
    return {
      ...this.hostBase(),
      workRoot,
      pause: () => this.killSwitch.current(),
      decide: (decide) => this.decideRun(decide),
      submit: (job, committed, repoDir) => this.executor.submit(job, committed, repoDir),
      guardFacts: async (set, root, schedules) => ({
        ...(await this.guardFacts.read(set, root, scheduleFactsNeeded(set.settings, schedules))),
        underAction: this.executor.underAction(),
      }),
    };
  }

  /** What the storm breaker is given of the engine (engine/breaker/service.ts). */
  private breakerHost(): ConstructorParameters<typeof BreakerService>[0] {
    return {
      ...this.hostBase(),
      turn: (task) => this.turns.run(task),
      commit: (changes, entries) => this.state.commit(changes, entries),
      committed: (entry) => this.committedOf.get(entry) ?? this.auditor.queuedCommitted(),
      submit: (job, committed, repoDir) => this.executor.submit({ ...job, alert: null }, committed, repoDir),
    };
  }

  /**
   * A routine job's decision (or an approval's answer), in a turn of its own like a payload's:
   * durable, with the state it changes, before its jobs are queued.
   */
  private async decideRun(decide: (ledger: RecordingLedger, now: number, storm: StormView | null) => { entries: AuditEntry[]; seen: string[]; changes?: StateChange[] }): Promise<Map<string, Promise<void>>> {
    const { entries, seqs, durable, release } = await this.turns.run(async () => {
      this.admit();
      const now = this.clock();
      const recorder = new RecordingLedger(this.ledger);
      const decided = decide(recorder, now, this.breaker.watch(now)?.view() ?? null);
      for (const key of decided.seen) recorder.markSeen(key);
      const { taught } = recorder;
      const guard = taught.seen.length || taught.ledger.length ? JSON.stringify({ t: 'guard', at: now, ...taught } satisfies NewRecord) : null;
      const state = this.state.stage(decided.changes ?? []);
      const last = [state && JSON.stringify(state), guard].filter((line): line is string => line !== null);
      return { entries: decided.entries, ...(await appendInParts(this.journal, this.auditor, decided.entries, last)) };
    });
    const committed = new Map<string, Promise<void>>();
    try {
      await durable;
      entries.forEach((entry, i) => {
        committed.set(entry.id, this.auditor.enqueue(seqs[i]!, entry));
        this.recent.put(entry);
      });
    } finally {
      release();
    }
    return committed;
  }

  /** Why the engine does not take alerts or run actions now; empty when ready. */
  notReady(): string[] {
    const reasons = this.intakeBlocked();
    if (this.auditor.error) reasons.push(`${this.auditor.error}; no action runs until the audit can be written`);
    return reasons;
  }

  /** Why no decision can be made durably now (a broken audit only holds actions back). */
  private intakeBlocked(): string[] {
    const reasons: string[] = [];
    if (this.stopping) reasons.push('the engine is stopping');
    if (this.lockLost) reasons.push(`the lock on the data directory was lost (${this.lockLost}); restart the engine`);
    if (!this.policies.active) reasons.push(`no valid policy revision is active${this.policies.lastLoad?.error ? `: ${this.policies.lastLoad.error}` : ''}`);
    if (this.journal.broken) reasons.push(this.journal.broken.message);
    return reasons;
  }

  /**
   * Decides every alert of a payload and makes the decisions durable; actions are queued and
   * run after this returns. Throws NotReadyError when no decision can be made durably.
   */
  async receive(payload: SplitPayload): Promise<ReceiveResult> {
    const active = this.admit();
    const { metrics } = this.deps;
    countBy(payload.alerts, (a) => a.status, (status, n) => metrics.alertsReceived.inc({ status }, n));
    // In a box that decideAndAppend empties once decided: a storm's matches (some 18 MB) are
    // not kept while its journal text is made.
    // Alerts whose candidates query Prometheus wait here for the answers, at most its timeout;
    // the others await nothing. No turn is held meanwhile: other payloads are decided.
    const held: HeldMatches = { matches: await evaluateAll(this.evaluators.of(active.set), payload.alerts) };
    // Read before the turn, like the enrichment: the guards that use it stay synchronous.
    const facts = await this.guardFacts.read(active.set, active.root, factsNeeded(active.set.settings, held.matches!));
    // Alerts that fire and match nothing neither read nor change what the guards remember
    // (decide.ts): such a payload is not held up behind a storm being decided.
    // The storm breaker counts every alert that arrives; one that opens or closes it is recorded in a turn.
    const stormed = this.breaker.observe(payload.alerts, this.clock());
    const touches = stormed || payload.alerts.some((alert, i) => alert.status !== 'firing' || held.matches![i]!.length > 0);
    const { intake, entries, seqs, durable, release } = await (touches ? this.turns.run(() => this.decideAndAppend(active, payload, held, true, facts)) : this.decideAndAppend(active, payload, held, false, facts));
    const committed = new Map<string, Promise<void>>();
    try {
      await durable; // the answer waits for this: then a crash loses nothing Alertmanager was told
      entries.forEach((entry, i) => {
        committed.set(entry.id, this.auditor.enqueue(seqs[i]!, entry));
        this.recent.put(entry);
      });
    } finally {
      release();
    }
    const { truncatedAlerts } = payload.group;
    if (truncatedAlerts > 0) metrics.alertsTruncated.inc(truncatedAlerts);
    for (const job of intake.jobs) {
      if (job.entry.parent === undefined) this.remediation.started(job.entry);
      this.executor.submit(job, committed.get(job.entry.id)!, active.root);
    }
    for (const alert of payload.alerts) if (alert.status === 'resolved') this.remediation.resolved(alert);
    for (const [verdict, n] of intake.verdicts) metrics.decisions.inc({ verdict }, n);
    countRefusals(intake.entries, (guard, policy, n) => metrics.refusals.inc({ guard, policy }, n));
    this.compactWhenCommitted();
    const duplicates = intake.verdicts.get('duplicate') ?? 0;
    return { alerts: intake.alerts, decisions: intake.decisions, duplicates, actions: intake.jobs.length, revision: active.set.revision, truncatedAlerts };
  }

  /** The active set, unless no decision can be made durably now or intake sheds load. */
  private admit(): ActiveSet {
    const blocked = this.intakeBlocked();
    const active = this.policies.active;
    if (blocked.length || !active) throw new NotReadyError(blocked.join('; '));
    const overload = this.overloaded();
    if (overload) throw new OverloadedError(overload);
    return active;
  }

  /**
   * Decides the payload against the set that evaluated it and appends its records to the
   * journal; `durable` says when they are on disk. `waited`: it waited for its turn, during
   * which the journal may have broken or the backlogs grown past their limits.
   */
  private async decideAndAppend(active: ActiveSet, payload: SplitPayload, held: HeldMatches, waited: boolean, facts: GuardFacts): Promise<{ intake: Intake; entries: AuditEntry[] } & Appended> {
    if (waited) this.admit();
    const now = this.clock();
    const { metrics } = this.deps;
    // In a turn: the breaker's opening is durable before the decisions it refuses, and one a
    // target of this payload opens is recorded right after them.
    if (waited) await this.breaker.flush(now);
    const intake = await decidePayload(active.set, payload, held.matches!, {
      now, dryRun: this.deps.config.dryRun, ledger: this.ledger, secrets: this.secrets(), externalUrl: this.deps.config.externalUrl ?? null, pause: this.killSwitch.current(now), storm: this.breaker.watch(now),
      facts: { ...facts, underAction: this.executor.underAction() },
      onDecision: (d) => d.refusedBy === 'enrichment' && metrics.enrichmentRefused.inc(),
    });
    held.matches = null;
    if (waited) await this.breaker.flush(now);
    const truncation = this.truncation(payload.group);
    // Held approvals are kept, and those of alerts that resolved cancelled, in the same write.
    const cancelled = this.approvals.cancelResolved(payload.alerts, now);
    const state = this.state.stage([...this.approvals.hold(intake.held, now), ...cancelled.changes]);
    const entries = [...intake.entries, ...cancelled.entries, ...(truncation ? [truncation] : [])];
    // Last: a write torn by a crash must not keep dedup keys whose intents it lost (the
    // re-sent alert would be taken for a duplicate and never decided); intents whose keys it
    // lost are recorded interrupted at start-up, and the re-sent alert is decided anew.
    const taught = intake.guard.seen.length || intake.guard.ledger.length;
    const guard = taught ? JSON.stringify({ t: 'guard', at: now, ...intake.guard } satisfies NewRecord) : null;
    const last = [state && JSON.stringify(state), guard].filter((line): line is string => line !== null);
    return { intake, entries, ...(await appendInParts(this.journal, this.auditor, entries, last)) };
  }

  /**
   * Past the journal's size threshold, compacts once every entry journaled so far is in git
   * (not only this payload's: a small webhook answered while a storm is journaled or its
   * backlog committed would otherwise start it at once) and that is journaled too: a
   * compaction then skips their lines unread. A storm's 'refusals' entries are most of the journal's bytes; read back
   * uncommitted, some 100 MB of them were parsed into the snapshot, holding the event loop
   * for seconds and taking the engine past 500 MB.
   */
  private compactWhenCommitted(): void {
    if (this.journal.bytes <= this.compactAt || this.compactionDue) return;
    this.compactionDue = true;
    void this.auditor
      .queuedCommitted()
      .then(() => this.journal.sync())
      .then(() => this.compact(), () => undefined)
      .finally(() => (this.compactionDue = false));
  }

  /**
   * The audit's record of alerts Alertmanager left out of a group (nothing decided them): once
   * per group and count, not at each of the group's re-sends.
   */
  private truncation(group: GroupInfo): AuditEntry | null {
    const n = group.truncatedAlerts;
    if (n === 0 || this.truncatedGroups.get(group.groupKey) === n) return null;
    this.truncatedGroups.delete(group.groupKey);
    this.truncatedGroups.set(group.groupKey, n);
    if (this.truncatedGroups.size > TRUNCATED_GROUPS) this.truncatedGroups.delete(this.truncatedGroups.keys().next().value!);
    return this.event('alerts-truncated', `${count(n, 'alert')} of a group for receiver ${group.receiver} left out by Alertmanager (max_alerts): not seen, not decided`, {
      groupKey: group.groupKey, receiver: group.receiver, count: n,
    });
  }

  /** Syncs the policy source now (a git remote is fetched; a directory is read again). */
  sync(): Promise<LoadReport> {
    return this.policies.load();
  }

  /** Why intake refuses now (not ready, or the audit or the action queue too far behind), or null. */
  overloaded(): string | null {
    // Not ready refuses as early: a retried 32 MiB group is not read only to be answered 503.
    const blocked = this.intakeBlocked();
    if (blocked.length) return `not ready: ${blocked.join('; ')}`;
    if (this.auditor.backlog > AUDIT_BACKLOG_LIMIT) return `overloaded: ${this.auditor.backlog} audit entries wait for git (limit ${AUDIT_BACKLOG_LIMIT}); retry later`;
    if (this.executor.depth > ACTION_BACKLOG_LIMIT) return `overloaded: ${this.executor.depth} actions wait to run (limit ${ACTION_BACKLOG_LIMIT}); retry later`;
    return null;
  }

  status() {
    const active = this.policies.active;
    const notReady = this.notReady();
    return {
      ready: notReady.length === 0,
      notReady,
      startedAt: this.startedAt,
      dryRun: this.deps.config.dryRun,
      policies: {
        source: this.policies.describe(),
        revision: active?.set.revision ?? null,
        count: active?.set.policies.length ?? 0,
        activatedAt: active?.activatedAt ?? null,
        paused: active?.set.settings.paused ?? false,
        lastLoad: this.policies.lastLoad,
      },
      pause: this.killSwitch.status(),
      approvals: { pending: this.approvals.pending },
      queue: { waiting: this.executor.depth, running: this.executor.active },
      schedules: this.schedules.list(),
      stormBreaker: this.breaker.status(this.clock()),
      audit: { backlog: this.auditor.backlog, error: this.auditor.error, lastPush: this.auditor.push, remote: this.deps.config.audit.remote },
    };
  }

  /**
   * Journals entries (fsynced), then the state change they record if any, and queues the
   * entries for the audit repository.
   */
  private async record(entries: readonly AuditEntry[], state: Parameters<AppendState>[1] = null): Promise<void> {
    const records: NewRecord[] = entries.map((entry) => ({ t: 'entry' as const, entry }));
    if (state) records.push(state);
    const { seqs, durable } = this.journal.append(records);
    await durable;
    entries.forEach((entry, i) => {
      this.committedOf.set(entry, this.auditor.enqueue(seqs[i]!, entry));
      this.recent.put(entry);
    });
  }

  private event(name: NonNullable<AuditEntry['event']>['name'], message: string, details?: Record<string, unknown>): AuditEntry {
    const now = this.clock();
    return {
      apiVersion: 'homeostat.dev/v1',
      kind: 'event',
      id: newEntryId(now),
      at: new Date(now).toISOString(),
      revision: this.policies.active?.set.revision ?? 'none',
      event: { name, message, ...(details ? { details } : {}) },
    };
  }

  private onPolicyLoad(report: LoadReport, active: ActiveSet | null, previous: ActiveSet | null): void {
    const { log, metrics } = this.deps;
    if (!report.ok) {
      metrics.policyReloads.inc({ result: 'rejected' });
      const first = report.diagnostics[0];
      metrics.policyRejected.reset();
      metrics.policyRejected.set({ revision: report.revision ?? 'none', code: first?.code ?? report.code ?? 'none' }, 1);
      log.error({ revision: report.revision, problems: report.problems, first, error: report.error, keeping: previous?.set.revision ?? null }, 'policy change rejected; the last good set stays active');
      void this.record([this.event('policies-rejected', `${report.revision ?? 'the policy directory'} rejected: ${report.error}${first ? `; first ${first.file}:${first.line}:${first.col} ${first.code} ${first.message}` : ''}`, { diagnostics: report.diagnostics, problems: report.problems, keeping: previous?.set.revision ?? null })]).catch(() => undefined);
      return;
    }
    if (!active) return;
    metrics.policyReloads.inc({ result: 'activated' });
    metrics.policyRejected.reset();
    metrics.policyActive.reset();
    metrics.policyActive.set({ revision: active.set.revision }, 1);
    metrics.policyCount.set(active.set.policies.length);
    this.breaker.activated();
    this.schedules.activate(active.set.schedules).catch((error: Error) => log.error({ err: error, revision: active.set.revision }, 'schedules of the revision not taken; the previous ones stay'));
    log.info({ revision: active.set.revision, policies: active.set.policies.length, previous: previous?.set.revision ?? null, paused: active.set.settings.paused }, 'policies activated');
    void this.record([this.event('policies-activated', `${active.set.revision} activated: ${count(active.set.policies.length, 'policy', 'policies')}${active.set.settings.paused ? ' (paused)' : ''}`, { previous: previous?.set.revision ?? null, paused: active.set.settings.paused })]).catch(() => undefined);
  }

  private compact(): Promise<void> {
    this.compacting ??= this.journal
      .compact((records) => snapshotOf(replay(records), this.clock()))
      .then(() =>
        this.turns.run(() => {
          this.ledger = IndexedLedger.restore(this.ledger.export(this.clock()), this.clock);
        }),
      )
      .then(() => {
        this.compactAt = Math.max(COMPACT_BYTES, 2 * this.journal.bytes);
      })
      .catch((error: Error) => this.deps.log.error({ err: error }, 'journal compaction failed; the journal keeps growing'))
      .finally(() => (this.compacting = null));
    return this.compacting;
  }

  /** SIGTERM: stop intake, let running actions finish until the deadline, commit, stop. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const deadline = this.clock() + this.deps.config.shutdownTimeoutMs;
    this.schedules.stop();
    this.approvals.stop();
    this.killSwitch.stop();
    this.breaker.stop();
    this.deps.log.info({ running: this.executor.active, waiting: this.executor.depth, deadlineMs: this.deps.config.shutdownTimeoutMs }, 'stopping: no new alerts; running actions may finish');
    await this.policies.close();
    this.stopSweeping();
    await this.executor.stop(deadline);
    await this.auditor.close(Math.max(deadline, this.clock() + 10_000));
    await this.journal.close();
    await this.lock.release();
    this.deps.log.info({ backlog: this.auditor.backlog }, 'stopped');
  }

  private onLockLost(why: string): void {
    this.lockLost = why;
    this.deps.log.fatal({ dataDir: this.deps.config.dataDir, why }, 'data directory lock lost: another engine could start on this directory; stopping at once (the next start recovers what was running)');
    if (this.deps.onLockLost) this.deps.onLockLost(why);
    else process.exit(1);
  }
}

/** Counts the remediation windows that ended, often enough for a window's figure to be timely. */
function sweepEvery(remediation: RemediationTracker, windowMs: number): () => void {
  const timer = setInterval(() => remediation.sweep(), Math.min(60_000, Math.max(1_000, Math.floor(windowMs / 10))));
  timer.unref();
  return () => clearInterval(timer);
}

/** Refused actions by the guard or check that refused them and their policy: an action's entry, or a storm's 'refusals' entry. */
function countRefusals(entries: readonly AuditEntry[], add: (guard: string, policy: string, count: number) => void): void {
  const counts = new Map<string, { guard: string; policy: string; n: number }>();
  for (const entry of entries) {
    const guard = entry.kind === 'refusals' ? entry.guard : entry.outcome === 'refused' ? entry.guards?.refusedBy : null;
    if (!guard) continue;
    const policy = entry.policy ?? '';
    const key = `${guard}\0${policy}`;
    const counted = counts.get(key) ?? { guard, policy, n: 0 };
    counted.n += entry.kind === 'refusals' ? (entry.count ?? 0) : 1;
    counts.set(key, counted);
  }
  for (const { guard, policy, n } of counts.values()) add(guard, policy, n);
}

/** Calls `add(key, count)` once per distinct key: one metric update per label, not per item. */
function countBy<T>(items: readonly T[], keyOf: (item: T) => string, add: (key: string, count: number) => void): void {
  const counts = new Map<string, number>();
  for (const item of items) {
    const key = keyOf(item);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  for (const [key, count] of counts) add(key, count);
}
