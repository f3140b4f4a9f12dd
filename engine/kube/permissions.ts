/**
 * Every (API group, resource, verbs) the kubernetes action's operations use: the single source
 * of truth for RBAC. deploy/rbac.yaml's ClusterRole holds exactly these (a test compares them),
 * and the client refuses to send a request that is not listed here, so that an operation that
 * grows a new call cannot ship without the rule it needs.
 */
export type Verb = 'get' | 'list' | 'patch' | 'update' | 'delete' | 'create';

export interface Permission {
  /** '' is the core group. */
  apiGroup: string;
  resource: string;
  verbs: readonly Verb[];
}

export const KUBE_PERMISSIONS = [
  // get: the node acted on; list: a node named by address; patch: cordon, uncordon.
  { apiGroup: '', resource: 'nodes', verbs: ['get', 'list', 'patch'] },
  // list: the pods a drain evicts; get: waiting for evicted pods to be gone; delete: deletePod.
  { apiGroup: '', resource: 'pods', verbs: ['get', 'list', 'delete'] },
  { apiGroup: '', resource: 'pods/eviction', verbs: ['create'] },
  // get: the object before; patch: the restartedAt annotation of rolloutRestart.
  { apiGroup: 'apps', resource: 'deployments', verbs: ['get', 'patch'] },
  // get the current replicas, then update with its resourceVersion (a conflict is re-read).
  { apiGroup: 'apps', resource: 'deployments/scale', verbs: ['get', 'update'] },
] as const satisfies readonly Permission[];

export function isPermitted(apiGroup: string, resource: string, verb: Verb): boolean {
  return KUBE_PERMISSIONS.some((p) => p.apiGroup === apiGroup && p.resource === resource && (p.verbs as readonly Verb[]).includes(verb));
}

/** How a rule reads in an error and in the docs: `create pods/eviction (core group "")`. */
export function describeRule(apiGroup: string, resource: string, verb: Verb): string {
  return `${verb} ${resource} (${apiGroup === '' ? 'core API group ""' : `API group "${apiGroup}"`})`;
}
