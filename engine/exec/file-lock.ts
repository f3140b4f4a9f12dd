/**
 * An exclusive flock(2) on a file, held for as long as this process lives. Node has no flock,
 * so util-linux `flock --no-fork` takes the lock and becomes `cat`, which keeps the locked
 * descriptor open with its stdin a pipe from this process. However this process ends (kill -9
 * included), the kernel closes the pipe's write end (libuv opens it close-on-exec, so no other
 * child inherits it), cat reads end-of-file and exits, and the lock is gone with it: nothing
 * stale is left behind, as a pid file would be. The same lock is the one `flock(1)` takes, so
 * an operator's script can take it too. cat echoes a line written to it: its echo says the
 * lock is held, flock's exit says it is not.
 */
import { spawnChild } from './spawn.js';
import { createOutputTail } from './output-tail.js';
import { terminateGroup } from './process-group.js';

export class FileLockError extends Error {}

export interface HeldLock {
  /** Releases the lock; resolves once it is free. */
  release(): Promise<void>;
  /** Calls `listener` once if the lock is lost while held (its holder process ended), even before it was given. */
  onLost(listener: (why: string) => void): void;
}

/** flock's exit code when another process holds the lock (any other code is an error). */
const CONFLICT = 75;
const PROBE = 'held\n';
const ANSWER_MS = 30_000;
const RELEASE_MS = 5_000;

type Child = ReturnType<typeof spawnChild>;

/**
 * Takes the lock on `file` (created if missing) without waiting: the held lock, or null when
 * another process holds it. Throws when it cannot be tried (flock missing, file unreadable).
 */
export async function tryLockFile(file: string, cwd: string): Promise<HeldLock | null> {
  const child = spawnChild({ file: 'flock', args: ['--nonblock', '--exclusive', '--no-fork', `--conflict-exit-code=${CONFLICT}`, '--', file, 'cat'], cwd }, 'pipe', { cleanup: true });
  if (child.pid === undefined) {
    const failure = (await child.catch((error: unknown) => error)) as { code?: string; shortMessage?: string; message?: string };
    const why = failure.code === 'ENOENT' ? 'command not found; install util-linux' : (failure.shortMessage ?? failure.message ?? 'unknown error');
    throw new FileLockError(`cannot lock ${file}: flock: ${why}`);
  }
  void child.catch(() => undefined);
  child.stdin!.on('error', () => undefined);
  const stderr = createOutputTail(4096);
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const answered = new Promise<'held'>((resolve) => {
    let seen = '';
    const onData = (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      if (!seen.includes(PROBE)) return;
      child.stdout!.off('data', onData);
      child.stdout!.resume(); // nothing more is written to it; keep the pipe drained all the same
      resolve('held');
    };
    child.stdout!.on('data', onData);
  });
  child.stdin!.write(PROBE);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ANSWER_MS)));
  const first = await Promise.race([answered, exited, late]);
  clearTimeout(timer);
  if (first === 'held') return holding(child, exited, file);
  if (first === 'late') {
    await terminateGroup(child.pid, RELEASE_MS);
    throw new FileLockError(`cannot lock ${file}: flock did not answer within ${ANSWER_MS / 1000} s`);
  }
  if (first === CONFLICT) return null;
  const said = stderr.text([]).trim().split('\n').at(-1) ?? '';
  throw new FileLockError(`cannot lock ${file}: ${said || `flock exited with code ${first}`}`);
}

function holding(child: Child, exited: Promise<number | null>, file: string): HeldLock {
  let released = false;
  let lost: string | null = null;
  const listeners: ((why: string) => void)[] = [];
  void exited.then((code) => {
    if (released) return;
    lost = `the process holding the lock on ${file} (pid ${child.pid}) ended${code === null ? ' by a signal' : ` with code ${code}`}`;
    for (const listener of listeners.splice(0)) listener(lost);
  });
  // The holder must not keep this process alive: it lives exactly as long as we do.
  for (const handle of [child, child.stdin, child.stdout, child.stderr] as unknown as ({ unref?(): void } | null)[]) handle?.unref?.();
  return {
    // A listener that comes after the loss hears of it at once.
    onLost: (listener) => (lost === null ? void listeners.push(listener) : listener(lost)),
    release: async () => {
      if (released) return;
      released = true;
      child.ref(); // until it has exited
      child.stdin!.end();
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), RELEASE_MS)));
      if ((await Promise.race([exited, late])) === 'late') await terminateGroup(child.pid!, RELEASE_MS);
      clearTimeout(timer);
      await exited;
    },
  };
}
