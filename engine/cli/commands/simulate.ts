import type { Io } from '../io.js';
import { loadDirectory, requirePolicySet } from '../load.js';
import { readTimedAlerts } from '../timing.js';
import type { TimingFlags } from '../timing.js';
import { EXIT, UserError } from '../errors.js';
import { cliEnrichment } from '../prometheus.js';
import { line } from '../format/terminal.js';
import { cell } from '../format/markdown.js';
import { simulate } from '../../pipeline/simulate.js';
import type { Simulation } from '../../pipeline/simulate.js';
import type { Decision } from '../../plan/decide.js';
import { count } from '../../util/count.js';
import { KubeConfigError } from '../../kube/index.js';
import { checkOnCluster } from './simulate-cluster.js';
import { simulationFacts } from '../guard-facts.js';
import type { ClusterCheck } from './simulate-cluster.js';

export interface SimulateFlags extends TimingFlags {
  alerts: string[];
  dryRun?: boolean;
  /** Load the policies as they were at this git revision. */
  rev?: string;
  /** Ask this Prometheus the enrichment queries; without it none is asked. */
  prometheusUrl?: string;
  /** Send each kubernetes decision to this cluster as a server-side dry run. */
  kubeconfig?: string;
  kubeContext?: string;
}

export async function runSimulation(dir: string, flags: SimulateFlags, io: Io): Promise<Simulation & { cluster?: Map<Decision, ClusterCheck> }> {
  const { result, root } = await loadDirectory(dir, io.cwd, flags.rev);
  const set = requirePolicySet(dir, result);
  const payloads = readTimedAlerts(flags.alerts, flags, io.cwd);
  const enrichment = cliEnrichment(set, flags.prometheusUrl);
  const facts = simulationFacts(set, root, flags, io.cwd);
  let simulation: Simulation;
  try {
    simulation = await simulate(set, payloads, { now: Date.now(), dryRun: flags.dryRun ?? false, enrichment, facts: facts.read });
  } catch (error) {
    if (error instanceof KubeConfigError) throw new UserError(error.message);
    throw error;
  } finally {
    facts.close();
  }
  if (flags.kubeconfig === undefined && flags.kubeContext === undefined) return simulation;
  try {
    return { ...simulation, cluster: await checkOnCluster(set, simulation.decisions, { kubeconfig: flags.kubeconfig ?? null, context: flags.kubeContext ?? null, cwd: io.cwd }) };
  } catch (error) {
    if (error instanceof KubeConfigError) throw new UserError(error.message);
    throw error;
  }
}

export function jsonSimulation(s: Simulation & { cluster?: Map<Decision, ClusterCheck> }): object {
  return {
    revision: s.revision,
    alerts: s.alerts,
    truncatedAlerts: s.truncatedAlerts,
    decisions: s.decisions.map((d, i) => ({
      at: new Date(s.times[i]!).toISOString(),
      alert: d.alert, policy: d.policy, action: d.action, type: d.type, phase: d.phase, target: d.target,
      params: d.params, verdict: d.verdict, reason: d.reason, refusedBy: d.refusedBy, until: d.until, description: d.description,
      ...(d.enrichment ? { enrichment: d.enrichment } : {}),
      notify: notifyOf(d),
      ...(s.cluster?.has(d) ? { cluster: s.cluster.get(d) } : {}),
    })),
  };
}

/**
 * The notify actions that may follow a decision: after the outcome of a run (rendered then,
 * with `outcome` in scope), or at once for a decision refused or failed already.
 */
function notifyOf(d: Decision): { action: string; type: string; on: readonly string[]; when: string }[] {
  const settled = d.verdict === 'refused' || d.verdict === 'failed' ? d.verdict : null;
  return d.notify
    .filter((n) => settled === null || n.on.includes(settled))
    .filter(() => d.refusedBy !== 'duplicate')
    .map((n) => ({ action: n.name, type: n.type, on: n.on, when: whenNotified(n.on, settled, d.verdict === 'awaiting-approval') }));
}

function whenNotified(on: readonly string[], settled: string | null, held: boolean): string {
  if (settled !== null) return `now: the action ${settled === 'refused' ? 'was refused' : 'failed'}`;
  if (held && on.includes('awaiting-approval')) return 'now: the action is held for approval';
  return `after the outcome, if ${on.join(', ')}`;
}

function summary(s: Simulation): string {
  const by = new Map<string, number>();
  for (const d of s.decisions) by.set(d.verdict, (by.get(d.verdict) ?? 0) + 1);
  const verdicts = [...by].map(([v, n]) => `${n} ${v}`).join(', ') || 'none';
  const n = s.truncatedAlerts;
  const truncated = n > 0 ? `; ${count(n, 'more alert')} ${n === 1 ? 'was' : 'were'} truncated by Alertmanager (max_alerts) and not seen` : '';
  return `${count(s.alerts, 'alert')}, ${count(s.decisions.length, 'decision')}: ${verdicts}${truncated}`;
}

/** The line under a decision: why it was refused or failed, or what it does. */
function detail(d: Decision): string {
  const values = d.enrichment?.filter((r) => r.error === undefined).map((r) => `${r.name ?? r.query}=${r.value === null ? 'no series' : String(r.value)}`) ?? [];
  return [d.reason ?? d.description ?? '', values.length ? `enrichment: ${values.join(', ')}` : ''].filter(Boolean).join('; ');
}

/** An instant as ISO 8601 in UTC, its milliseconds only when it has some. */
function timeText(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}

export async function simulateCommand(dir: string, flags: SimulateFlags, format: string, io: Io): Promise<number> {
  const s = await runSimulation(dir, flags, io);
  if (format === 'json') {
    io.stdout(JSON.stringify(jsonSimulation(s), null, 2) + '\n');
    return EXIT.ok;
  }
  if (format === 'markdown') {
    io.stdout(line`### homeostat simulate @ \`${s.revision}\`\n\n${summary(s)}\n\n`);
    if (s.decisions.length) {
      io.stdout('| at | alert | status | policy | action | target | verdict | reason |\n|---|---|---|---|---|---|---|---|\n');
      for (const [i, d] of s.decisions.entries()) {
        // Label text (alertname, target, reasons) is a code span: never a link or markup in a PR comment.
        const why = [detail(d), ...notifyOf(d).map((n) => `notify ${n.action} (${n.type}) ${n.when}`)].filter(Boolean).join('; ');
        io.stdout(`| ${timeText(s.times[i]!)} | ${cell(d.alert.alertname)} ${cell(d.alert.fingerprint)} | ${d.alert.status} | ${d.policy} | ${d.action} (${d.type}) | ${cell(d.target ?? '')} | **${d.verdict}** | ${cell(why)} |\n`);
      }
    }
    return EXIT.ok;
  }
  io.stdout(line`revision ${s.revision}: ${summary(s)}\n`);
  for (const [i, d] of s.decisions.entries()) {
    // A line for each time the clock moved to: the decisions under it were made then.
    if (i === 0 || s.times[i] !== s.times[i - 1]) io.stdout(`at ${timeText(s.times[i]!)}\n`);
    io.stdout(line`${d.verdict.padEnd(17)} ${d.policy}/${d.action} (${d.type}) target=${d.target ?? '-'} alert=${d.alert.alertname}[${d.alert.fingerprint}] ${d.alert.status}\n`);
    const why = detail(d);
    if (why) io.stdout(line`${' '.repeat(18)}${why}\n`);
    for (const n of notifyOf(d)) io.stdout(line`${' '.repeat(18)}notify ${n.action} (${n.type}) ${n.when}${d.verdict === 'dry-run' ? ' (dry run: not sent)' : ''}\n`);
    const check = s.cluster?.get(d);
    if (check) io.stdout(line`${' '.repeat(18)}cluster (dryRun=All): ${check.outcome}${check.reason ? `: ${check.reason}` : ''}\n`);
  }
  return EXIT.ok;
}
