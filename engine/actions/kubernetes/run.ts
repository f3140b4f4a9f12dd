/** Carries out one kubernetes operation and says what it did, for the audit entry's execution. */
import type { ApiCall, KubeSession } from '../../kube/index.js';
import { formatDuration, parseDuration } from '../../util/duration.js';
import type { KubernetesSettings, RunContext, RunResult } from '../types.js';
import { drain, OperationFailed } from './drain.js';
import type { NodeRef } from './nodes.js';
import { setUnschedulable } from './node-ops.js';
import type { OperationReport } from './report.js';
import { DEFAULT_KUBERNETES_SETTINGS, Refusal, refuseOperation } from './safety.js';
import { deletePod, rolloutRestart, scale } from './workload-ops.js';
import type { ScaleArgs } from './workload-ops.js';

type Args = Record<string, unknown>;

async function perform(session: KubeSession, operation: string, a: Args, settings: KubernetesSettings, timeoutMs: number): Promise<OperationReport> {
  switch (operation) {
    case 'cordon': return setUnschedulable(session, a.node as NodeRef, true, 'cordon', settings);
    case 'uncordon': return setUnschedulable(session, a.node as NodeRef, false, 'uncordon', settings);
    case 'drain': return drain(session, a.node as NodeRef, gracePeriodSeconds(a.gracePeriod), settings, timeoutMs);
    case 'deletePod': return deletePod(session, String(a.namespace), String(a.pod));
    case 'rolloutRestart': return rolloutRestart(session, String(a.namespace), String(a.deployment), new Date(session.now()));
    case 'scale': return scale(session, String(a.namespace), String(a.deployment), a as unknown as ScaleArgs);
    default: throw new Error(`unknown kubernetes operation ${operation}`);
  }
}

function gracePeriodSeconds(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  return Math.ceil(parseDuration(text)! / 1000);
}

export async function runKubernetes(ctx: RunContext): Promise<RunResult> {
  const started = Date.now();
  const settings = ctx.settings?.kubernetes ?? DEFAULT_KUBERNETES_SETTINGS;
  const [operation, args] = Object.entries(ctx.params)[0] ?? ['?', {}];
  // Checked again here, before any call: a decision made by an older version is no exception.
  const refusal = refuseOperation(ctx.params, settings);
  if (refusal) return result(started, 'refused', refusal, { operation, dryRun: ctx.dryRun }, []);
  let session: KubeSession;
  let server: string;
  try {
    const client = ctx.kube ? ctx.kube() : null;
    if (!client) throw new Error('no Kubernetes client was given to this run');
    server = client.server;
    session = client.session({ signal: ctx.signal, deadline: started + ctx.timeoutMs, dryRun: ctx.dryRun });
  } catch (error) {
    return result(started, 'failed', (error as Error).message, { operation, dryRun: ctx.dryRun }, []);
  }
  const base = { operation, dryRun: ctx.dryRun, server };
  try {
    const report = await perform(session, operation, (args ?? {}) as Args, settings, ctx.timeoutMs);
    return result(started, 'succeeded', null, { ...base, ...report }, session.calls);
  } catch (error) {
    const report = error instanceof OperationFailed ? error.report : {};
    const message = (error as Error).message;
    if (error instanceof Refusal) return result(started, 'refused', message, { ...base, ...report }, session.calls);
    if (ctx.signal.aborted) return result(started, 'interrupted', 'interrupted: the engine was stopping', { ...base, ...report }, session.calls);
    if (!(error instanceof OperationFailed) && session.now() >= session.deadline) {
      return result(started, 'timed_out', `timed out after ${formatDuration(ctx.timeoutMs)}: ${message}`, { ...base, ...report }, session.calls);
    }
    return result(started, 'failed', message, { ...base, ...report }, session.calls);
  }
}

function result(started: number, outcome: RunResult['outcome'], reason: string | null, details: Record<string, unknown>, calls: readonly ApiCall[]): RunResult {
  const output = calls.map((c) => `${c.method} ${c.path}${c.dryRun ? ' (dryRun=All)' : ''} → ${c.status || 'no answer'} in ${c.durationMs} ms${c.attempt > 1 ? ` (attempt ${c.attempt})` : ''}`).join('\n');
  return {
    outcome, reason, exitCode: null, signal: null, durationMs: Date.now() - started, pgid: null, command: [],
    output, outputTruncated: false,
    details: { ...details, calls: calls.map((c) => ({ ...c })) },
  };
}
