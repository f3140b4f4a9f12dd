/**
 * engine/audit: the audit trail. This folder owns the entry format (entry.ts), the write-ahead
 * journal (journal*.ts) and the audit repository (this file): a bare git repository,
 * `<data-dir>/audit`, one file per action at actions/YYYY/MM/DD/<id>.json, committed at intent
 * and again at outcome. It runs git only through engine/git/ and must not decide what is
 * audited or when: the runtime calls commit() and push().
 *
 * Writing: no working tree and no index (a commit's cost would grow with the files in the
 * index, and this repository keeps a file per action for years). Each commit() call is one
 * `git fast-import` process that writes ONE commit for the whole batch: measured, a commit per
 * write costs about 0.5 ms more per write in a day directory of a few hundred files, but the
 * trees on the path are written again for each commit, and in a day directory of 20,000 files
 * that is 40-80 ms per write against the same per batch. One commit per batch keeps a storm's
 * cost bounded by the number of batches, and the log stays readable: at the usual pace a batch
 * is one write and its commit is that write's line plus trailers; in a storm the first line
 * counts the entries (`audit: 12 entries (9 intents, 3 outcomes)`), the body has one line per
 * write and the trailers one group per entry (commit-message.ts). `git log -- <file>` still
 * shows an entry's intent and outcome commits. fast-import leaves loose objects (batches below
 * fastimport.unpackLimit) or a small pack per batch; `git gc --auto` runs every GC_EVERY
 * commits, in line with the commits, and packs them when git's own thresholds say so.
 *
 * Pushing: never forced. A push the remote refuses because its branch moved is followed by a
 * fetch and a replay of the local commits on top of the remote tip (replay.ts), then another
 * push, a few times at most. An unreachable remote leaves the commits local; a later push
 * sends them all, in order.
 */
import { existsSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { commitCommand, finish, printedId, rawDate } from '../git/fast-import.js';
import {
  countCommits, errorText, fastImport, fetchRef, gcAuto, initBare, isAncestor, isBareRepository, openGit, pushCommit,
  readBlobs, readLog, resolveCommit, setHead, updateRef,
} from '../git/git.js';
import type { Git } from '../git/git.js';
import { commitMessage, readTrailers, subjectOf } from './commit-message.js';
import type { AuditWrite, EntryTrailers } from './commit-message.js';
import { listEntries, readEntries } from './entries.js';
import type { AuditRecord, ListedEntry, ReadOptions } from './entries.js';
import { entryPath } from './entry.js';
import type { EntryFilter } from './filter.js';
import { INITIAL_MESSAGE, README } from './readme.js';
import { replayOnto } from './replay.js';

export type { AuditWrite, EntryTrailers } from './commit-message.js';
export type { AuditRecord, ListedEntry, ReadOptions } from './entries.js';
export type { EntryFilter } from './filter.js';

export interface AuditRepoOptions {
  dir: string;
  branch: string;
  remote?: { url: string; branch: string } | null;
  /** Author and committer of the audit commits (default homeostat <homeostat@localhost>). */
  author?: { name: string; email: string };
  log?: AuditLogger;
  /** How many commit() calls between two `git gc --auto` (default 64). */
  gcEvery?: number;
}

export interface AuditLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface PushResult {
  /** The remote branch holds the local head. */
  pushed: boolean;
  /** Why not; null when pushed or when no remote is configured. */
  error: string | null;
  /** Local commits made again on top of a remote tip that had moved. */
  replayed: number;
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
const GC_EVERY = 64;
const PUSH_ATTEMPTS = 5;

export class AuditRepo {
  private chain: Promise<unknown> = Promise.resolve();
  private pushing: Promise<unknown> = Promise.resolve();
  private commitsSinceGc = 0;

  private constructor(
    private readonly git: Git,
    private readonly options: AuditRepoOptions,
  ) {}

  /** Opens the repository, creating it (bare, with a README commit) when the directory is new or empty. */
  static async open(options: AuditRepoOptions): Promise<AuditRepo> {
    const dir = resolve(options.dir);
    const fresh = !existsSync(dir) || readdirSync(dir).length === 0;
    const git = openGit(dir);
    if (fresh) await initBare(git, options.branch);
    else await checkBare(git);
    const repo = new AuditRepo(git, options);
    if ((await repo.head()) === null) await repo.exclusive(() => repo.writeInitial());
    // `git -C DIR log` reads HEAD: it names the branch homeostat writes.
    await setHead(git, options.branch);
    return repo;
  }

  get dir(): string {
    return this.git.dir;
  }

  get branchRef(): string {
    return `refs/heads/${this.options.branch}`;
  }

  /** Commits a batch of writes as one commit; resolves with the new head. */
  commit(writes: readonly AuditWrite[]): Promise<string> {
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
    const run = this.pushing.then(() => this.pushNow());
    this.pushing = run.catch(() => undefined);
    return run;
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
    const files = writes.map((w) => ({ op: 'write' as const, path: entryPath(w.id), content: w.content }));
    const message = commitMessage(writes);
    // `<branch>^0` is the ref's value before the import; fast-import refuses to move the ref if
    // someone else moved it meanwhile (not a fast-forward), so nothing is ever overwritten.
    const stream = commitCommand({ ref: this.branchRef, mark: 1, author: who, committer: who, message, from: `${this.branchRef}^0`, files });
    const head = printedId(await fastImport(this.git, stream + finish(1)));
    if (!head) throw new AuditRepoError('git fast-import did not say which commit it made');
    await this.maybeGc();
    return head;
  }

  private async writeInitial(): Promise<void> {
    const who = { ...(this.options.author ?? DEFAULT_AUTHOR), date: rawDate(Date.now()) };
    const files = [{ op: 'write' as const, path: 'README.md', content: README }];
    await fastImport(this.git, commitCommand({ ref: this.branchRef, mark: 1, author: who, committer: who, message: INITIAL_MESSAGE, files }) + finish(null));
  }

  private async maybeGc(): Promise<void> {
    if (++this.commitsSinceGc < (this.options.gcEvery ?? GC_EVERY)) return;
    this.commitsSinceGc = 0;
    try {
      await gcAuto(this.git);
    } catch (error) {
      // The commit is made; packing can wait for the next round.
      this.options.log?.warn({ err: error, dir: this.dir }, 'git gc --auto failed in the audit repository');
    }
  }

  private trackingRef(): string {
    return `refs/remotes/audit/${this.options.remote!.branch}`;
  }

  private async pushNow(): Promise<PushResult> {
    const remote = this.options.remote;
    if (!remote) return { pushed: false, error: null, replayed: 0 };
    const remoteRef = `refs/heads/${remote.branch}`;
    let replayed = 0;
    let refusal = '';
    for (let attempt = 1; attempt <= PUSH_ATTEMPTS; attempt++) {
      const head = await this.head();
      if (!head) return { pushed: false, error: 'the audit branch has no commit', replayed };
      try {
        await pushCommit(this.git, remote.url, head, remoteRef);
        await updateRef(this.git, this.trackingRef(), head);
        return { pushed: true, error: null, replayed };
      } catch (error) {
        refusal = gitMessage(error);
      }
      // Refused: find out whether the remote branch moved. If it cannot be fetched, or it did
      // not move, the refusal has another cause (unreachable, permissions, a hook).
      try {
        await fetchRef(this.git, remote.url, remoteRef, this.trackingRef());
      } catch {
        return { pushed: false, error: refusal, replayed };
      }
      const tip = await resolveCommit(this.git, this.trackingRef());
      if (!tip || (await isAncestor(this.git, tip, head))) return { pushed: false, error: refusal, replayed };
      const done = await this.exclusive(() => replayOnto(this.git, this.branchRef, tip));
      replayed += done.replayed;
      this.options.log?.info({ onto: tip, replayed: done.replayed, attempt }, 'audit commits replayed onto the moved remote branch');
    }
    return { pushed: false, error: `the remote branch kept moving (${PUSH_ATTEMPTS} attempts): ${refusal}`, replayed };
  }
}

async function checkBare(git: Git): Promise<void> {
  let bare: boolean;
  try {
    bare = await isBareRepository(git);
  } catch (error) {
    throw new AuditRepoError(`${git.dir} is not a git repository, and not empty: ${gitMessage(error)}`);
  }
  if (!bare) throw new AuditRepoError(`${git.dir} is a git repository with a working tree; the audit repository is a bare one`);
}

function hasTrailers(entry: EntryTrailers, wanted: Record<string, string>): boolean {
  return Object.entries(wanted).every(([key, value]) => key === 'Homeostat-Entry' ? entry.id === value : entry.trailers[key] === value);
}

function isoDate(raw: string): string {
  return new Date(Number(raw.split(' ')[0]) * 1000).toISOString();
}

function gitMessage(error: unknown): string {
  return errorText(error instanceof Error ? error.message : String(error));
}
