/**
 * The RBAC authorizer of the test server: ClusterRole rules, checked as the real API checks
 * them (verb from the method, resource with its subresource, '*' wildcards), and the 403
 * message worded as the real API words it.
 */
export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

export interface Attributes {
  verb: string;
  apiGroup: string;
  /** With its subresource: pods/eviction. */
  resource: string;
  namespace: string | null;
  name: string | null;
}

export function allowed(rules: readonly PolicyRule[], a: Attributes): boolean {
  return rules.some((rule) =>
    (rule.verbs.includes('*') || rule.verbs.includes(a.verb)) &&
    (rule.apiGroups.includes('*') || rule.apiGroups.includes(a.apiGroup)) &&
    (rule.resources.includes('*') || rule.resources.includes(a.resource)) &&
    (!rule.resourceNames?.length || (a.name !== null && rule.resourceNames.includes(a.name))));
}

export function forbiddenMessage(user: string, a: Attributes): string {
  const [resource] = a.resource.split('/');
  const qualified = a.apiGroup ? `${resource}.${a.apiGroup}` : resource;
  const subject = a.name ? `${qualified} "${a.name}" is forbidden` : `${qualified} is forbidden`;
  const scope = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
  return `${subject}: User "${user}" cannot ${a.verb} resource "${a.resource}" in API group "${a.apiGroup}" ${scope}`;
}
