/**
 * Checks that hold whatever a policy says: names Kubernetes would accept, namespaces on the
 * allowlist of homeostat.yaml, control-plane nodes left alone. The first two are made before
 * any call (at decision time, so that simulate shows them); the control-plane check needs the
 * node's labels as the API has them, never as the alert says, so it is made by the run.
 */
import type { KubernetesSettings } from '../types.js';
import { refuseKubernetesName } from '../checks.js';
import type { V1Node } from '../../kube/index.js';

export const DEFAULT_KUBERNETES_SETTINGS: KubernetesSettings = { allowControlPlane: false, namespaces: null };

/** Refused when homeostat.yaml lists no namespaces. */
export const PROTECTED_NAMESPACES: readonly string[] = ['kube-system', 'kube-public'];

export const CONTROL_PLANE_LABELS = ['node-role.kubernetes.io/control-plane', 'node-role.kubernetes.io/master'] as const;

/** A refusal found while running: audited with outcome 'refused', never retried. */
export class Refusal extends Error {}

const NAME_FIELDS = ['node', 'namespace', 'pod', 'deployment'] as const;
const ADDRESS = /^(?:[0-9]{1,3}(?:\.[0-9]{1,3}){3}|[0-9a-fA-F:]*:[0-9a-fA-F:.]*|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)$/;

/** Why the rendered operation must not be sent, or null. */
export function refuseOperation(rendered: Record<string, unknown>, settings: KubernetesSettings): string | null {
  for (const operation of Object.values(rendered)) {
    if (!operation || typeof operation !== 'object') continue;
    const args = operation as Record<string, unknown>;
    for (const field of NAME_FIELDS) {
      const value = args[field];
      if (field === 'node' && value && typeof value === 'object') {
        const address = (value as Record<string, unknown>).address;
        if (typeof address !== 'string' || !ADDRESS.test(address) || address.length > 253) return `node.address '${String(address)}' is not an IP address or a host name`;
        continue;
      }
      if (typeof value !== 'string') continue;
      const reason = refuseKubernetesName(field, value);
      if (reason) return reason;
    }
    if (typeof args.namespace === 'string') {
      const reason = refuseNamespace(args.namespace, settings);
      if (reason) return reason;
    }
  }
  return null;
}

export function refuseNamespace(namespace: string, settings: KubernetesSettings): string | null {
  if (settings.namespaces === null) {
    return PROTECTED_NAMESPACES.includes(namespace)
      ? `namespace ${namespace} is protected: homeostat.yaml lists no kubernetes.namespaces, so ${PROTECTED_NAMESPACES.join(' and ')} are refused; list the namespaces actions may touch to allow it`
      : null;
  }
  return settings.namespaces.includes(namespace) ? null : `namespace ${namespace} is not in homeostat.yaml kubernetes.namespaces (${settings.namespaces.join(', ') || 'empty'})`;
}

/** The control-plane label the node carries (as the API has it), or null. */
export function controlPlaneLabel(node: V1Node): string | null {
  const labels = node.metadata?.labels ?? {};
  return CONTROL_PLANE_LABELS.find((label) => Object.hasOwn(labels, label)) ?? null;
}

export function refuseControlPlane(node: V1Node, operation: string, settings: KubernetesSettings): void {
  const label = controlPlaneLabel(node);
  if (label === null || settings.allowControlPlane) return;
  throw new Refusal(`node ${node.metadata?.name ?? '?'} is a control-plane node (label ${label}): ${operation} refused; homeostat.yaml kubernetes.allowControlPlane is false`);
}
