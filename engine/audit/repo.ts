/**
 * engine/audit: the audit trail. This folder owns the entry format (entry.ts), the write-ahead
 * journal (journal*.ts) and the audit repository (this file): a bare git repository,
 * `<data-dir>/audit`, one file per action at actions/YYYY/MM/DD/<id>.json, committed at intent
 * and again at outcome. It runs git only through engine/git/ and must not decide what is
 * audited or when: the runtime calls commit() and push().
 *
 * Writing: no working tree and no index (a commit's cost would grow with the files in the
 * index, and this repository keeps a file per action for years). commit() feeds one
 * long-running `git fast-import` (FastImporter in engine/git), which touches only the trees on
 * the changed paths and ends each batch with a checkpoint that updates the branch on disk: a
 * commit per write for small batches, one commit for a large one (layout.ts says why).
 *
 * Packing: each checkpoint leaves its objects in a pack of their own (loosening a small pack
 * would start `git unpack-objects`, the larger part of a small commit's time); every
 * REPACK_EVERY commits the importer is ended (it keeps its packs until it exits) and a
 * geometric repack (`git repack -d --geometric=2`), in the background, rolls the small packs
 * up, so the pack count stays logarithmic and the amortized cost is that of the new objects.
 * Nothing else is needed; `git gc` by hand is safe at any time. While the importer runs, the
 * pack it will write next sits in objects/pack as tmp_pack_* (`git count-objects` calls it
 * garbage; it is not, and one a crash leaves behind is removed by `git gc`).
 *
 * Reading: openReadOnly() runs only git commands that read (rev-parse, ls-tree, cat-file,
 * log), each naming the branch: `homeostat audit log|show|verify` read the repository of a
 * running engine without creating a lock file or rewriting HEAD beside its commits.
 *
 * Pushing: never forced. A push the remote refuses because its branch moved is followed by a
 * fetch and a replay of the local commits on top of the remote tip (replay.ts), then another
 * push, a few times at most. An unreachable remote leaves the commits local; a later push
 * sends them all, in order.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { existsSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { commitCommand, finish, rawDate } from '../git/fast-import.js';
import {
  blobId, countCommits, fastImport, gitErrorText, initBare, isBareRepository, openGit, readBlobs, readLog, repackSmall,
  resolveCommit, setHead,
} from '../git/git.js';
import type { Git } from '../git/git.js';
import { readTrailers, subjectOf } from './commit-message.js';
import type { AuditWrite, EntryTrailers } from './commit-message.js';
import { listEntries, readEntries } from './entries.js';
import type { AuditRecord, ListedEntry, ReadOptions } from './entries.js';
import { entryPath } from './entry.js';
import type { AuditEntry } from './entry.js';
import { newestOfKind } from './newest.js';
import type { NewestQuery } from './newest.js';
import type { EntryFilter } from './filter.js';
import { batchStream, bulkStream, entryPlace, PER_WRITE_MAX } from './layout.js';
import { DayTrees } from './day-trees.js';
import { FastImporter, ObjectLookup, TreeMaker } from '../git/sessions.js';
import type { Ident } from '../git/fast-import.js';
import { INITIAL_MESSAGE, README } from './readme.js';
import { pushBranch } from './push.js';
import type { PushResult } from './push.js';
import { replayOnto } from './replay.js';

export type { AuditWrite, EntryTrailers, WriteKind } from './commit-message.js';
export { writeKind } from './commit-message.js';
export type { AuditRecord, ListedEntry, ReadOptions } from './entries.js';
export type { EntryFilter } from './filter.js';
export type { NewestQuery } from './newest.js';
export type { PushResult } from './push.js';

export interface AuditRepoOptions {
  dir: string;
  branch: string;
  remote?: { url: string; branch: string } | null;
  /** Author and committer of the audit commits (default homeostat <homeostat@localhost>). */
  author?: { name: string; email: string };
  log?: AuditLogger;
  /** How many commit() calls between two roll-ups of the small packs (default 16). */
  repackEvery?: number;
}

export interface AuditLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface LogQuery {
  /** Only the commits that wrote this entry. */
  id?: string;
  /** Commits with an entry whose trailers include all of these (e.g. Homeostat-Policy). */
  trailers?: Record<string, string>;
  since?: Date;
  limit?: number;
  rev?: string;
}

export interface AuditCommit {
  sha: string;
  parents: string[];
  /** When the commit was written (ISO 8601, UTC). */
  date: string;
  author: { name: string; email: string };
  subject: string;
  message: string;
  entries: EntryTrailers[];
}

export class AuditRepoError extends Error {}

const DEFAULT_AUTHOR = { name: 'homeostat', email: 'homeostat@localhost' };
const REPACK_EVERY = 16;
const HASH_SLICE = 500;

export class AuditRepo {
  private chain: Promise<unknown> = Promise.resolve();
  private pushing: Promise<unknown> = Promise.resolve();
  private commitsSinceRepack = 0;
  private readonly importer: FastImporter;
  private readonly lookup: ObjectLookup;
  private readonly days: DayTrees;
  private readonly maker: TreeMaker;
  private repacking: Promise<unknown> | null = null;

  private constructor(
    private readonly git: Git,
    private readonly options: AuditRepoOptions,
    /** Opened by openReadOnly: commit() and push() reject, and nothing is written. */
    private readonly readOnly: boolean,
  ) {
    this.importer = new FastImporter(git, [`refs/heads/${options.branch}`]);
    this.lookup = new ObjectLookup(git);
    this.maker = new TreeMaker(git);
    this.days = new DayTrees(git, this.lookup, this.maker);
  }

  /** Opens the repository, creating it (bare, with a README commit) when the directory is new or empty. */
  static async open(options: AuditRepoOptions): Promise<AuditRepo> {
    const dir = resolve(options.dir);
    const fresh = !existsSync(dir) || readdirSync(dir).length === 0;
    const git = openGit(dir);
    if (fresh) await initBare(git, options.branch);
    else await checkBare(git);
    const repo = new AuditRepo(git, options, false);
    if ((await repo.head()) === null) await repo.exclusive(() => repo.writeInitial());
    // `git -C DIR log` reads HEAD: it names the branch homeostat writes.
    await setHead(git, options.branch);
    return repo;
  }

  /**
   * Opens an existing repository to read it, writing nothing there (no HEAD update, no lock
   * file, no initial commit): the engine may be writing it meanwhile. Throws AuditRepoError
   * when the directory holds no bare repository or the branch has no commit.
   */
  static async openReadOnly(options: Pick<AuditRepoOptions, 'dir' | 'branch'>): Promise<AuditRepo> {
    const dir = resolve(options.dir);
    if (!existsSync(dir)) throw new AuditRepoError(`${dir}: no such directory`);
    const git = openGit(dir);
    await checkBare(git);
    const repo = new AuditRepo(git, options, true);
    if ((await repo.head()) === null) throw new AuditRepoError(`${dir} has no branch ${options.branch}`);
    return repo;
  }

  get dir(): string {
    return this.git.dir;
  }

  get branchRef(): string {
    return `refs/heads/${this.options.branch}`;
  }

  /** Commits a batch of writes in one fast-import (layout.ts); resolves with the new head. */
  commit(writes: readonly AuditWrite[]): Promise<string> {
    if (this.readOnly) return Promise.reject(new AuditRepoError(`${this.dir} was opened read-only: nothing is committed`));
    return this.exclusive(() => this.commitNow(writes));
  }

  async head(): Promise<string | null> {
    return resolveCommit(this.git, this.branchRef);
  }

  /** An entry file's content at `rev` (default the branch head), or null. */
  async read(id: string, rev: string = this.branchRef): Promise<string | null> {
    const [blob] = await readBlobs(this.git, [`${rev}:${entryPath(id)}`]);
    return blob ? blob.toString('utf8') : null;
  }

  /** Every entry file at `rev` (default the branch head), oldest first. */
  async list(rev: string = this.branchRef): Promise<ListedEntry[]> {
    return listEntries(this.git, rev);
  }

  /** The entry files at the head that match the filter, parsed, a chunk at a time. */
  async *entries(filter: EntryFilter = {}, options: ReadOptions & { rev?: string } = {}): AsyncGenerator<AuditRecord> {
    yield* readEntries(this.git, await this.list(options.rev), filter, options);
  }

  /** The entries of one kind at the head, newest first, reading only the days in range (newest.ts). */
  newestOfKind(query: NewestQuery): AsyncGenerator<AuditEntry> {
    return newestOfKind(this.git, this.branchRef, query);
  }

  /** Commits, newest first, with the entries each one wrote. */
  async log(query: LogQuery = {}): Promise<AuditCommit[]> {
    const byTrailers = query.trailers && Object.keys(query.trailers).length > 0;
    const records = await readLog(this.git, {
      revs: [query.rev ?? this.branchRef],
      paths: query.id ? [entryPath(query.id)] : [],
      ...(query.since ? { since: query.since.toISOString() } : {}),
      ...(query.limit !== undefined && !byTrailers ? { maxCount: query.limit } : {}),
    });
    let commits = records.map((r): AuditCommit => ({
      sha: r.sha,
      parents: r.parents,
      date: isoDate(r.committer.date),
      author: { name: r.author.name, email: r.author.email },
      subject: subjectOf(r.message),
      message: r.message,
      entries: readTrailers(r.message),
    }));
    if (byTrailers) commits = commits.filter((c) => c.entries.some((e) => hasTrailers(e, query.trailers!)));
    return query.limit !== undefined ? commits.slice(0, query.limit) : commits;
  }

  /** Pushes the branch to the remote, replaying onto a remote tip that moved. Never forced. */
  push(): Promise<PushResult> {
    if (this.readOnly) return Promise.reject(new AuditRepoError(`${this.dir} was opened read-only: nothing is pushed`));
    const run = this.pushing.then(() => this.pushNow());
    this.pushing = run.catch(() => undefined);
    return run;
  }

  /**
   * Ends the fast-import process and waits for the background repack, if one runs; then rolls
   * up the packs written since the last one (a roll-up skipped while another ran would
   * otherwise leave them to the next start), so a stopped repository holds a geometric row.
   */
  async close(): Promise<void> {
    await this.exclusive(() => Promise.all([this.importer.close(), this.lookup.close(), this.maker.close()]));
    await this.repacking;
    if (this.commitsSinceRepack === 0) return;
    this.commitsSinceRepack = 0;
    await this.rollUp();
  }

  /** Commits the remote is not known to have (0 without a remote). */
  async pending(): Promise<number> {
    const head = await this.head();
    if (!this.options.remote || !head) return 0;
    const tip = await resolveCommit(this.git, this.trackingRef());
    return countCommits(this.git, [head], tip ? [tip] : []);
  }

  // commit() calls and the replay's branch move run one at a time, whatever the caller does.
  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.chain.then(task, task);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async commitNow(writes: readonly AuditWrite[]): Promise<string> {
    if (writes.length === 0) return (await this.head()) ?? Promise.reject(new AuditRepoError('the audit branch has no commit'));
    const who = { ...(this.options.author ?? DEFAULT_AUTHOR), date: rawDate(Date.now()) };
    // FastImporter rejects an import whose branch someone else moved meanwhile: the auditor
    // then commits the same writes again, on the new head.
    const head = writes.length <= PER_WRITE_MAX ? await this.commitEach(writes, who) : await this.commitBulk(writes, who);
    await this.maybeRepack();
    return head;
  }

  // A commit per write, each file put in place by fast-import.
  private commitEach(writes: readonly AuditWrite[], who: Ident): Promise<string> {
    return this.importer.import((firstMark) => {
      const { stream, last } = batchStream(writes, this.branchRef, who, firstMark);
      // Blobs, commits and the trees on their paths: about two objects a write.
      return { stream, last, objects: 2 * writes.length + 2 * (last - firstMark + 1) };
    });
  }

  // One commit, each day directory's tree written whole.
  private async commitBulk(writes: readonly AuditWrite[], who: Ident): Promise<string> {
    const [head] = await this.lookup.ids([this.branchRef]);
    if (!head) throw new AuditRepoError(`${this.branchRef} has no commit`);
    const blobs: (Buffer | readonly Buffer[])[] = [];
    const changes = new Map<string, [string, string][]>();
    for (const [i, w] of writes.entries()) {
      // A large batch is hashed a slice at a time: the event loop has webhooks to answer.
      if (i > 0 && i % HASH_SLICE === 0) await nextTurn();
      const blob = typeof w.content === 'string' ? Buffer.from(w.content, 'utf8') : w.content;
      blobs.push(blob);
      const { dir, name } = entryPlace(w.id);
      let files = changes.get(dir);
      if (!files) changes.set(dir, (files = []));
      files.push([name, blobId(blob)]);
    }
    const trees = await this.days.write(head, changes);
    return this.importer.import((mark) => ({
      stream: bulkStream(writes, blobs, trees, this.branchRef, who, head, mark),
      last: mark,
      objects: writes.length + 1,
    }));
  }

  private async writeInitial(): Promise<void> {
    const who = { ...(this.options.author ?? DEFAULT_AUTHOR), date: rawDate(Date.now()) };
    const files = [{ op: 'write' as const, path: 'README.md', content: README }];
    await fastImport(this.git, commitCommand({ ref: this.branchRef, mark: 1, author: who, committer: who, message: INITIAL_MESSAGE, files }) + finish(null));
  }

  // In the background: a roll-up that reaches the big packs costs a repack of the repository
  // (once each time its object count doubles), which must not hold up the commits. git reads
  // and writes safely while a repack runs; only one repack runs at a time. fast-import keeps
  // the packs it wrote (.keep files) until it exits, and repack leaves kept packs alone: the
  // importer is ended first, and the next commit starts another.
  private async maybeRepack(): Promise<void> {
    if (++this.commitsSinceRepack < (this.options.repackEvery ?? REPACK_EVERY) || this.repacking) return;
    this.commitsSinceRepack = 0;
    await this.importer.close();
    this.repacking = this.rollUp().finally(() => (this.repacking = null));
  }

  /** A geometric repack of the small packs; a failure is logged, never thrown (the next one retries). */
  private rollUp(): Promise<void> {
    return repackSmall(this.git).then(
      () => undefined,
      (error: unknown) => this.options.log?.warn({ err: error, dir: this.dir }, 'git repack failed in the audit repository'),
    );
  }

  private trackingRef(): string {
    return `refs/remotes/audit/${this.options.remote!.branch}`;
  }

  private async pushNow(): Promise<PushResult> {
    const remote = this.options.remote;
    if (!remote) return { pushed: false, error: null, replayed: 0 };
    return pushBranch({
      git: this.git,
      remote,
      branchRef: this.branchRef,
      trackingRef: this.trackingRef(),
      // The replay moves the branch: never while a commit() is writing to it.
      replay: (tip) => this.exclusive(() => replayOnto(this.git, this.branchRef, tip)),
      ...(this.options.log ? { log: this.options.log } : {}),
    });
  }
}

async function checkBare(git: Git): Promise<void> {
  let bare: boolean;
  try {
    bare = await isBareRepository(git);
  } catch (error) {
    throw new AuditRepoError(`${git.dir} is not a git repository, and not empty: ${gitErrorText(error)}`);
  }
  if (!bare) throw new AuditRepoError(`${git.dir} is a git repository with a working tree; the audit repository is a bare one`);
}

function hasTrailers(entry: EntryTrailers, wanted: Record<string, string>): boolean {
  return Object.entries(wanted).every(([key, value]) => key === 'Homeostat-Entry' ? entry.id === value : entry.trailers[key] === value);
}

function isoDate(raw: string): string {
  return new Date(Number(raw.split(' ')[0]) * 1000).toISOString();
}
