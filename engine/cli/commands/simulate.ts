import type { Io } from '../io.js';
import { loadDirectory, parseNow, readPayloadFile, requirePolicySet } from '../load.js';
import { EXIT } from '../errors.js';
import { simulate } from '../../pipeline/simulate.js';
import type { Simulation } from '../../pipeline/simulate.js';
import type { Decision } from '../../plan/decide.js';

export interface SimulateFlags {
  alerts: string[];
  now?: string;
  dryRun?: boolean;
  /** Load the policies as they were at this git revision. */
  rev?: string;
}

export async function runSimulation(dir: string, flags: SimulateFlags, io: Io): Promise<Simulation> {
  const { result } = await loadDirectory(dir, io.cwd, flags.rev);
  const set = requirePolicySet(dir, result);
  const payloads = flags.alerts.map((file) => readPayloadFile(file, io.cwd));
  return simulate(set, payloads, { now: parseNow(flags.now), dryRun: flags.dryRun ?? false });
}

export function jsonSimulation(s: Simulation): object {
  return {
    revision: s.revision,
    alerts: s.alerts,
    truncatedAlerts: s.truncatedAlerts,
    decisions: s.decisions.map((d) => ({
      alert: d.alert, policy: d.policy, action: d.action, type: d.type, phase: d.phase, target: d.target,
      params: d.params, verdict: d.verdict, reason: d.reason, refusedBy: d.refusedBy, description: d.description,
    })),
  };
}

function counts(decisions: Decision[]): string {
  const by = new Map<string, number>();
  for (const d of decisions) by.set(d.verdict, (by.get(d.verdict) ?? 0) + 1);
  return [...by].map(([v, n]) => `${n} ${v}`).join(', ') || 'none';
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export async function simulateCommand(dir: string, flags: SimulateFlags, format: string, io: Io): Promise<number> {
  const s = await runSimulation(dir, flags, io);
  if (format === 'json') {
    io.stdout(JSON.stringify(jsonSimulation(s), null, 2) + '\n');
    return EXIT.ok;
  }
  const truncated = s.truncatedAlerts > 0 ? `; ${s.truncatedAlerts} more alert(s) were truncated by Alertmanager (max_alerts) and not seen` : '';
  if (format === 'markdown') {
    io.stdout(`### homeostat simulate @ \`${s.revision}\`\n\n${s.alerts} alert(s), ${s.decisions.length} decision(s): ${counts(s.decisions)}${truncated}\n\n`);
    if (s.decisions.length) {
      io.stdout('| alert | status | policy | action | target | verdict | reason |\n|---|---|---|---|---|---|---|\n');
      for (const d of s.decisions) {
        io.stdout(`| ${cell(d.alert.alertname)} \`${d.alert.fingerprint}\` | ${d.alert.status} | ${cell(d.policy)} | ${cell(d.action)} (${d.type}) | ${cell(d.target ?? '')} | **${d.verdict}** | ${cell(d.reason ?? d.description ?? '')} |\n`);
      }
    }
    return EXIT.ok;
  }
  io.stdout(`revision ${s.revision}: ${s.alerts} alert(s), ${s.decisions.length} decision(s): ${counts(s.decisions)}${truncated}\n`);
  for (const d of s.decisions) {
    const why = d.reason ?? d.description ?? '';
    io.stdout(`${d.verdict.padEnd(17)} ${d.policy}/${d.action} (${d.type}) target=${d.target ?? '-'} alert=${d.alert.alertname}[${d.alert.fingerprint}] ${d.alert.status}${why ? `\n${' '.repeat(18)}${why}` : ''}\n`);
  }
  return EXIT.ok;
}
