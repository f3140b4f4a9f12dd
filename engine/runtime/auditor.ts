/**
 * Moves journaled entries into the audit repository. Whatever accumulates while one commit
 * runs goes into the next (group commit), so the audit keeps up with a storm. A failed
 * commit (a full disk, say) leaves the records in the journal, marks the audit unhealthy
 * (the executor then starts nothing: fail closed) and is retried with a back-off. Pushing to
 * the remote is a separate loop: an unreachable remote never holds up local commits.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { AuditEntry } from '../audit/entry.js';
import { actionsOf, serializeEntry } from '../audit/entry.js';
import type { Journal } from '../audit/journal.js';
import { encodeEntryParts } from '../audit/journal-text.js';
import type { Metrics } from './metrics.js';
import type { AuditWrite } from '../audit/repo.js';
import { writeKind } from '../audit/repo.js';
import { entryMessage } from './messages.js';

/** The part of the audit repository the engine writes through. */
export interface AuditSink {
  commit(writes: readonly AuditWrite[]): Promise<string>;
  push?(): Promise<{ pushed: boolean; error: string | null }>;
  pending?(): Promise<number>;
  /** Waits for background work (a repack) to end. */
  close?(): Promise<void>;
}

interface Waiting {
  seq: number;
  entry: AuditEntry;
  /** Resolves the promise enqueue() returned; a failed commit is retried, never rejected. */
  committed: () => void;
}

const RETRY_MS = [100, 500, 2000, 5000];
/**
 * Actions per commit at most (a 'refusals' entry counts each action it lists; a commit has at
 * least one entry). A large commit costs a rewrite of its day directories (one pass over each,
 * however many entries it adds), so under a storm the batches grow with the backlog and that
 * pass is shared by more entries; counting a storm's refusals bounds the text a commit holds
 * (some 14 MB indented). Building them is done YIELD_EVERY writes at a time, so that the
 * webhook's answers do not wait behind a whole batch.
 */
const MAX_BATCH = 20_000;
const YIELD_EVERY = 500;
const NEWLINE = Buffer.from('\n');
const PUSH_RETRY_MS = [1000, 5000, 15000, 60000];

export class Auditor {
  private queue: Waiting[] = [];
  private loop: Promise<void> | null = null;
  private failure: string | null = null;
  private attempts = 0;
  private pushTimer: NodeJS.Timeout | null = null;
  private pushing: Promise<void> | null = null;
  private pushFailures = 0;
  private lastPush: { at: string; ok: boolean; error: string | null } | null = null;
  private stopped = false;
  /** First seqs of entries journaled but not queued yet (appendInParts), each with its release. */
  private readonly expected = new Map<number, Promise<void>>();
  /** Resolves once the entry queued last is committed, and with it every one before (in order). */
  private last: Promise<void> = Promise.resolve();

  constructor(
    private readonly sink: AuditSink,
    private readonly journal: Journal,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {}

  /** Why the audit cannot be written now, or null. */
  get error(): string | null {
    return this.failure;
  }

  get backlog(): number {
    return this.queue.length;
  }

  get push(): { at: string; ok: boolean; error: string | null } | null {
    return this.lastPush;
  }

  /** Queues a journaled entry record; resolves once it is committed. */
  enqueue(seq: number, entry: AuditEntry): Promise<void> {
    let committed!: () => void;
    const promise = new Promise<void>((resolve) => (committed = resolve));
    this.queue.push({ seq, entry, committed });
    this.metrics.auditBacklog.set(this.queue.length);
    this.loop ??= this.run();
    this.last = promise;
    return promise;
  }

  /**
   * Resolves once every entry journaled so far is committed: those queued, and those of a
   * payload still being journaled (expect()), once queued. Not those journaled later.
   */
  async queuedCommitted(): Promise<void> {
    await Promise.all(this.expected.values());
    await this.last;
  }

  /**
   * Entries from `seq` on are journaled and about to be queued: until the returned function is
   * called, no 'committed' record says they are (a commit of records that came between them
   * would). A record that says too little only means committing again after a restart.
   */
  expect(seq: number): () => void {
    let released!: () => void;
    this.expected.set(seq, new Promise<void>((resolve) => (released = resolve)));
    return () => {
      this.expected.delete(seq);
      released();
    };
  }

  /** Resolves when everything queued so far is committed (or the auditor was stopped). */
  async flush(): Promise<void> {
    while (this.loop) await this.loop;
  }

  private async run(): Promise<void> {
    while (this.queue.length && !this.stopped) {
      const batch = this.queue.slice(0, batchSize(this.queue));
      try {
        await this.sink.commit(await toWrites(batch));
      } catch (error) {
        this.metrics.auditFailures.inc();
        this.failure = `cannot commit to the audit repository: ${(error as Error).message}`;
        this.log.error({ err: error, entries: batch.length }, 'audit commit failed; no action starts until it succeeds');
        await delay(RETRY_MS[Math.min(this.attempts++, RETRY_MS.length - 1)]!);
        continue;
      }
      if (this.failure) this.log.info({ entries: batch.length }, 'audit commits resumed');
      this.failure = null;
      this.attempts = 0;
      this.queue.splice(0, batch.length);
      this.metrics.auditBacklog.set(this.queue.length);
      const upTo = Math.min(batch.reduce((max, w) => Math.max(max, w.seq), 0), ...[...this.expected.keys()].map((seq) => seq - 1));
      // Not waited for: losing it only means committing again. Its write is retried while the
      // disk is full; it fails only if the journal is closed first, which needs no handling.
      this.journal.append([{ t: 'committed', upTo }]).durable.catch(() => undefined);
      for (const w of batch) w.committed();
      this.schedulePush(0);
    }
    this.loop = null;
  }

  private schedulePush(delayMs: number): void {
    if (!this.sink.push || this.pushTimer || this.stopped) return;
    this.pushTimer = setTimeout(() => {
      this.pushTimer = null;
      this.pushing ??= this.pushOnce().finally(() => (this.pushing = null));
    }, delayMs);
    this.pushTimer.unref();
  }

  private async pushOnce(): Promise<void> {
    const result = await this.sink.push!().catch((error: Error) => ({ pushed: false, error: error.message }));
    this.lastPush = { at: new Date().toISOString(), ok: result.pushed, error: result.error };
    const unpushed = (await this.sink.pending?.().catch(() => null)) ?? null;
    if (unpushed !== null) this.metrics.auditUnpushed.set(unpushed);
    if (result.pushed || result.error === null) {
      if (this.pushFailures) this.log.info({ unpushed }, 'audit push resumed');
      this.pushFailures = 0;
      return;
    }
    this.log.warn({ error: result.error, unpushed }, 'audit push failed; commits stay local and are pushed later');
    this.schedulePush(PUSH_RETRY_MS[Math.min(this.pushFailures++, PUSH_RETRY_MS.length - 1)]!);
  }

  /** Commits what is queued (bounded by `deadline`), tries one last push, then stops. */
  async close(deadline: number): Promise<void> {
    const flushed = this.flush();
    const left = deadline - Date.now();
    await Promise.race([flushed, delay(Math.max(0, left))]);
    this.stopped = true;
    if (this.pushTimer) clearTimeout(this.pushTimer);
    this.pushTimer = null;
    await this.pushing;
    if (this.sink.push && this.queue.length === 0) await this.pushOnce();
    await this.sink.close?.();
  }
}

/** How many of the queue's first entries the next commit takes. */
function batchSize(queue: readonly Waiting[]): number {
  let actions = 0;
  for (const [i, w] of queue.entries()) {
    actions += actionsOf(w.entry);
    if (actions > MAX_BATCH) return Math.max(i, 1);
  }
  return queue.length;
}

async function toWrites(batch: readonly Waiting[]): Promise<AuditWrite[]> {
  const writes: AuditWrite[] = [];
  for (const [i, w] of batch.entries()) {
    if (i > 0 && i % YIELD_EVERY === 0) await nextTurn();
    writes.push(await toWrite(w.entry));
  }
  return writes;
}

async function toWrite(entry: AuditEntry): Promise<AuditWrite> {
  const { message, trailers } = entryMessage(entry);
  // A storm's 'refusals' entry is serialized a slice at a time, into serializeEntry's bytes.
  const content = entry.kind === 'refusals' ? [...(await encodeEntryParts(entry, true)), NEWLINE] : serializeEntry(entry);
  return { id: entry.id, kind: writeKind(entry), content, message, trailers };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
