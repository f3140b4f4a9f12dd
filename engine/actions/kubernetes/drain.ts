/**
 * drain: cordon, then evict every pod on the node but DaemonSet pods and mirror pods through
 * the Eviction subresource, so that PodDisruptionBudgets hold. An eviction answered 429 is
 * tried again until the action's deadline; then the drain fails naming the pods and the
 * budgets that held them. It never deletes a pod instead. Evicted pods are waited for until
 * they are gone (not in a dry run, where nothing goes).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiStatus, KubeSession, V1Pod, V1PodList } from '../../kube/index.js';
import { formatDuration } from '../../util/duration.js';
import type { KubernetesSettings } from '../types.js';
import type { NodeRef } from './nodes.js';
import { setUnschedulable } from './node-ops.js';
import type { OperationReport, PodReport } from './report.js';

const EVICTION_RETRY_MS = 1_000;
const GONE_POLL_MS = 250;
const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';

/** A failure that keeps what was done so far for the audit entry. */
export class OperationFailed extends Error {
  constructor(message: string, readonly report: OperationReport) {
    super(message);
  }
}

export async function drain(session: KubeSession, ref: NodeRef, gracePeriodSeconds: number | undefined, settings: KubernetesSettings, timeoutMs: number): Promise<OperationReport> {
  const report = await setUnschedulable(session, ref, true, 'drain', settings);
  const name = report.object.name;
  const { body } = await session.request<V1PodList>({
    verb: 'list', apiGroup: '', resource: 'pods', method: 'GET', path: '/api/v1/pods',
    query: { fieldSelector: `spec.nodeName=${name}` },
  });
  const pods: PodReport[] = [];
  report.pods = pods;
  const pending = new Map<string, { pod: V1Pod; report: PodReport }>();
  for (const pod of body.items ?? []) {
    const entry: PodReport = { namespace: pod.metadata!.namespace!, name: pod.metadata!.name!, result: 'blocked' };
    pods.push(entry);
    const skip = skipReason(pod);
    if (skip) Object.assign(entry, { result: 'skipped', why: skip });
    else pending.set(`${entry.namespace}/${entry.name}`, { pod, report: entry });
  }
  const evicted: V1Pod[] = [];
  for (;;) {
    for (const [key, { pod, report: entry }] of pending) {
      const answer = await evict(session, pod, gracePeriodSeconds);
      if (answer === null) {
        pending.delete(key);
        entry.result = 'evicted';
        delete entry.why;
        evicted.push(pod);
      } else if (answer === 'gone') {
        pending.delete(key);
        entry.result = 'gone';
      } else entry.why = answer;
    }
    if (pending.size === 0) break;
    if (session.now() + EVICTION_RETRY_MS >= session.deadline) {
      const held = [...pending.values()].map(({ report: r }) => `${r.namespace}/${r.name} (${r.why})`).join('; ');
      throw new OperationFailed(`drain of node ${name} did not finish within ${formatDuration(timeoutMs)}: ${pending.size} pod(s) could not be evicted: ${held}. No pod was deleted instead; the node stays cordoned`, report);
    }
    await pause(session, EVICTION_RETRY_MS);
  }
  if (!session.dryRun) await untilGone(session, evicted, name, report, timeoutMs);
  return report;
}

function skipReason(pod: V1Pod): string | null {
  if (pod.metadata?.annotations?.[MIRROR_ANNOTATION] !== undefined) return 'a mirror pod (static, managed by the kubelet)';
  const owner = (pod.metadata?.ownerReferences ?? []).find((o) => o.controller);
  if (owner?.kind === 'DaemonSet') return `managed by DaemonSet ${owner.name}`;
  return null;
}

/** null when evicted, 'gone' when the pod no longer exists, else why it was refused (429). */
async function evict(session: KubeSession, pod: V1Pod, gracePeriodSeconds: number | undefined): Promise<string | 'gone' | null> {
  const namespace = pod.metadata!.namespace!;
  const name = pod.metadata!.name!;
  const { status, body } = await session.request<ApiStatus>({
    verb: 'create', apiGroup: '', resource: 'pods/eviction', method: 'POST',
    path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}/eviction`,
    body: {
      apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace },
      ...(gracePeriodSeconds !== undefined ? { deleteOptions: { gracePeriodSeconds } } : {}),
    },
    accept: [404, 429],
  });
  if (status === 404) return 'gone';
  if (status !== 429) return null;
  return heldBy(namespace, body);
}

/** The API names the budget in a cause: "The disruption budget web needs 2 healthy pods and has 2 currently". */
function heldBy(namespace: string, status: ApiStatus | null): string {
  const cause = status?.details?.causes?.find((c) => c.reason === 'DisruptionBudget')?.message;
  const budget = cause ? /disruption budget (\S+)/i.exec(cause)?.[1] : undefined;
  if (budget) return `held by PodDisruptionBudget ${namespace}/${budget}: ${cause}`;
  return `429 ${status?.message ?? 'Too Many Requests'}`;
}

async function untilGone(session: KubeSession, evicted: V1Pod[], node: string, report: OperationReport, timeoutMs: number): Promise<void> {
  let left = evicted;
  while (left.length > 0) {
    const still: V1Pod[] = [];
    for (const pod of left) {
      const { status, body } = await session.request<V1Pod>({
        verb: 'get', apiGroup: '', resource: 'pods', method: 'GET',
        path: `/api/v1/namespaces/${encodeURIComponent(pod.metadata!.namespace!)}/pods/${encodeURIComponent(pod.metadata!.name!)}`,
        accept: [404],
      });
      // A pod of the same name but another uid is a new one (a StatefulSet's): the evicted one is gone.
      if (status !== 404 && body.metadata?.uid === pod.metadata?.uid) still.push(pod);
    }
    left = still;
    if (left.length === 0) return;
    if (session.now() + GONE_POLL_MS >= session.deadline) {
      throw new OperationFailed(`drain of node ${node}: ${left.length} evicted pod(s) still terminating after ${formatDuration(timeoutMs)}: ${left.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`).join(', ')}`, report);
    }
    await pause(session, GONE_POLL_MS);
  }
}

async function pause(session: KubeSession, ms: number): Promise<void> {
  await sleep(ms, undefined, { signal: session.signal }).catch(() => undefined);
  if (session.signal.aborted) throw new Error('interrupted: the engine was stopping');
}
