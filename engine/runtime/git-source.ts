/**
 * The active policy set of a git remote: fetched into a bare mirror under the data directory
 * on an interval and when asked (POST /api/v1/sync), then vetted whole before it replaces the
 * active set. A head is refused, and the last good revision stays active, when:
 *
 * - it does not descend from the last good revision (a force-push), unless rewrites are allowed;
 * - signatures are verified and git does not find it signed by a key of the allowed-signers file;
 * - it does not load without errors, or one of its policy tests fails (activation.ts).
 *
 * A refusal that depends on the commit alone is reported once and not retried until the head
 * moves; a failure of the machinery (fetch, disk, a signature git cannot check) is retried at
 * the next sync. The last good revision is kept on disk: a ref in the mirror, named for the
 * remote, branch and folder, holds it and its objects. After a restart the engine serves it at
 * once (its signature checked again) and syncs in the background.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Git } from '../git/git.js';
import { removeStaleLocks } from '../git/locks.js';
import { fetchRef, gitErrorText, initBare, isAncestor, openGit, remoteDefaultBranch, resolveCommit, signatureOf, updateRef } from '../git/git.js';
import { RevisionError, RevisionLoader } from '../load/git-revision.js';
import { Serial } from '../util/serial.js';
import { activeSet, failedReport, vetRevision } from './activation.js';
import type { ActiveSet, LoadReport, PolicySource, SourceStatus, SyncReport } from './activation.js';
import { PolicyTrees } from './policy-trees.js';

export interface GitSourceOptions {
  /** The remote: a URL (ssh, https, file) or the path of a repository on disk. */
  url: string;
  /** null: the remote's default branch. */
  branch: string | null;
  /** The policy repository's folder inside the git repository ('' for the top). */
  path: string;
  /** DATA/policies: the mirror, the trees of files actions use. */
  cacheDir: string;
  intervalMs: number;
  /** An SSH allowed-signers file: the head must be signed by one of its keys. */
  allowedSigners: string | null;
  /** Activate a head that does not descend from the last good revision (a force-push). */
  allowRewrite: boolean;
  /** The folders queued and running actions use: their trees are never removed. */
  inUse?: () => ReadonlySet<string>;
}

/** What git's %G? letters other than G (good, by a listed key) mean for the head. */
const SIGNATURE_STATUS: Record<string, string> = {
  N: 'it is not signed',
  U: 'it is signed by a key the allowed-signers file does not list',
  B: 'its signature is bad',
  X: 'its signature has expired',
  Y: 'its signature was made by an expired key',
  R: 'its signature was made by a revoked key',
};

/** A refusal that depends on the commit alone: reported once, not retried until the head moves. */
class Refusal extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

export class GitPolicySource implements PolicySource {
  private current: ActiveSet | null = null;
  private report: LoadReport | null = null;
  private sync: SyncReport | null = null;
  private lastFailure: SyncReport | null = null;
  /** The head whose refusal was reported: the same refusal is not audited again at each sync. */
  private refusedHead: string | null = null;
  /** The last good revision (the kept ref), the one a new head must descend from. */
  private lastGood: string | null = null;
  /** Whether the active set came from disk at start-up, the remote not having answered since. */
  private fromCache = false;
  private branch: string | null;
  private readonly git: Git;
  private readonly loader: RevisionLoader;
  private readonly trees: PolicyTrees;
  /** The ref keeping the last good revision of this remote, branch and folder. */
  private readonly keptRef: string;
  private readonly syncs = new Serial(() => this.syncOnce());
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly options: GitSourceOptions,
    private readonly log: Logger,
    private readonly onLoad: (report: LoadReport, active: ActiveSet | null, previous: ActiveSet | null) => void,
  ) {
    this.branch = options.branch;
    this.git = openGit(join(options.cacheDir, 'mirror.git'));
    this.loader = new RevisionLoader(this.git, options.path);
    this.trees = new PolicyTrees(join(options.cacheDir, 'trees'), this.git, options.inUse ?? (() => new Set()));
    const key = createHash('sha256').update(`${options.url}\0${options.branch ?? ''}\0${options.path}`).digest('hex').slice(0, 16);
    this.keptRef = `refs/homeostat/active/${key}`;
  }

  get active(): ActiveSet | null {
    return this.current;
  }

  get lastLoad(): LoadReport | null {
    return this.report;
  }

  describe(): SourceStatus {
    return {
      kind: 'git',
      remote: displayUrl(this.options.url),
      branch: this.branch,
      path: this.options.path || '.',
      intervalMs: this.options.intervalMs,
      verifySignatures: this.options.allowedSigners !== null,
      activeCommit: this.current?.set.revision ?? null,
      servingCached: this.fromCache,
      lastSync: this.sync,
      lastFailure: this.lastFailure,
    };
  }

  /**
   * Serves the last good revision kept on disk, if any, and syncs: in the background when a
   * revision is active, so an unreachable remote never keeps the engine from listening.
   */
  async start(): Promise<void> {
    if (!existsSync(join(this.git.dir, 'HEAD'))) await initBare(this.git, this.options.branch ?? 'main');
    // Only this engine writes its mirror (under the data-directory lock): a lock no process
    // holds was left by one killed while it updated a ref, and would refuse every later update.
    for (const file of removeStaleLocks(this.git.dir).removed) this.log.warn({ dir: this.git.dir, file }, 'stale git lock removed from the policy mirror (no process held it)');
    this.lastGood = await resolveCommit(this.git, this.keptRef).catch(() => null);
    if (this.lastGood) await this.activateKept(this.lastGood);
    const first = this.load();
    if (!this.current) await first;
    this.schedule();
  }

  /** Syncs now; asked during a sync, answers with the sync that starts after it. */
  load(): Promise<LoadReport> {
    return this.syncs.run();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.syncs.idle();
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => void this.load().finally(() => this.schedule()), this.options.intervalMs);
    this.timer.unref();
  }

  private async activateKept(commit: string): Promise<void> {
    const at = new Date().toISOString();
    let report: LoadReport;
    let active: ActiveSet | null = null;
    try {
      // The allowed signers may have changed since it was activated: it is checked again.
      await this.checkSignature(commit);
      ({ report, active } = await this.prepare(commit, at));
    } catch (error) {
      report = failedReport(at, commit, `the last good revision kept on disk: ${(error as Error).message}`, (error as Refusal).code);
    }
    if (active) {
      this.current = active;
      this.fromCache = true;
      this.trees.activated(active.root);
      this.log.info({ revision: commit, remote: displayUrl(this.options.url) }, 'serving the last good policy revision kept on disk until the remote answers');
    } else {
      this.log.error({ revision: commit, error: report.error }, 'the last good policy revision kept on disk is not served');
    }
    this.report = report;
    this.onLoad(report, active, null);
  }

  private async syncOnce(): Promise<LoadReport> {
    const at = new Date().toISOString();
    if (this.closed) return this.report ?? failedReport(at, null, 'the policy source is closed');
    let head: string | null = null;
    try {
      head = await this.fetch();
    } catch (error) {
      const message = this.redact(gitErrorText(error));
      this.note({ at, ok: false, head, result: 'fetch failed', error: message });
      this.log.warn({ remote: displayUrl(this.options.url), branch: this.branch, error: message, serving: this.current?.set.revision ?? null }, 'policy sync failed; the active revision stays');
      // Without an active revision, readiness says why from the last load: this is it.
      if (!this.current) this.report = failedReport(at, null, `policy sync: fetch failed: ${message}`);
      return this.report!;
    }
    this.fromCache = false;
    if (head === this.current?.set.revision) {
      this.note({ at, ok: true, head, result: 'up to date', error: null });
      return this.report!;
    }
    if (head === this.refusedHead) {
      this.note({ at, ok: false, head, result: 'refused', error: this.report?.error ?? 'refused' });
      return this.report!;
    }
    try {
      await this.checkHistory(head);
      await this.checkSignature(head);
      const { report, active } = await this.prepare(head, at);
      if (!active) return this.refuse(at, head, report);
      await this.activate(at, head, report, active);
      return report;
    } catch (error) {
      if (error instanceof Refusal) return this.refuse(at, head, failedReport(at, head, error.message, error.code));
      // The machinery failed, not the commit: tried again at the next sync.
      const message = this.redact((error as Error).message);
      this.note({ at, ok: false, head, result: 'sync failed', error: message });
      this.log.error({ revision: head, error: message }, 'policy sync failed before the revision could be judged; it is tried again at the next sync');
      if (!this.current) this.report = failedReport(at, head, `policy sync: ${message}`);
      return this.report ?? failedReport(at, head, message);
    }
  }

  /** Fetches the branch; its head. */
  private async fetch(): Promise<string> {
    this.branch ??= await remoteDefaultBranch(this.git, this.options.url);
    if (!this.branch) throw new Error('the remote names no default branch; give --branch');
    const tracking = `refs/remotes/origin/${this.branch}`;
    await fetchRef(this.git, this.options.url, `refs/heads/${this.branch}`, tracking, { fsck: true });
    const head = await resolveCommit(this.git, tracking);
    if (!head) throw new Error(`the remote has no branch ${this.branch}; check --branch`);
    return head;
  }

  private async checkHistory(head: string): Promise<void> {
    if (!this.lastGood || this.options.allowRewrite || (await isAncestor(this.git, this.lastGood, head))) return;
    throw new Refusal(
      `history rewritten: ${head.slice(0, 12)} on ${this.branch} does not descend from the last good revision ${this.lastGood.slice(0, 12)} (a force-push); push a commit on top of it, or start the engine with --allow-rewrite`,
      'HST_REV_REWRITTEN',
    );
  }

  private async checkSignature(commit: string): Promise<void> {
    const signers = this.options.allowedSigners;
    if (!signers) return;
    const { status, key } = await signatureOf(this.git, commit, signers);
    // Only an SSH signature is judged by the allowed-signers file: a GPG or X.509 signature
    // that some keyring trusts is not one of its keys.
    if (status === 'G' && key.startsWith('SHA256:')) return;
    if (status === 'E') throw new Error(`the signature of ${commit.slice(0, 12)} cannot be checked (is ssh-keygen, from openssh-client, installed, and ${signers} readable?)`);
    const why = status === 'G' ? 'it is not signed with SSH' : (SIGNATURE_STATUS[status] ?? `git says ${status}`);
    throw new Refusal(`${commit.slice(0, 12)} on ${this.branch} is refused: ${why}${key ? ` (key ${key})` : ''}; only commits signed by a key of ${signers} are activated`, 'HST_REV_SIGNATURE');
  }

  /** Loads and vets a commit; when it may be activated, writes the files its actions use. */
  private async prepare(commit: string, at: string): Promise<{ report: LoadReport; active: ActiveSet | null }> {
    let loaded: Awaited<ReturnType<RevisionLoader['load']>>;
    try {
      loaded = await this.loader.load(commit);
    } catch (error) {
      if (error instanceof RevisionError) throw new Refusal(error.message);
      throw error;
    }
    const { report, set } = await vetRevision(this.loader, loaded.repo, loaded.result, at);
    if (!set) return { report, active: null };
    return { report, active: activeSet(set, await this.trees.write(loaded.repo), at) };
  }

  private async activate(at: string, head: string, report: LoadReport, active: ActiveSet): Promise<void> {
    await updateRef(this.git, this.keptRef, head);
    const previous = this.current;
    this.current = active;
    this.lastGood = head;
    this.refusedHead = null;
    this.report = report;
    this.note({ at, ok: true, head, result: 'activated', error: null });
    this.onLoad(report, active, previous);
    this.trees.activated(active.root);
  }

  private refuse(at: string, head: string, report: LoadReport): LoadReport {
    this.refusedHead = head;
    this.note({ at, ok: false, head, result: 'refused', error: report.error });
    this.report = report;
    this.onLoad(report, null, this.current);
    return report;
  }

  private note(sync: SyncReport): void {
    this.sync = sync;
    if (!sync.ok) this.lastFailure = sync;
  }

  /** git may repeat the remote's URL, credentials included, in what it says. */
  private redact(text: string): string {
    return text.split(this.options.url).join(displayUrl(this.options.url));
  }
}

/** A remote's URL without the credentials it may carry (https://user:token@host/…). */
export function displayUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1***@');
}
