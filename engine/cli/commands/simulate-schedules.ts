/**
 * `homeostat simulate [DIR] --schedules [--from T] [--to T]`: the runs the schedules would
 * make in the range, with the guards' verdicts and local times (engine/schedule/simulate.ts).
 */
import type { Io } from '../io.js';
import { loadDirectory, requirePolicySet } from '../load.js';
import { EXIT, UserError } from '../errors.js';
import { line } from '../format/terminal.js';
import { simulateSchedules } from '../../schedule/simulate.js';
import type { ScheduleSimulation, SimulatedRun } from '../../schedule/simulate.js';
import { count } from '../../util/count.js';

export interface ScheduleFlags {
  from?: string;
  to?: string;
  dryRun?: boolean;
  rev?: string;
}

const WEEK_MS = 7 * 24 * 3600_000;

function time(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new UserError(`--${flag} ${text}: not a date; give an ISO 8601 time such as 2026-11-21T09:00:00Z`);
  return ms;
}

function summary(s: ScheduleSimulation): string {
  const by = new Map<string, number>();
  for (const r of s.runs) by.set(r.verdict, (by.get(r.verdict) ?? 0) + 1);
  const verdicts = [...by].map(([v, n]) => `${n} ${v}`).join(', ') || 'none';
  const cut = s.truncated.length ? `; only the first due times of ${s.truncated.join(', ')} are shown` : '';
  return `${count(s.schedules, 'schedule')}, ${count(s.runs.length, 'run')} from ${s.from} to ${s.to}: ${verdicts}${cut}`;
}

function when(r: SimulatedRun): string {
  return `${r.local} (${r.timezone})${r.windowLocal ? `, ${r.windowLocal.local} (${r.windowLocal.timezone})` : ''}`;
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export async function simulateSchedulesCommand(dir: string, flags: ScheduleFlags, format: string, io: Io): Promise<number> {
  const from = time('from', flags.from, Date.now());
  const to = time('to', flags.to, from + WEEK_MS);
  if (to < from) throw new UserError(`--to ${flags.to} is before --from ${flags.from ?? 'now'}`);
  const { result } = await loadDirectory(dir, io.cwd, flags.rev);
  const s = simulateSchedules(requirePolicySet(dir, result), from, to, { dryRun: flags.dryRun ?? false });
  if (format === 'json') {
    io.stdout(JSON.stringify(s, null, 2) + '\n');
    return EXIT.ok;
  }
  if (format === 'markdown') {
    io.stdout(line`### homeostat simulate --schedules @ \`${s.revision}\`\n\n${summary(s)}\n\n`);
    if (s.runs.length) {
      io.stdout('| due (UTC) | local time | schedule | action | target | verdict | reason |\n|---|---|---|---|---|---|---|\n');
      for (const r of s.runs) io.stdout(line`| ${r.due} | ${cell(when(r))} | ${cell(r.schedule)} | ${cell(r.action)} (${r.type}) | ${cell(r.target)} | **${r.verdict}** | ${cell(r.reason ?? '')} |\n`);
    }
    return EXIT.ok;
  }
  io.stdout(line`revision ${s.revision}: ${summary(s)}\n`);
  for (const r of s.runs) {
    io.stdout(line`${r.verdict.padEnd(8)} ${r.due}  ${when(r)}  ${r.schedule}/${r.action} (${r.type}) target=${r.target}\n`);
    if (r.reason) io.stdout(line`${' '.repeat(9)}${r.reason}\n`);
  }
  return EXIT.ok;
}
