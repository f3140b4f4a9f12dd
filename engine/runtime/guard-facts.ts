/**
 * The engine's reader of what the node guards need (engine/health/): the cluster the
 * kubernetes actions act on, the Prometheus the enrichment asks (its url replaced by
 * `serve --prometheus-url`), the inventories of the active revision.
 */
import type { Logger } from 'pino';
import type { EngineConfig } from '../config/serve-config.js';
import { GuardFactsReader } from '../health/index.js';
import type { KubeClient } from '../kube/index.js';
import { prometheusSettings } from './enrichment.js';

export function guardFactsReader(config: EngineConfig, kube: () => KubeClient, workRoot: string, secrets: () => readonly string[], clock: () => number, log: Logger): GuardFactsReader {
  return new GuardFactsReader({
    onFailure: (what, reason) => log.warn({ what, reason }, 'node guard reading failed'),
    kube,
    prometheus: (set) => prometheusSettings(set.settings.prometheus, config.prometheusUrl ?? null),
    missing: {
      kubernetes: 'no cluster to read nodes from: give serve --kubeconfig (or run in a cluster, or set $KUBECONFIG)',
      prometheus: 'no Prometheus to ask: set homeostat.yaml prometheus.url or serve --prometheus-url',
      inventory: 'the files of the active revision are not on disk',
    },
    workRoot,
    secrets,
    clock,
  });
}
