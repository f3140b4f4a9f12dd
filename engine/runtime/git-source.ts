/**
 * The active policy set of a git remote: fetched into a bare mirror under the data directory
 * on an interval and when asked (POST /api/v1/sync), then vetted whole before it replaces the
 * active set. A revision is refused, and the last good one stays active, when:
 *
 * - the branch's history was rewritten (the new head does not descend from the active one),
 *   unless rewrites are allowed;
 * - signatures are verified and the head is not signed by a key of the allowed-signers file;
 * - it does not load without errors, or one of its policy tests fails (activation.ts).
 *
 * The last good revision is kept on disk: refs/homeostat/active in the mirror holds it (and
 * its objects), so after a restart with the remote unreachable the engine serves it again and
 * says so. Actions find their playbooks and scripts in a copy of the revision's other files
 * under trees/, one per distinct content, so most policy changes reuse the one already there.
 */
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import type { Git } from '../git/git.js';
import { fetchRef, gitErrorText, initBare, isAncestor, openGit, readBlobs, remoteDefaultBranch, resolveCommit, signatureOf, updateRef } from '../git/git.js';
import { readTestPayloads, RevisionError, RevisionLoader } from '../load/git-revision.js';
import type { RevisionRepository } from '../load/git-revision.js';
import { activeSet, vet } from './activation.js';
import type { ActiveSet, LoadReport, PolicySource } from './activation.js';

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
  /** Activate a head that does not descend from the active revision (a force-push). */
  allowRewrite: boolean;
}

export interface SyncReport {
  at: string;
  ok: boolean;
  /** The branch head the sync saw, when it got that far. */
  head: string | null;
  /** What happened, in a few words: up to date, activated, refused, fetch failed. */
  result: string;
  error: string | null;
}

const ACTIVE_REF = 'refs/homeostat/active';
/** Trees of files actions use, beyond the active one's: a running action may still be in one. */
const TREES_KEPT = 3;

const SIGNATURE_STATUS: Record<string, string> = {
  N: 'it is not signed',
  U: 'it is signed by a key the allowed-signers file does not list',
  B: 'its signature is bad',
  X: 'its signature has expired',
  Y: 'its signature was made by an expired key',
  R: 'its signature was made by a revoked key',
  E: 'its signature cannot be checked (is ssh-keygen, from openssh-client, installed?)',
};

export class GitPolicySource implements PolicySource {
  private current: ActiveSet | null = null;
  private report: LoadReport | null = null;
  private sync: SyncReport | null = null;
  private lastFailure: SyncReport | null = null;
  /** The head whose refusal was reported: the same refusal is not audited again at each sync. */
  private refusedHead: string | null = null;
  /** Whether the active set came from the cache at start-up, no sync having succeeded since. */
  private fromCache = false;
  private branch: string | null;
  private readonly git: Git;
  private readonly loader: RevisionLoader;
  private timer: NodeJS.Timeout | null = null;
  /** The trees of files actions use, the active one first. */
  private recentTrees: string[] = [];
  private running: Promise<LoadReport> | null = null;
  private queued: Promise<LoadReport> | null = null;
  private closed = false;

  constructor(
    private readonly options: GitSourceOptions,
    private readonly log: Logger,
    private readonly onLoad: (report: LoadReport, active: ActiveSet | null, previous: ActiveSet | null) => void,
  ) {
    this.branch = options.branch;
    this.git = openGit(join(options.cacheDir, 'mirror.git'));
    this.loader = new RevisionLoader(this.git, options.path);
  }

  get active(): ActiveSet | null {
    return this.current;
  }

  get lastLoad(): LoadReport | null {
    return this.report;
  }

  get lastSync(): SyncReport | null {
    return this.sync;
  }

  describe(): Record<string, unknown> {
    return {
      kind: 'git',
      remote: this.options.url,
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

  /** Serves the last good revision kept on disk, if any, then syncs, then syncs on the interval. */
  async start(): Promise<void> {
    if (!existsSync(join(this.git.dir, 'HEAD'))) await initBare(this.git, this.options.branch ?? 'main');
    const kept = await resolveCommit(this.git, ACTIVE_REF).catch(() => null);
    if (kept) await this.activateKept(kept);
    await this.load();
    this.schedule();
  }

  /**
   * Syncs now. Asked while a sync runs, it answers with the sync that starts after that one
   * (one for all who ask meanwhile): a push webhook's answer covers the push it announces.
   */
  load(): Promise<LoadReport> {
    if (this.queued) return this.queued;
    if (!this.running) return this.begin();
    const after = this.running.then(noop, noop);
    this.queued = after.then(() => {
      this.queued = null;
      return this.begin();
    });
    return this.queued;
  }

  private begin(): Promise<LoadReport> {
    if (this.closed) return Promise.resolve(this.report ?? { at: new Date().toISOString(), ok: false, revision: null, diagnostics: [], problems: 0, error: 'the policy source is closed' });
    const run = this.syncOnce().finally(() => {
      if (this.running === run) this.running = null;
    });
    this.running = run;
    return run;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.queued?.catch(noop);
    await this.running?.catch(noop);
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      void this.load().finally(() => this.schedule());
    }, this.options.intervalMs);
    this.timer.unref();
  }

  private async activateKept(commit: string): Promise<void> {
    const at = new Date().toISOString();
    try {
      const { report, active } = await this.prepare(commit, at);
      if (active) {
        this.current = active;
        this.recentTrees = [active.root];
        this.fromCache = true;
        this.log.info({ revision: commit, remote: this.options.url }, 'serving the last good policy revision kept on disk until the remote answers');
      }
      this.report = report;
      this.onLoad(report, active, null);
    } catch (error) {
      this.log.error({ revision: commit, err: error }, 'the last good policy revision kept on disk cannot be loaded');
    }
  }

  private async syncOnce(): Promise<LoadReport> {
    const at = new Date().toISOString();
    let head: string | null = null;
    try {
      this.branch ??= await remoteDefaultBranch(this.git, this.options.url);
      if (!this.branch) throw new SyncError('the remote names no default branch; give --branch');
      const tracking = `refs/remotes/origin/${this.branch}`;
      await fetchRef(this.git, this.options.url, `refs/heads/${this.branch}`, tracking);
      head = await resolveCommit(this.git, tracking);
      if (!head) throw new SyncError(`the remote has no branch ${this.branch}`);
    } catch (error) {
      const message = error instanceof SyncError ? error.message : gitErrorText(error);
      this.note({ at, ok: false, head, result: 'fetch failed', error: message });
      this.log.warn({ remote: this.options.url, branch: this.branch, error: message, serving: this.current?.set.revision ?? null }, 'policy sync failed; the active revision stays');
      // Without an active revision, readiness says why from the last load: this is it.
      if (!this.current) this.report = { at, ok: false, revision: null, diagnostics: [], problems: 0, error: `policy sync: fetch failed: ${message}` };
      return this.report!;
    }

    const activeCommit = this.current?.set.revision ?? null;
    if (head === activeCommit) {
      this.fromCache = false;
      this.note({ at, ok: true, head, result: 'up to date', error: null });
      return this.report!;
    }
    if (head === this.refusedHead) {
      this.note({ at, ok: false, head, result: 'refused', error: this.lastFailure?.error ?? 'refused' });
      return this.report!;
    }
    const refusal = await this.refusal(head, activeCommit);
    if (refusal) return this.refuse(at, head, { at, ok: false, revision: head, diagnostics: [], problems: 0, error: refusal });

    const { report, active } = await this.prepare(head, at).catch((error: Error) => ({
      report: { at, ok: false, revision: head, diagnostics: [], problems: 0, error: error.message } satisfies LoadReport,
      active: null,
    }));
    if (!active) return this.refuse(at, head, report);
    await updateRef(this.git, ACTIVE_REF, head);
    const previous = this.current;
    this.current = active;
    this.fromCache = false;
    this.refusedHead = null;
    this.report = report;
    this.note({ at, ok: true, head, result: 'activated', error: null });
    this.onLoad(report, active, previous);
    this.pruneTrees(active.root);
    return report;
  }

  /** Why the head must not be activated before it is even loaded, or null. */
  private async refusal(head: string, activeCommit: string | null): Promise<string | null> {
    if (activeCommit && !this.options.allowRewrite && !(await isAncestor(this.git, activeCommit, head))) {
      return `history rewritten: ${head.slice(0, 12)} on ${this.branch} does not descend from the active revision ${activeCommit.slice(0, 12)} (a force-push); refused, the active revision stays. Push a commit on top of it, or start the engine with --allow-rewrite`;
    }
    if (this.options.allowedSigners) {
      const signature = await signatureOf(this.git, head, this.options.allowedSigners);
      if (signature.status !== 'G') {
        return `${head.slice(0, 12)} on ${this.branch} is refused: ${SIGNATURE_STATUS[signature.status] ?? `git says ${signature.status}`}${signature.key ? ` (key ${signature.key})` : ''}; only commits signed by a key of ${this.options.allowedSigners} are activated`;
      }
    }
    return null;
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

  /** Loads and vets a commit; when it may be activated, writes the files its actions use. */
  private async prepare(commit: string, at: string): Promise<{ report: LoadReport; active: ActiveSet | null }> {
    let loaded: Awaited<ReturnType<RevisionLoader['load']>>;
    try {
      loaded = await this.loader.load(commit);
    } catch (error) {
      if (error instanceof RevisionError) return { report: { at, ok: false, revision: commit, diagnostics: [], problems: 0, error: error.message }, active: null };
      throw error;
    }
    const { repo, result } = loaded;
    const payloads = await readTestPayloads(this.loader, repo, result);
    const vetted = await vet(result, commit, (path) => {
      const text = payloads.get(path);
      if (text === undefined) throw new Error(`${path}: not in the revision`);
      return text;
    }, at);
    if (!vetted.set) return { report: vetted.report, active: null };
    const root = await this.writeTree(repo);
    return { report: vetted.report, active: activeSet(vetted.set, root, at) };
  }

  /**
   * The revision's files other than its policies (playbooks, scripts, inventories), written
   * under trees/<digest of their paths, modes and blob ids>: a revision that changes only
   * policies reuses the tree already written.
   */
  private async writeTree(repo: RevisionRepository): Promise<string> {
    // The rules folder's files are read from git; a repository that is its own rules folder is written whole.
    const files = [...repo.blobs].filter(([path]) => !repo.rulesPath || !path.startsWith(`${repo.rulesPath}/`));
    const digest = createHash('sha256');
    for (const [path, blob] of files) digest.update(`${path}\0${blob.sha}\0${blob.executable ? 'x' : '-'}\n`);
    const trees = join(this.options.cacheDir, 'trees');
    const dir = join(trees, digest.digest('hex').slice(0, 16));
    if (existsSync(dir)) return dir;
    const partial = `${dir}.partial`;
    rmSync(partial, { recursive: true, force: true });
    mkdirSync(partial, { recursive: true });
    const contents = await readBlobs(this.git, files.map(([, blob]) => blob.sha));
    files.forEach(([path, blob], i) => {
      const target = join(partial, path);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, contents[i]!);
      if (blob.executable) chmodSync(target, 0o755);
    });
    renameSync(partial, dir);
    return dir;
  }

  /** Removes the trees but the active one and the few activated before it. */
  private pruneTrees(active: string): void {
    this.recentTrees = [active, ...this.recentTrees.filter((t) => t !== active)].slice(0, TREES_KEPT + 1);
    const trees = join(this.options.cacheDir, 'trees');
    for (const name of readdirSync(trees)) {
      const dir = join(trees, name);
      if (!this.recentTrees.includes(dir)) rmSync(dir, { recursive: true, force: true });
    }
  }
}

class SyncError extends Error {}

const noop = () => undefined;
