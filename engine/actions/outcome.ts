/** A finished (or never started) command said the way an action reports it: an outcome and one line why. */
import type { ExecResult } from '../exec/exec.js';
import { formatDuration } from '../util/duration.js';
import type { RunResult } from './types.js';

/**
 * `notFound` replaces the reason when the program is not installed, to say which package
 * provides it.
 */
export function summarize(result: ExecResult, timeoutMs: number, notFound?: string): RunResult {
  const { exitCode, signal, durationMs, pgid, command, output, outputTruncated } = result;
  return { exitCode, signal, durationMs, pgid, command, output, outputTruncated, ...outcomeOf(result, timeoutMs, notFound) };
}

function outcomeOf(result: ExecResult, timeoutMs: number, notFound: string | undefined): Pick<RunResult, 'outcome' | 'reason'> {
  if (result.spawnError !== null) {
    const missing = notFound !== undefined && result.spawnError.endsWith('(ENOENT)');
    return { outcome: 'failed', reason: missing ? notFound : result.spawnError };
  }
  if (result.timedOut) return { outcome: 'timed_out', reason: `timed out after ${formatDuration(timeoutMs)}` };
  if (result.aborted) return { outcome: 'interrupted', reason: 'interrupted: the engine was stopping' };
  if (result.exitCode === 0) return { outcome: 'succeeded', reason: null };
  if (result.signal !== null) return { outcome: 'failed', reason: `killed by ${result.signal}` };
  return { outcome: 'failed', reason: `exit code ${result.exitCode}` };
}

/** A run refused before any process started (a path outside the repository, say). */
export function notStarted(reason: string, command: string[]): RunResult {
  return { outcome: 'failed', exitCode: null, signal: null, durationMs: 0, pgid: null, command, output: '', outputTruncated: false, reason };
}
