/** cordon and uncordon: spec.unschedulable, set with a strategic merge patch as kubectl does. */
import type { KubeSession, V1Node } from '../../kube/index.js';
import type { KubernetesSettings } from '../types.js';
import { findNode, nodePath, readNode } from './nodes.js';
import type { NodeRef } from './nodes.js';
import type { OperationReport } from './report.js';
import { ConflictError, MAX_CONFLICT_ATTEMPTS } from './report.js';
import { refuseControlPlane } from './safety.js';

export function nodeState(node: V1Node): Record<string, unknown> {
  return { resourceVersion: node.metadata?.resourceVersion ?? null, unschedulable: node.spec?.unschedulable ?? false };
}

/**
 * The patch carries the resourceVersion that was read: the control-plane check holds for the
 * very version changed, and a node changed in between (409) is read and checked again.
 */
export async function setUnschedulable(session: KubeSession, ref: NodeRef, unschedulable: boolean, operation: string, settings: KubernetesSettings): Promise<OperationReport> {
  let node = await findNode(session, ref);
  const name = node.metadata!.name!;
  const object = { kind: 'Node', name };
  for (let attempt = 1; ; attempt++) {
    refuseControlPlane(node, operation, settings);
    const before = nodeState(node);
    if ((node.spec?.unschedulable ?? false) === unschedulable) {
      return { object, before, after: before, note: `node ${name} is already ${unschedulable ? 'cordoned' : 'schedulable'}: no change sent` };
    }
    const { status, body } = await session.request<V1Node>({
      verb: 'patch', apiGroup: '', resource: 'nodes', method: 'PATCH', path: nodePath(name),
      contentType: 'application/strategic-merge-patch+json',
      body: { metadata: { resourceVersion: node.metadata!.resourceVersion }, spec: { unschedulable: unschedulable ? true : null } },
      accept: [409],
    });
    if (status !== 409) return { object, before, after: nodeState(body) };
    if (attempt >= MAX_CONFLICT_ATTEMPTS) throw new ConflictError(`node ${name}`);
    node = await readNode(session, name);
  }
}
