/** The resources the Kubernetes API test server serves, as discovery lists them. */
export interface ResourceInfo {
  group: string;
  version: string;
  resource: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  verbs: string[];
  shortNames?: string[];
}

const RW = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export const RESOURCES: readonly ResourceInfo[] = [
  { group: '', version: 'v1', resource: 'nodes', singular: 'node', kind: 'Node', namespaced: false, verbs: RW, shortNames: ['no'] },
  { group: '', version: 'v1', resource: 'pods', singular: 'pod', kind: 'Pod', namespaced: true, verbs: RW, shortNames: ['po'] },
  { group: 'apps', version: 'v1', resource: 'deployments', singular: 'deployment', kind: 'Deployment', namespaced: true, verbs: RW, shortNames: ['deploy'] },
  { group: 'apps', version: 'v1', resource: 'daemonsets', singular: 'daemonset', kind: 'DaemonSet', namespaced: true, verbs: RW, shortNames: ['ds'] },
  { group: 'apps', version: 'v1', resource: 'replicasets', singular: 'replicaset', kind: 'ReplicaSet', namespaced: true, verbs: RW, shortNames: ['rs'] },
  { group: 'policy', version: 'v1', resource: 'poddisruptionbudgets', singular: 'poddisruptionbudget', kind: 'PodDisruptionBudget', namespaced: true, verbs: RW, shortNames: ['pdb'] },
];

/** Subresources, listed in discovery as the real API lists them. */
export const SUBRESOURCES = [
  { group: '', version: 'v1', name: 'pods/eviction', kind: 'Eviction', kindGroup: 'policy', kindVersion: 'v1', namespaced: true, verbs: ['create'] },
  { group: 'apps', version: 'v1', name: 'deployments/scale', kind: 'Scale', kindGroup: 'autoscaling', kindVersion: 'v1', namespaced: true, verbs: ['get', 'patch', 'update'] },
  { group: 'apps', version: 'v1', name: 'deployments/status', kind: 'Deployment', kindGroup: undefined, kindVersion: undefined, namespaced: true, verbs: ['get', 'patch', 'update'] },
] as const;

export function resourceInfo(group: string, version: string, resource: string): ResourceInfo | undefined {
  return RESOURCES.find((r) => r.group === group && r.version === version && r.resource === resource);
}

export function groupVersions(): Array<{ group: string; version: string }> {
  const seen = new Map<string, { group: string; version: string }>();
  for (const r of RESOURCES) seen.set(`${r.group}/${r.version}`, { group: r.group, version: r.version });
  return [...seen.values()];
}
