/**
 * A program that stays up and is talked to over its pipes (git fast-import across many
 * commits): started once, so that its callers do not pay a fork of the engine each time.
 * Starting a child forks the whole engine process, which takes milliseconds on the event loop
 * and grows with the engine's memory. Same rules as runCommand: an argument vector, the
 * allowlisted environment, a process group of its own that close() ends whole.
 */
import { spawnChild } from './spawn.js';
import type { SpawnRequest } from './spawn.js';
import { createOutputTail } from './output-tail.js';
import { processGroupAlive, terminateGroup } from './process-group.js';

export type SessionRequest = SpawnRequest;

export class SessionClosedError extends Error {}

const STDERR_TAIL_BYTES = 16 * 1024;
const KILL_GRACE_MS = 2000;

export class Session {
  private buffered = '';
  private readonly lines: string[] = [];
  private readonly readers: { resolve: (line: string) => void; reject: (error: Error) => void }[] = [];
  private readonly stderr = createOutputTail(STDERR_TAIL_BYTES);
  private fresh = '';
  private exit: { code: number | null; signal: string | null } | null = null;
  private readonly exited: Promise<void>;

  private constructor(
    private readonly child: ReturnType<typeof spawnChild>,
    linesOnStderr: boolean,
  ) {
    child.stdout!.on('data', (chunk: Buffer) => {
      if (!linesOnStderr) this.take(chunk.toString('utf8'));
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr.push(chunk);
      if (linesOnStderr) this.take(chunk.toString('utf8'));
      else if (this.fresh.length < STDERR_TAIL_BYTES) this.fresh += chunk.toString('utf8');
    });
    // A write into a pipe whose reader is gone fails; the exit says why.
    child.stdin!.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        const error = new SessionClosedError(this.describeExit());
        for (const reader of this.readers.splice(0)) reader.reject(error);
        resolve();
      });
    });
    void child.catch(() => undefined);
    this.hold(false);
  }

  /**
   * Whether the program keeps the engine's process alive: only while an answer is awaited. An
   * idle session must not hold up the exit of a command that forgot to close it.
   */
  private hold(busy: boolean): void {
    const handles = [this.child, this.child.stdin, this.child.stdout, this.child.stderr] as unknown as ({ ref?(): void; unref?(): void } | null)[];
    for (const handle of handles) {
      if (busy) handle?.ref?.();
      else handle?.unref?.();
    }
  }

  /**
   * Starts the program; throws when it cannot be started. With `linesOnStderr`, nextLine()
   * reads stderr: for a program told to answer there, so that its answers and its warnings
   * arrive in the order it wrote them (two pipes are read in no particular order).
   */
  static async start(request: SessionRequest, linesOnStderr = false): Promise<Session> {
    const child = spawnChild(request, 'pipe', { cleanup: true });
    if (child.pid === undefined) {
      const failure = (await child.catch((error: unknown) => error)) as { shortMessage?: string; message?: string };
      throw new SessionClosedError(`${request.file}: cannot be started (${failure.shortMessage ?? failure.message ?? 'unknown error'})`);
    }
    return new Session(child, linesOnStderr);
  }

  get alive(): boolean {
    return this.exit === null;
  }

  /** Queues bytes for stdin (parts go out as one writev); libuv writes them as the program reads. */
  write(data: string | readonly Buffer[]): void {
    if (!this.alive) throw new SessionClosedError(this.describeExit());
    const stdin = this.child.stdin!;
    if (typeof data === 'string') {
      stdin.write(Buffer.from(data, 'utf8'));
      return;
    }
    stdin.cork();
    for (const part of data) stdin.write(part);
    stdin.uncork();
  }

  /** The next line the program prints on stdout, without its newline. */
  nextLine(): Promise<string> {
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (!this.alive) return Promise.reject(new SessionClosedError(this.describeExit()));
    if (this.readers.length === 0) this.hold(true);
    return new Promise((resolve, reject) => this.readers.push({ resolve, reject }));
  }

  /** What the program said on stderr lately (the last 16 KiB). */
  errorText(): string {
    return this.stderr.text([]);
  }

  /** What the program said on stderr since the last call (the first 16 KiB of it). */
  takeErrors(): string {
    const text = this.fresh;
    this.fresh = '';
    return text;
  }

  /**
   * Closes stdin (after `last`, if given) and waits up to `timeoutMs` for the program to exit
   * by itself; then ends its group. Resolves with the exit code (null when it was killed).
   */
  async close(timeoutMs: number, last?: string): Promise<number | null> {
    this.hold(true);
    if (this.alive) this.child.stdin!.end(last === undefined ? undefined : Buffer.from(last, 'utf8'));
    const timer = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), timeoutMs).unref());
    if ((await Promise.race([this.exited, timer])) === 'late' || processGroupAlive(this.child.pid!)) await terminateGroup(this.child.pid!, KILL_GRACE_MS);
    await this.exited;
    return this.exit!.code;
  }

  private take(chunk: string): void {
    this.buffered += chunk;
    let eol: number;
    while ((eol = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, eol);
      this.buffered = this.buffered.slice(eol + 1);
      const reader = this.readers.shift();
      if (reader) reader.resolve(line);
      else this.lines.push(line);
      if (reader && this.readers.length === 0) this.hold(false);
    }
  }

  private describeExit(): string {
    const how = this.exit ? (this.exit.signal ? `was killed by ${this.exit.signal}` : `exited with code ${this.exit.code}`) : 'is closing';
    const said = this.errorText().trim().split('\n').slice(-3).join(' | ');
    return `${this.child.spawnfile} ${how}${said ? `: ${said}` : ''}`;
  }
}
