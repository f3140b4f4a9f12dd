/**
 * The small cluster the tests act on, named as the shared Alertmanager fixtures name things:
 * a control-plane node (heal-control-plane, 172.18.0.2) and two workers (heal-worker,
 * 172.18.0.3; heal-worker2, 172.18.0.4); kube-proxy DaemonSet pods on every node; a mirror
 * (static) pod on the control plane and one on heal-worker; deployments shop/checkout (2
 * replicas, a budget allowing one disruption), shop/cart (1 replica, a budget allowing none)
 * and customer/customer-rs-transformer, each with its pods.
 */
import type { SeedObject } from './server.js';

function node(name: string, ip: string, controlPlane = false): SeedObject {
  return {
    resource: 'nodes',
    object: {
      metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', ...(controlPlane ? { 'node-role.kubernetes.io/control-plane': '' } : {}) } },
      spec: { podCIDR: '10.244.0.0/24', ...(controlPlane ? { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] } : {}) },
      status: { addresses: [{ type: 'InternalIP', address: ip }, { type: 'Hostname', address: name }], conditions: [{ type: 'Ready', status: 'True' }] },
    },
  };
}

function pod(namespace: string, name: string, nodeName: string, labels: Record<string, string>, owner?: { kind: string; name: string; apiVersion?: string }, annotations?: Record<string, string>): SeedObject {
  return {
    resource: 'pods',
    object: {
      metadata: {
        name, namespace, labels,
        ...(annotations ? { annotations } : {}),
        ...(owner ? { ownerReferences: [{ apiVersion: owner.apiVersion ?? 'apps/v1', kind: owner.kind, name: owner.name, uid: `owner-${owner.name}`, controller: true, blockOwnerDeletion: true }] } : {}),
      },
      spec: { nodeName, terminationGracePeriodSeconds: 30, containers: [{ name: 'main', image: 'registry.example/app:1' }] },
      status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
    },
  };
}

function deployment(namespace: string, name: string, replicas: number): SeedObject {
  return {
    resource: 'deployments',
    object: {
      metadata: { name, namespace, labels: { app: name } },
      spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image: 'registry.example/app:1' }] } } },
      status: { replicas, readyReplicas: replicas },
    },
  };
}

function budget(namespace: string, name: string, app: string, disruptionsAllowed: number, desiredHealthy: number, currentHealthy: number): SeedObject {
  return {
    resource: 'poddisruptionbudgets',
    object: {
      metadata: { name, namespace },
      spec: { minAvailable: desiredHealthy, selector: { matchLabels: { app } } },
      status: { disruptionsAllowed, desiredHealthy, currentHealthy, expectedPods: currentHealthy },
    },
  };
}

export const NODES = { controlPlane: 'heal-control-plane', worker: 'heal-worker', worker2: 'heal-worker2' } as const;

export function smallCluster(): SeedObject[] {
  const nodes = [node(NODES.controlPlane, '172.18.0.2', true), node(NODES.worker, '172.18.0.3'), node(NODES.worker2, '172.18.0.4')];
  return [
    ...nodes,
    { resource: 'daemonsets', object: { metadata: { name: 'kube-proxy', namespace: 'kube-system' }, spec: { selector: { matchLabels: { 'k8s-app': 'kube-proxy' } }, template: { metadata: { labels: { 'k8s-app': 'kube-proxy' } }, spec: { containers: [{ name: 'kube-proxy', image: 'registry.k8s.io/kube-proxy:v1.32.0' }] } } } } },
    ...Object.values(NODES).map((n, i) => pod('kube-system', `kube-proxy-${['a1b2c', 'd3e4f', 'g5h6i'][i]}`, n, { 'k8s-app': 'kube-proxy' }, { kind: 'DaemonSet', name: 'kube-proxy' })),
    pod('kube-system', `etcd-${NODES.controlPlane}`, NODES.controlPlane, { component: 'etcd' }, { kind: 'Node', name: NODES.controlPlane, apiVersion: 'v1' }, { 'kubernetes.io/config.mirror': 'c0ffee', 'kubernetes.io/config.source': 'file' }),
    pod('kube-system', `node-exporter-${NODES.worker}`, NODES.worker, { component: 'node-exporter' }, { kind: 'Node', name: NODES.worker, apiVersion: 'v1' }, { 'kubernetes.io/config.mirror': 'beef', 'kubernetes.io/config.source': 'file' }),
    deployment('shop', 'checkout', 2),
    pod('shop', 'checkout-7d9f8b6c5-x2x9z', NODES.worker, { app: 'checkout', 'pod-template-hash': '7d9f8b6c5' }, { kind: 'ReplicaSet', name: 'checkout-7d9f8b6c5' }),
    pod('shop', 'checkout-7d9f8b6c5-q8w7e', NODES.worker2, { app: 'checkout', 'pod-template-hash': '7d9f8b6c5' }, { kind: 'ReplicaSet', name: 'checkout-7d9f8b6c5' }),
    budget('shop', 'checkout', 'checkout', 1, 1, 2),
    deployment('shop', 'cart', 1),
    pod('shop', 'cart-5f6d7c8b9-abcde', NODES.worker2, { app: 'cart', 'pod-template-hash': '5f6d7c8b9' }, { kind: 'ReplicaSet', name: 'cart-5f6d7c8b9' }),
    budget('shop', 'cart', 'cart', 0, 1, 1),
    deployment('customer', 'customer-rs-transformer', 3),
    pod('customer', 'customer-rs-transformer-9b75b488c-cpfd7', NODES.worker2, { app: 'customer-rs-transformer', 'pod-template-hash': '9b75b488c' }, { kind: 'ReplicaSet', name: 'customer-rs-transformer-9b75b488c' }),
    deployment('kube-system', 'coredns', 2),
    pod('kube-system', 'coredns-5d78c9869d-abcde', NODES.worker2, { app: 'coredns', 'pod-template-hash': '5d78c9869d' }, { kind: 'ReplicaSet', name: 'coredns-5d78c9869d' }),
  ];
}
