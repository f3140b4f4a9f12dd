/** What a failed Kubernetes request says: the API's Status, and for 401/403 the RBAC rule to add. */
import type { Verb } from './permissions.js';
import { describeRule } from './permissions.js';

/** The API's error body (kind: Status). */
export interface ApiStatus {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; kind?: string; causes?: Array<{ reason?: string; message?: string; field?: string }>; retryAfterSeconds?: number };
}

export class KubeApiError extends Error {
  constructor(
    message: string,
    /** The HTTP status; 0 when no answer came (timeout, connection refused). */
    readonly status: number,
    readonly apiStatus: ApiStatus | null,
  ) {
    super(message);
  }
}

export interface RequestWhat {
  verb: Verb;
  apiGroup: string;
  resource: string;
  method: string;
  path: string;
}

export function apiError(what: RequestWhat, status: number, body: ApiStatus | null): KubeApiError {
  const said = body?.message ? `: ${body.message}` : '';
  if (status === 401) {
    return new KubeApiError(`${what.method} ${what.path}: 401 Unauthorized: the cluster did not accept the credentials (an expired or wrong token or certificate in the kubeconfig, or a service-account token that is not mounted)`, status, body);
  }
  if (status === 403) {
    const rule = describeRule(what.apiGroup, what.resource, what.verb);
    const yaml = `{ apiGroups: ["${what.apiGroup}"], resources: ["${what.resource}"], verbs: ["${what.verb}"] }`;
    return new KubeApiError(`the credentials in use may not ${rule}: add ${yaml} to the ClusterRole bound to them (deploy/rbac.yaml holds it)${said ? ` (403 Forbidden${said})` : ''}`, status, body);
  }
  return new KubeApiError(`${what.method} ${what.path}: ${status} ${body?.reason ?? ''}${said}`.replace(/ {2,}/g, ' '), status, body);
}
