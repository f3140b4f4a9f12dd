/**
 * engine/exec: the one place that starts child processes, and the only importer of execa.
 * It owns how a program runs: an argument vector and never a shell, an environment built from
 * an allowlist, a process group per child that a timeout or an abort ends whole, a bounded
 * tail of the output, and secrets masked in what it returns. It must not know what the
 * programs are for (engine/actions/ decides that) and writes no audit, git or state itself.
 */
import { statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnChild } from './spawn.js';
import { createOutputTail } from './output-tail.js';
import type { OutputTail } from './output-tail.js';
import { processGroupAlive, terminateGroup } from './process-group.js';
import { redact, usableSecrets } from './redact.js';

export { childEnv, ENV_ALLOWLIST } from './env.js';
export { redact } from './redact.js';
export { endProcessGroup, processGroupAlive, processStartTime } from './process-group.js';
export { Session, SessionClosedError } from './session.js';
export type { SessionRequest } from './session.js';
export { FileLockError, tryLockFile } from './file-lock.js';
export type { HeldLock } from './file-lock.js';
export { filesHeldOpen } from './open-files.js';

export interface ExecRequest {
  /** The program: an absolute path or a name looked up on PATH. */
  file: string;
  /** One element per argument, passed as they are: there is never a shell. */
  args: readonly string[];
  cwd: string;
  /** Added on top of the allowlisted variables of the engine's own environment. */
  env?: Readonly<Record<string, string>>;
  /** Written to stdin, which is then closed; without it stdin is not open at all. */
  input?: string | Buffer;
  timeoutMs: number;
  /** Between SIGTERM and SIGKILL to the group, at timeout or abort (default 5000). */
  killGraceMs?: number;
  /** The tail of stdout and stderr together that is kept (default 64 KiB). */
  outputCapBytes?: number;
  /**
   * Also return the tail's bytes undecoded and unmasked, for binary output of a trusted program
   * (git objects); the text of `output` would change bytes that are not UTF-8.
   */
  rawOutput?: boolean;
  /** Masked as '***' in the output and the command returned. */
  secrets?: readonly string[];
  /** Aborting ends the group as a timeout does; the result says aborted. */
  signal?: AbortSignal;
  /** Called once the child runs, with its process group id (its pid: it leads its own group). */
  onSpawn?(pgid: number): void | Promise<void>;
}

export interface ExecResult {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  aborted: boolean;
  durationMs: number;
  pgid: number | null;
  /** The tail of stdout and stderr as they arrived, secrets masked. */
  output: string;
  outputTruncated: boolean;
  /** The tail's bytes, when the request asked for rawOutput. */
  outputBytes?: Buffer;
  /** [file, ...args], secrets masked. */
  command: string[];
  /** Why the program could not be started at all, e.g. 'ansible-playbook: command not found (ENOENT)'. */
  spawnError: string | null;
}

const DEFAULT_KILL_GRACE_MS = 5000;
const DEFAULT_OUTPUT_CAP_BYTES = 64 * 1024;
/**
 * How long output may still arrive once the child has exited and its group is gone: only a
 * process that left the group (setsid) and kept the pipes could hold them open longer.
 */
const DRAIN_MS = 1000;
/** setTimeout fires at once for anything longer (about 24.8 days): longer waits are this long. */
const MAX_TIMER_MS = 2 ** 31 - 1;

type Child = ReturnType<typeof spawnChild>;

/**
 * Run one program to its end. Resolves once the child has exited and nothing of its process
 * group is left: members that outlive the child are ended like a timeout ends them, so a run
 * leaves no process behind. Never rejects because of the child; only for a caller's mistake
 * (or when onSpawn throws, after the group is ended).
 */
export async function runCommand(request: ExecRequest): Promise<ExecResult> {
  if (!(request.timeoutMs > 0)) throw new RangeError(`timeoutMs must be a positive number of milliseconds, not ${request.timeoutMs}`);
  const secrets = usableSecrets(request.secrets);
  const notRun: ExecResult = {
    exitCode: null, signal: null, timedOut: false, aborted: false, durationMs: 0, pgid: null,
    output: '', outputTruncated: false, command: [request.file, ...request.args].map((part) => redact(part, secrets)), spawnError: null,
  };
  const invalid = invalidRequest(request);
  if (invalid !== null) return { ...notRun, spawnError: redact(invalid, secrets) };
  if (request.signal?.aborted) return { ...notRun, aborted: true };

  const started = performance.now();
  const tail = createOutputTail(request.outputCapBytes ?? DEFAULT_OUTPUT_CAP_BYTES);
  const child = spawnChild(request, request.input === undefined ? 'ignore' : 'pipe', { cleanup: false });
  // With reject: false execa settles with a result even when the program cannot start.
  const settled = child.then((result) => result, (error: unknown) => error);
  const pgid = child.pid;
  if (pgid === undefined) {
    return { ...notRun, spawnError: redact(describeSpawnError(request.file, await settled), secrets) };
  }
  for (const stream of outputStreams(child)) stream.on('data', (chunk: Uint8Array) => tail.push(chunk));
  if (request.input !== undefined) feed(child, request.input);

  const run = await supervise(child, pgid, request);
  const durationMs = Math.round(performance.now() - started);
  await drain(child);
  if (run.callbackFailed) throw run.callbackError;
  return {
    ...notRun, ...output(tail, secrets), ...(request.rawOutput ? { outputBytes: tail.bytes() } : {}), pgid, durationMs,
    exitCode: run.exitCode, signal: run.signal, timedOut: run.ending === 'timeout', aborted: run.ending === 'abort',
  };
}

interface Supervised {
  exitCode: number | null;
  signal: string | null;
  ending: 'timeout' | 'abort' | null;
  callbackFailed: boolean;
  callbackError: unknown;
}

// Waits for the child's exit while a timer and the abort signal may end its group.
async function supervise(child: Child, pgid: number, request: ExecRequest): Promise<Supervised> {
  const exited = new Promise<[number | null, string | null]>((resolve) => {
    child.once('exit', (code, signal) => resolve([code, signal]));
  });
  const graceMs = Math.max(0, request.killGraceMs ?? DEFAULT_KILL_GRACE_MS);
  let ending: Supervised['ending'] = null;
  let terminating: Promise<void> | null = null;
  function end(why: Supervised['ending']): void {
    if (terminating) return;
    ending = why;
    terminating = terminateGroup(pgid, graceMs);
  }
  const timer = setTimeout(() => end('timeout'), Math.min(request.timeoutMs, MAX_TIMER_MS));
  const onAbort = (): void => end('abort');
  request.signal?.addEventListener('abort', onAbort, { once: true });

  let callbackFailed = false;
  let callbackError: unknown;
  try {
    await request.onSpawn?.(pgid);
  } catch (error) {
    callbackFailed = true;
    callbackError = error;
    end(null);
  }
  const [exitCode, signal] = await exited;
  clearTimeout(timer);
  request.signal?.removeEventListener('abort', onAbort);
  if (!terminating && processGroupAlive(pgid)) end(null);
  await terminating;
  return { exitCode, signal, ending, callbackFailed, callbackError };
}

// One write of the whole input: libuv feeds the pipe as the child reads, with no JavaScript
// per chunk (execa's `input` streams a string 16 KiB at a time, converting each chunk). A child
// that exits without reading it all closes the pipe: that write error is the exit's to report.
function feed(child: Child, input: string | Buffer): void {
  const stdin = child.stdin!;
  stdin.on('error', () => undefined);
  stdin.end(typeof input === 'string' ? Buffer.from(input, 'utf8') : input);
}

function outputStreams(child: Child): Readable[] {
  return [child.stdout, child.stderr].filter((stream) => stream !== null);
}

async function drain(child: Child): Promise<void> {
  const streams = outputStreams(child);
  const ended = Promise.all(streams.map((s) => finished(s).catch(() => undefined)));
  const late = new AbortController();
  await Promise.race([ended, sleep(DRAIN_MS, undefined, { signal: late.signal }).catch(() => undefined)]);
  late.abort();
  for (const stream of streams) stream.destroy();
}

function output(tail: OutputTail, secrets: readonly string[]): Pick<ExecResult, 'output' | 'outputTruncated'> {
  return { output: tail.text(secrets), outputTruncated: tail.truncated() };
}

// What spawn would reject with an exception or a misleading ENOENT, said before trying.
function invalidRequest(request: ExecRequest): string | null {
  if (request.file.includes('\0')) return 'the program name contains a NUL byte';
  const nul = request.args.findIndex((arg) => arg.includes('\0'));
  if (nul >= 0) return `argument ${nul + 1} contains a NUL byte`;
  for (const [name, value] of Object.entries(request.env ?? {})) {
    if (name.includes('\0') || name.includes('=') || value.includes('\0')) return `environment variable ${JSON.stringify(name)} cannot be passed (NUL byte or '=')`;
  }
  try {
    if (!statSync(request.cwd).isDirectory()) return `working directory ${request.cwd} is not a directory`;
  } catch {
    return `working directory ${request.cwd} does not exist`;
  }
  return null;
}

function describeSpawnError(file: string, failure: unknown): string {
  const code = (failure as { code?: unknown }).code;
  if (code === 'ENOENT') return `${file}: command not found (ENOENT)`;
  if (code === 'EACCES') return `${file}: permission denied (EACCES)`;
  if (typeof code === 'string') return `${file}: cannot be started (${code})`;
  const message = (failure as { message?: unknown }).message;
  return `${file}: cannot be started (${typeof message === 'string' ? message.split('\n').at(-1) : String(failure)})`;
}
