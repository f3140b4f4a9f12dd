/**
 * `simulate --kubeconfig`: each kubernetes decision to act is sent to the cluster as a
 * server-side dry run (dryRun=All), as `serve --dry-run` would send it, so that the API server
 * checks the objects, RBAC, admission and PodDisruptionBudgets without changing anything.
 * One action at a time, each bounded by its timeout and at most CHECK_TIMEOUT_MS: a drain
 * that a budget holds is reported, not waited out for ten minutes.
 */
import { tmpdir } from 'node:os';
import { ACTION_TYPES } from '../../actions/registry.js';
import { KubeClient, loadKubeConfig } from '../../kube/index.js';
import type { Decision } from '../../plan/decide.js';
import type { PolicySet } from '../../policy/types.js';
import type { Alert } from '../../alerts/payload.js';

export const CHECK_TIMEOUT_MS = 15_000;

export interface ClusterCheck {
  outcome: string;
  reason: string | null;
  details: Record<string, unknown> | null;
}

const ACTING = new Set(['run', 'dry-run', 'awaiting-approval']);

export async function checkOnCluster(set: PolicySet, decisions: readonly Decision[], options: { kubeconfig: string | null; context: string | null; cwd: string }): Promise<Map<Decision, ClusterCheck>> {
  const checks = new Map<Decision, ClusterCheck>();
  const wanted = decisions.filter((d) => d.type === 'kubernetes' && ACTING.has(d.verdict) && d.params);
  if (wanted.length === 0) return checks;
  const client = new KubeClient(loadKubeConfig({ kubeconfig: options.kubeconfig, context: options.context, env: process.env, cwd: options.cwd }));
  try {
    for (const d of wanted) {
      const action = set.policies.find((p) => p.name === d.policy)?.[d.phase === 'actions' ? 'actions' : 'onResolved'].find((a) => a.name === d.action);
      const result = await ACTION_TYPES.get('kubernetes')!.run({
        repoDir: options.cwd, workDir: tmpdir(), params: d.params!, target: d.target ?? '', alert: {} as Alert,
        dryRun: true, timeoutMs: Math.min(action?.timeoutMs ?? CHECK_TIMEOUT_MS, CHECK_TIMEOUT_MS), secrets: [],
        signal: new AbortController().signal, onSpawn: () => undefined, settings: set.settings, kube: () => client,
      });
      checks.set(d, { outcome: result.outcome, reason: result.reason, details: result.details ?? null });
    }
  } finally {
    client.close();
  }
  return checks;
}
