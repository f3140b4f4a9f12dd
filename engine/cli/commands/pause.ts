/**
 * `homeostat pause --reason TEXT [--until T]` and `homeostat resume [--reason TEXT]`: the kill
 * switch of a running engine, without a commit (POST /api/v1/pause, /api/v1/resume), in the
 * name of the admin token given. `--until` takes a time (ISO 8601) or a duration from now
 * (30m, 2h). homeostat.yaml's `paused: true` is another switch: resume does not undo it.
 */
import type { PauseStatus } from '../../approvals/pause.js';
import { parseDuration } from '../../util/duration.js';
import { EXIT, UserError } from '../errors.js';
import { line } from '../format/terminal.js';
import type { Io } from '../io.js';
import { ask } from './runs.js';
import type { EngineFlags } from './runs.js';

export async function pauseCommand(flags: EngineFlags & { reason: string; until?: string }, io: Io, env: NodeJS.ProcessEnv = process.env, now = Date.now()): Promise<number> {
  if (!flags.reason.trim()) throw new UserError('pause: --reason TEXT says why, for the audit; it may not be empty');
  const until = flags.until === undefined ? null : untilTime(flags.until, now);
  const body = await ask(flags, io, '/api/v1/pause', { method: 'POST', body: { reason: flags.reason, ...(until ? { until } : {}) } }, env);
  return report(body, flags, io);
}

export async function resumeCommand(flags: EngineFlags & { reason?: string }, io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const body = await ask(flags, io, '/api/v1/resume', { method: 'POST', body: flags.reason ? { reason: flags.reason } : {} }, env);
  return report(body, flags, io);
}

function report(body: Record<string, unknown>, flags: EngineFlags, io: Io): number {
  if (flags.format === 'json') io.stdout(JSON.stringify(body, null, 2) + '\n');
  else io.stdout(pauseText(body.pause as PauseStatus));
  return EXIT.ok;
}

/** One line per switch in force, as `homeostat status` shows the pause too. */
export function pauseText(p: PauseStatus): string {
  const lines: string[] = [];
  if (p.api) lines.push(line`paused by ${p.api.by} at ${p.api.at} ${p.api.until ? `until ${p.api.until}` : 'until resumed'}: ${p.api.reason}`);
  if (p.settings) lines.push(`paused: homeostat.yaml sets paused: true (a resume does not undo it; only a commit does)`);
  if (lines.length === 0) lines.push('not paused: new actions run');
  return lines.map((l) => `${l}\n`).join('');
}

function untilTime(text: string, now: number): string {
  const ms = parseDuration(text);
  if (ms !== null) return new Date(now + ms).toISOString();
  const at = /^\d{4}-\d{2}-\d{2}T/.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(at)) throw new UserError(`--until ${text}: give a time (ISO 8601, e.g. 2026-12-03T22:00:00Z) or a duration from now (30m, 2h)`);
  return new Date(at).toISOString();
}
