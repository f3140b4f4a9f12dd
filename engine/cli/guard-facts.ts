/**
 * What `simulate` tells the node guards: the nodes of --kubeconfig's cluster (control-plane
 * and protected.selector nodes, health from the Kubernetes API), health from --prometheus-url,
 * or from an inventory of the repository on disk. A source simulate was not given is named in
 * the guard's refusal, so that simulate never shows as passed a guard it could not check.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GuardFactsReader } from '../health/index.js';
import { KubeClient, loadKubeConfig } from '../kube/index.js';
import type { Match } from '../policy/evaluate.js';
import type { GuardFacts } from '../plan/node-guards.js';
import { factsNeeded } from '../plan/node-guards.js';
import type { PolicySet } from '../policy/types.js';
import { prometheusSettings } from '../runtime/enrichment.js';

export interface FactsFlags {
  kubeconfig?: string;
  kubeContext?: string;
  prometheusUrl?: string;
}

/** Reads the facts for a simulation's matches; `close` ends the cluster connection and removes scratch files. */
export function simulationFacts(set: PolicySet, root: string | null, flags: FactsFlags, cwd: string): { read(matches: readonly Match[][]): Promise<GuardFacts>; close(): void } {
  const workRoot = mkdtempSync(join(tmpdir(), 'homeostat-simulate-'));
  let client: KubeClient | null = null;
  const withCluster = flags.kubeconfig !== undefined || flags.kubeContext !== undefined;
  const reader = new GuardFactsReader({
    kube: withCluster ? () => (client ??= new KubeClient(loadKubeConfig({ kubeconfig: flags.kubeconfig ?? null, context: flags.kubeContext ?? null, env: process.env, cwd }))) : null,
    prometheus: (s) => (flags.prometheusUrl === undefined ? null : prometheusSettings(s.settings.prometheus, flags.prometheusUrl)),
    missing: {
      kubernetes: 'simulate reads the nodes of a cluster only with --kubeconfig',
      prometheus: 'simulate asks Prometheus only with --prometheus-url',
      inventory: 'simulate --rev reads no inventory: run it on the files on disk',
    },
    workRoot,
    secrets: () => [],
  });
  return {
    read: (matches) => reader.read(set, root, factsNeeded(set.settings, matches)),
    close() {
      client?.close();
      rmSync(workRoot, { recursive: true, force: true });
    },
  };
}
