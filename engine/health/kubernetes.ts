/**
 * Node health and protected nodes from the Kubernetes API: one list of the nodes (GET
 * /api/v1/nodes through engine/kube) serves both. A node is healthy when its Ready condition
 * is True and it is schedulable (not cordoned); its aliases are its name and its addresses,
 * the names a policy's target or a kubernetes action's node may give it.
 */
import { CONTROL_PLANE_LABELS } from '../actions/kubernetes/safety.js';
import type { KubeClient, V1Node, V1NodeList } from '../kube/index.js';
import type { HealthNode, NodeHealth, ProtectedNode } from '../plan/node-guards.js';
import { byAlias } from '../plan/node-guards.js';
import type { LabelSelector } from '../policy/label-selector.js';
import type { ProtectedSettings } from '../policy/types.js';

export async function listNodes(client: KubeClient, timeoutMs: number): Promise<V1Node[]> {
  const session = client.session({ signal: new AbortController().signal, deadline: client.options.clock() + timeoutMs, dryRun: false });
  const { body } = await session.request<V1NodeList>({ verb: 'list', apiGroup: '', resource: 'nodes', method: 'GET', path: '/api/v1/nodes' });
  return body.items ?? [];
}

function aliasesOf(node: V1Node): string[] {
  const name = node.metadata?.name ?? '';
  return [name, ...(node.status?.addresses ?? []).map((a) => a.address).filter((a) => a !== name)];
}

function isHealthy(node: V1Node): boolean {
  const ready = (node.status?.conditions ?? []).find((c) => c.type === 'Ready');
  return ready?.status === 'True' && node.spec?.unschedulable !== true;
}

export function healthFromNodes(nodes: readonly V1Node[], selector: LabelSelector | null, server: string): NodeHealth {
  const counted: HealthNode[] = nodes
    .filter((n) => selector === null || selector.matches(n.metadata?.labels ?? {}))
    .map((n) => ({ name: n.metadata?.name ?? '', healthy: isHealthy(n), aliases: aliasesOf(n) }));
  const source = `the Kubernetes API at ${server}: Ready and schedulable${selector ? `, nodes of '${selector.text}'` : ''}`;
  return { source, nodes: counted, byAlias: byAlias(counted) };
}

/** The nodes protected by the control-plane default (unless allowControlPlane) and by protected.selector. */
export function protectedFromNodes(nodes: readonly V1Node[], settings: ProtectedSettings, allowControlPlane: boolean): Map<string, ProtectedNode> {
  const found: ProtectedNode[] = [];
  for (const node of nodes) {
    const labels = node.metadata?.labels ?? {};
    const controlPlane = allowControlPlane ? undefined : CONTROL_PLANE_LABELS.find((l) => Object.hasOwn(labels, l));
    const why = controlPlane
      ? `is a control-plane node (label ${controlPlane}); homeostat.yaml kubernetes.allowControlPlane is false`
      : settings.selector?.matches(labels) ? `matches protected.selector '${settings.selector.text}' of homeostat.yaml` : null;
    if (why) found.push({ name: node.metadata?.name ?? '', aliases: aliasesOf(node), why });
  }
  return byAlias(found);
}
