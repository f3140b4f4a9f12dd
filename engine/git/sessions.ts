/**
 * git programs kept running and talked to over their pipes, for the audit repository's write
 * path: `fast-import` (objects and commits), `mktree --batch` (one directory's tree) and
 * `cat-file --batch-check` (object ids). Starting git forks the engine, which costs
 * milliseconds of the event loop and grows with the engine's memory; one process for many
 * requests does not. A session that failed is ended, and the next request starts another.
 */
import { Session } from '../exec/exec.js';
import { resetCommand } from './fast-import.js';
import { CONFIG, errorText, GitCommandError, STDIN_COMMAND_TIMEOUT_MS } from './git.js';
import type { Git } from './git.js';

const OBJECT_ID = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;
const GIT_ERROR = /^(?:error|fatal):/m;
/** How long a discarded process may take to exit before its group is ended (it has nothing left to finish). */
const DISCARD_TIMEOUT_MS = 10_000;

/** One long-running git command; requests run one at a time, in the order they were made. */
class GitSession {
  private session: Session | null = null;
  /** A discarded process, until it has exited. */
  private closing: Promise<void> | null = null;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    protected readonly git: Git,
    private readonly args: readonly string[],
    private readonly config: readonly string[] = [],
    /** What ends the input cleanly (fast-import's `done`). */
    private readonly last?: string,
    /** The program answers on stderr, among its warnings (Session.start says why). */
    private readonly answersOnStderr = false,
  ) {}

  /** Ends the process (the next request starts another). */
  async close(): Promise<void> {
    const session = this.session;
    this.session = null;
    if (session) await session.close(STDIN_COMMAND_TIMEOUT_MS, this.last);
    await this.closing;
  }

  /**
   * Writes `input`, then reads lines until `lines` of them are answers (`isAnswer`); the
   * others are warnings. A failure ends the process, `farewell` written before its last input.
   */
  protected request(input: string | readonly Buffer[], lines: number, isAnswer: (line: string) => boolean = () => true, farewell = ''): Promise<{ answer: string[]; warnings: string }> {
    const run = this.chain.then(async () => {
      const session = await this.open();
      try {
        session.write(input);
        const answer: string[] = [];
        let warnings = '';
        while (answer.length < lines) {
          const line = await session.nextLine();
          if (isAnswer(line)) answer.push(line);
          else warnings += `${line}\n`;
        }
        warnings += session.takeErrors();
        // Every error git reports is a failure, whatever the answer: fast-import that cannot
        // lock the branch ("error: cannot lock ref") still answers get-mark with the commit
        // it wrote and left unreachable.
        if (GIT_ERROR.test(warnings)) throw new GitCommandError(warnings.split('\n').filter((line) => GIT_ERROR.test(line)).join('\n'));
        return { answer, warnings };
      } catch (error) {
        this.discard(farewell);
        throw new GitCommandError(`git ${this.args[0]} failed: ${errorText((error as Error).message)}`);
      }
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  /**
   * Ends the process after an answer that showed it can no longer be trusted; `farewell` is
   * written before its last input. The next request waits for it to exit.
   */
  protected discard(farewell = ''): void {
    const session = this.session;
    this.session = null;
    if (!session) return;
    const closed = session.close(DISCARD_TIMEOUT_MS, farewell + (this.last ?? '') || undefined).catch(() => null);
    this.closing = Promise.all([this.closing, closed]).then(() => undefined);
  }

  private async open(): Promise<Session> {
    if (this.session?.alive) return this.session;
    if (this.session) await this.close();
    await this.closing;
    this.closing = null;
    this.session = await Session.start({
      file: 'git',
      args: [...CONFIG, ...this.config].flatMap((c) => ['-c', c]).concat(this.args),
      cwd: this.git.dir,
      env: this.git.env,
    }, this.answersOnStderr);
    return this.session;
  }
}

/**
 * `git fast-import`: each import writes its commands, then `checkpoint` (the pack is finished
 * and the refs are updated on disk) and `get-mark`, whose answer says the checkpoint is done.
 * fast-import keeps a table of every object it wrote and keeps its packs (.keep) until it
 * exits: the owner closes it now and then (before a repack), and after RECYCLE_OBJECTS.
 *
 * An import that failed is not retried in the same process: it is ended, and the next import
 * starts another, which continues each branch from its value on disk (`<ref>^0`). fast-import
 * writes its branches once more when it exits (even when it dies): `branches`, the refs its
 * imports move, are first reset to their value on disk, so that a failed commit (the branch
 * was locked) never lands on the branch later, behind the back of the retry.
 */
export class FastImporter extends GitSession {
  private marks = 0;
  private written = 0;

  constructor(
    git: Git,
    private readonly branches: readonly string[] = [],
  ) {
    // Objects stay in the pack fast-import wrote, however few (below the limit it would start
    // `git unpack-objects` to loosen them, the larger part of a small commit's time).
    // get-mark answers on stderr (--cat-blob-fd=2), after any warning about the same import.
    super(git, ['fast-import', '--quiet', '--done', '--cat-blob-fd=2'], ['fastimport.unpackLimit=0'], 'done\n', true);
  }

  /**
   * Imports the commands `build(firstMark)` returns, marks numbered from firstMark; resolves
   * with the object id of its last mark once the refs are updated on disk.
   */
  async import(build: (firstMark: number) => { stream: string | readonly Buffer[]; last: number; objects: number }): Promise<string> {
    const { stream, last, objects } = build(this.marks + 1);
    this.marks = last;
    this.written += objects;
    const end = `checkpoint\nget-mark :${last}\n`;
    const input = typeof stream === 'string' ? stream + end : [...stream, Buffer.from(end)];
    const farewell = this.branches.map((ref) => resetCommand(ref, `${ref}^0`)).join('');
    const { answer, warnings } = await this.request(input, 1, (line) => OBJECT_ID.test(line), farewell);
    // A ref fast-import may not move (someone else moved it meanwhile) is only a warning to it.
    if (!OBJECT_ID.test(answer[0]!) || /not updating/i.test(warnings)) {
      this.discard(farewell);
      throw new GitCommandError(`git fast-import did not update the branch: ${errorText(warnings) || answer[0]}`);
    }
    if (this.written >= RECYCLE_OBJECTS) await this.close();
    return answer[0]!;
  }

  override async close(): Promise<void> {
    this.marks = 0;
    this.written = 0;
    await super.close();
  }

  protected override discard(farewell = ''): void {
    this.marks = 0;
    this.written = 0;
    super.discard(farewell);
  }
}

/** Objects one fast-import process writes before it is replaced. */
const RECYCLE_OBJECTS = 200_000;

/**
 * `git mktree --batch --missing`: writes one directory's tree from its listing, the blobs it
 * names not yet required to exist (fast-import writes them in the same commit).
 */
export class TreeMaker extends GitSession {
  constructor(git: Git) {
    super(git, ['mktree', '--batch', '--missing']);
  }

  /** The tree of these files (name → blob id, mode 100644); names hold no tab or newline. */
  async make(listing: string): Promise<string> {
    const { answer } = await this.request(`${listing}\n`, 1);
    if (!OBJECT_ID.test(answer[0]!)) throw new GitCommandError(`git mktree: unexpected answer: ${answer[0]}`);
    return answer[0]!;
  }
}

/** `git cat-file --batch-check`: object ids by name (`<rev>`, `<rev>:<path>`), null when missing. */
export class ObjectLookup extends GitSession {
  constructor(git: Git) {
    super(git, ['cat-file', '--batch-check']);
  }

  async ids(specs: readonly string[]): Promise<(string | null)[]> {
    for (const spec of specs) if (/[\n\r]/.test(spec)) throw new GitCommandError(`object name contains a line break: ${JSON.stringify(spec)}`);
    const { answer } = await this.request(specs.map((s) => `${s}\n`).join(''), specs.length);
    return answer.map((line) => {
      const id = line.split(' ', 1)[0]!;
      return OBJECT_ID.test(id) ? id : null;
    });
  }
}

/** A line of a tree listing, as mktree reads it. */
export function listingLine(name: string, blob: string): string {
  return `100644 blob ${blob}\t${name}\n`;
}
