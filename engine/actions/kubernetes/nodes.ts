/** A node named by the policy: by its name, or by an address from the alert (`instance` is IP:port). */
import type { KubeSession, V1Node, V1NodeList } from '../../kube/index.js';

export type NodeRef = string | { address: string };

const ADDRESS_TYPES = new Set(['InternalIP', 'ExternalIP', 'Hostname']);

export function nodePath(name: string): string {
  return `/api/v1/nodes/${encodeURIComponent(name)}`;
}

export async function readNode(session: KubeSession, name: string): Promise<V1Node> {
  const { status, body } = await session.request<V1Node>({ verb: 'get', apiGroup: '', resource: 'nodes', method: 'GET', path: nodePath(name), accept: [404] });
  if (status === 404) throw new Error(`no node named ${name} in the cluster`);
  return body;
}

/** The one node the reference names; fails when none or several hold the address. */
export async function findNode(session: KubeSession, ref: NodeRef): Promise<V1Node> {
  if (typeof ref === 'string') return readNode(session, ref);
  const { body } = await session.request<V1NodeList>({ verb: 'list', apiGroup: '', resource: 'nodes', method: 'GET', path: '/api/v1/nodes' });
  const nodes = body.items ?? [];
  const holders = nodes.filter((node) => (node.status?.addresses ?? []).some((a) => ADDRESS_TYPES.has(a.type) && a.address === ref.address));
  if (holders.length === 0) throw new Error(`no node has the address ${ref.address} (InternalIP, ExternalIP or Hostname) among the ${nodes.length} nodes of the cluster`);
  if (holders.length > 1) throw new Error(`${holders.length} nodes have the address ${ref.address}: ${holders.map((n) => n.metadata?.name).join(', ')}; name the node instead`);
  return holders[0]!;
}

export function describeNodeRef(ref: unknown): string {
  if (ref && typeof ref === 'object') return `the node with address ${String((ref as { address?: unknown }).address)}`;
  return `node/${String(ref)}`;
}
