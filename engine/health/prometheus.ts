/**
 * Node health from a PromQL expression the policy author wrote (homeostat.yaml
 * minHealthy.source.prometheus.query; nothing from an alert enters it), asked of the
 * Prometheus the enrichment asks, through the same client (engine/enrichment). Each series
 * is a node, named by its `label` (instance by default); it is healthy when its value is
 * neither 0 nor NaN. The node's aliases are the label's value and that value without a port,
 * so that `web-1:9100` is found by a target of `web-1`.
 */
import type { PrometheusSource } from '../enrichment/prometheus.js';
import type { HealthNode, NodeHealth } from '../plan/node-guards.js';
import { byAlias } from '../plan/node-guards.js';

export async function healthFromPrometheus(source: PrometheusSource, query: string, label: string): Promise<NodeHealth> {
  const series = await source.series(query);
  const nodes: HealthNode[] = [];
  const seen = new Set<string>();
  for (const s of series) {
    const name = s.labels[label];
    if (name === undefined || name === '') throw new Error(`Prometheus query ${query}: a series has no '${label}' label (${JSON.stringify(s.labels)}); set minHealthy.source.prometheus.label to the label that names the node`);
    // Two series of one node (two jobs) are one node: healthy only if every one says so.
    if (seen.has(name)) {
      const node = nodes.find((n) => n.name === name)!;
      node.healthy &&= healthy(s.value);
      continue;
    }
    seen.add(name);
    const host = withoutPort(name);
    nodes.push({ name, healthy: healthy(s.value), aliases: host === name ? [name] : [name, host] });
  }
  return { source: `Prometheus query ${query}`, nodes, byAlias: byAlias(nodes) };
}

function healthy(value: number): boolean {
  return value !== 0 && !Number.isNaN(value);
}

/** host:port and [v6]:port without the port; anything else as it is. */
function withoutPort(value: string): string {
  const v6 = /^\[([^\]]+)\]:\d+$/.exec(value);
  if (v6) return v6[1]!;
  const m = /^([^:]+):\d+$/.exec(value);
  return m ? m[1]! : value;
}
