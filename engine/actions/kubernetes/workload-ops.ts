/**
 * The namespaced operations: deletePod, rolloutRestart (the restartedAt annotation on the pod
 * template, as `kubectl rollout restart` sets it) and scale (the scale subresource, bounded by
 * `max` and 0). Each write carries what was read (a uid precondition, a resourceVersion), so a
 * change in between is a 409 that is read again, never a blind overwrite.
 */
import type { KubeSession, V1Deployment, V1Pod, V1Scale } from '../../kube/index.js';
import type { OperationReport } from './report.js';
import { ConflictError, MAX_CONFLICT_ATTEMPTS } from './report.js';

const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

const enc = encodeURIComponent;

function podPath(namespace: string, name: string): string {
  return `/api/v1/namespaces/${enc(namespace)}/pods/${enc(name)}`;
}

function deploymentPath(namespace: string, name: string): string {
  return `/apis/apps/v1/namespaces/${enc(namespace)}/deployments/${enc(name)}`;
}

export async function deletePod(session: KubeSession, namespace: string, name: string): Promise<OperationReport> {
  const object = { kind: 'Pod', namespace, name };
  for (let attempt = 1; ; attempt++) {
    const read = await session.request<V1Pod>({ verb: 'get', apiGroup: '', resource: 'pods', method: 'GET', path: podPath(namespace, name), accept: [404] });
    if (read.status === 404) throw new Error(`no pod ${namespace}/${name} in the cluster`);
    const before = podState(read.body);
    const { status, body } = await session.request<V1Pod>({
      verb: 'delete', apiGroup: '', resource: 'pods', method: 'DELETE', path: podPath(namespace, name),
      body: { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { uid: read.body.metadata?.uid } },
      accept: [404, 409],
    });
    if (status === 404) return { object, before, after: null, note: 'the pod was gone before the delete arrived' };
    if (status !== 409) return { object, before, after: podState(body) };
    if (attempt >= MAX_CONFLICT_ATTEMPTS) throw new ConflictError(`pod ${namespace}/${name}`);
  }
}

function podState(pod: V1Pod): Record<string, unknown> {
  return { resourceVersion: pod.metadata?.resourceVersion ?? null, uid: pod.metadata?.uid ?? null, nodeName: pod.spec?.nodeName ?? null, deletionTimestamp: pod.metadata?.deletionTimestamp ?? null };
}

export async function rolloutRestart(session: KubeSession, namespace: string, name: string, now: Date): Promise<OperationReport> {
  const object = { kind: 'Deployment', namespace, name };
  // kubectl writes time.Now().Format(time.RFC3339): seconds, no fraction.
  const restartedAt = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  for (let attempt = 1; ; attempt++) {
    const read = await session.request<V1Deployment>({ verb: 'get', apiGroup: 'apps', resource: 'deployments', method: 'GET', path: deploymentPath(namespace, name), accept: [404] });
    if (read.status === 404) throw new Error(`no deployment ${namespace}/${name} in the cluster`);
    if (read.body.spec?.paused) throw new Error(`deployment ${namespace}/${name} is paused: a restart would not roll out (kubectl rollout resume first)`);
    const before = deploymentState(read.body);
    const { status, body } = await session.request<V1Deployment>({
      verb: 'patch', apiGroup: 'apps', resource: 'deployments', method: 'PATCH', path: deploymentPath(namespace, name),
      contentType: 'application/strategic-merge-patch+json',
      body: { metadata: { resourceVersion: read.body.metadata?.resourceVersion }, spec: { template: { metadata: { annotations: { [RESTARTED_AT]: restartedAt } } } } },
      accept: [409],
    });
    if (status !== 409) return { object, before, after: deploymentState(body) };
    if (attempt >= MAX_CONFLICT_ATTEMPTS) throw new ConflictError(`deployment ${namespace}/${name}`);
  }
}

function deploymentState(d: V1Deployment): Record<string, unknown> {
  return {
    resourceVersion: d.metadata?.resourceVersion ?? null,
    generation: d.metadata?.generation ?? null,
    replicas: d.spec?.replicas ?? null,
    restartedAt: d.spec?.template?.metadata?.annotations?.[RESTARTED_AT] ?? null,
  };
}

export interface ScaleArgs {
  replicas?: number;
  by?: number;
  max: number;
}

/** The replicas to set: `replicas`, or the current count moved `by`; never above max, never below 0. */
export function scaleTarget(current: number, args: ScaleArgs): { replicas: number; note?: string } {
  const wanted = args.replicas ?? current + (args.by ?? 0);
  if (wanted > args.max) {
    // Scaling up by steps never scales down a deployment someone already took to max or beyond.
    const replicas = args.by !== undefined && current >= args.max ? current : args.max;
    return { replicas, note: `bounded by max ${args.max} (asked for ${wanted})` };
  }
  if (wanted < 0) return { replicas: 0, note: `bounded by 0 (asked for ${wanted})` };
  return { replicas: wanted };
}

export async function scale(session: KubeSession, namespace: string, name: string, args: ScaleArgs): Promise<OperationReport> {
  const object = { kind: 'Deployment', namespace, name };
  const path = `${deploymentPath(namespace, name)}/scale`;
  for (let attempt = 1; ; attempt++) {
    const read = await session.request<V1Scale>({ verb: 'get', apiGroup: 'apps', resource: 'deployments/scale', method: 'GET', path, accept: [404] });
    if (read.status === 404) throw new Error(`no deployment ${namespace}/${name} in the cluster`);
    const before = scaleState(read.body);
    const current = read.body.spec?.replicas ?? 0;
    const { replicas, note } = scaleTarget(current, args);
    if (replicas === current) return { object, before, after: before, note: `${note ? `${note}; ` : ''}already at ${current} replicas: no change sent` };
    const { status, body } = await session.request<V1Scale>({
      verb: 'update', apiGroup: 'apps', resource: 'deployments/scale', method: 'PUT', path,
      body: { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name, namespace, resourceVersion: read.body.metadata?.resourceVersion }, spec: { replicas } },
      accept: [409],
    });
    if (status !== 409) return { object, before, after: scaleState(body), ...(note ? { note } : {}) };
    if (attempt >= MAX_CONFLICT_ATTEMPTS) throw new ConflictError(`deployment ${namespace}/${name}`);
  }
}

function scaleState(s: V1Scale): Record<string, unknown> {
  return { resourceVersion: s.metadata?.resourceVersion ?? null, replicas: s.spec?.replicas ?? 0 };
}
