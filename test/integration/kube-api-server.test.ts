/** The Kubernetes API test server's own behaviour, as the real API answers: the parts no operation test reaches. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smallCluster } from '../kube-api/cluster.js';
import type { KubeApi } from '../kube-api/server.js';
import { startKubeApi } from '../kube-api/server.js';

let api: KubeApi;
beforeAll(async () => {
  api = await startKubeApi({ objects: smallCluster(), rbac: [{ apiGroups: [''], resources: ['pods', 'nodes'], verbs: ['get', 'list', 'patch'] }, { apiGroups: ['apps'], resources: ['deployments', 'deployments/scale'], verbs: ['get', 'patch', 'update'] }] });
});
afterAll(() => api?.close());

async function call(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; body: any }> {
  const response = await fetch(`${api.url}${path}`, { method, headers: { authorization: `Bearer ${api.token}`, 'content-type': contentType }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: response.status, body: await response.json() };
}

describe('the Kubernetes API test server', () => {
  it('lists with label and field selectors', async () => {
    const names = async (query: string) => ((await call('GET', `/api/v1/pods?${query}`)).body.items as Array<{ metadata: { name: string } }>).map((p) => p.metadata.name);
    expect(await names('labelSelector=app%3Dcheckout')).toEqual(['checkout-7d9f8b6c5-q8w7e', 'checkout-7d9f8b6c5-x2x9z']);
    expect(await names('labelSelector=app%20in%20(cart,coredns)')).toEqual(['coredns-5d78c9869d-abcde', 'cart-5f6d7c8b9-abcde']);
    expect(await names('fieldSelector=spec.nodeName%3Dheal-control-plane')).toEqual(['etcd-heal-control-plane', 'kube-proxy-a1b2c']);
    expect(await call('GET', '/api/v1/pods?fieldSelector=spec.hostIP%3D1')).toMatchObject({ status: 400, body: { kind: 'Status', status: 'Failure', reason: 'BadRequest', message: 'field label not supported: spec.hostIP', code: 400 } });
  });

  it('answers a missing object with a NotFound Status, and a rule the role lacks with 403 as the real API words it', async () => {
    expect(await call('GET', '/api/v1/namespaces/shop/pods/nope')).toEqual({ status: 404, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'pods "nope" not found', reason: 'NotFound', details: { name: 'nope', kind: 'pods' }, code: 404 } });
    expect(await call('DELETE', '/api/v1/namespaces/shop/pods/cart-5f6d7c8b9-abcde')).toMatchObject({
      status: 403,
      body: { reason: 'Forbidden', message: 'pods "cart-5f6d7c8b9-abcde" is forbidden: User "system:serviceaccount:homeostat:homeostat" cannot delete resource "pods" in API group "" in the namespace "shop"', code: 403 },
    });
    expect((await call('GET', '/apis/policy/v1/poddisruptionbudgets')).body.message).toBe('poddisruptionbudgets.policy is forbidden: User "system:serviceaccount:homeostat:homeostat" cannot list resource "poddisruptionbudgets" in API group "policy" at the cluster scope');
  });

  it('checks resourceVersion (409), refuses a dryRun other than All, and changes nothing in a dry run', async () => {
    const node = (await call('GET', '/api/v1/nodes/heal-worker')).body;
    const stale = { metadata: { resourceVersion: '1' }, spec: { unschedulable: true } };
    expect(await call('PATCH', '/api/v1/nodes/heal-worker', stale, 'application/merge-patch+json')).toMatchObject({ status: 409, body: { reason: 'Conflict', message: 'Operation cannot be fulfilled on nodes "heal-worker": the object has been modified; please apply your changes to the latest version and try again' } });
    expect((await call('PATCH', '/api/v1/nodes/heal-worker?dryRun=Yes', { spec: { unschedulable: true } }, 'application/merge-patch+json')).body.message).toBe('dryRun: Unsupported value: "Yes": supported values: "All"');
    const dry = await call('PATCH', '/api/v1/nodes/heal-worker?dryRun=All', { spec: { unschedulable: true } }, 'application/strategic-merge-patch+json');
    expect(dry).toMatchObject({ status: 200, body: { spec: { unschedulable: true }, metadata: { resourceVersion: node.metadata.resourceVersion } } });
    expect((await call('GET', '/api/v1/nodes/heal-worker')).body).toEqual(node);
    const real = await call('PATCH', '/api/v1/nodes/heal-worker', { spec: { unschedulable: true } }, 'application/strategic-merge-patch+json');
    expect(Number(real.body.metadata.resourceVersion)).toBeGreaterThan(Number(node.metadata.resourceVersion));
    const again = await call('PATCH', '/api/v1/nodes/heal-worker', { spec: { unschedulable: true } }, 'application/strategic-merge-patch+json');
    expect(again.body.metadata.resourceVersion).toBe(real.body.metadata.resourceVersion); // no change, no new version
    expect((await call('PATCH', '/api/v1/nodes/heal-worker', { spec: { taints: [{ key: 'k', effect: 'NoSchedule' }] } }, 'application/strategic-merge-patch+json')).status).toBe(400);
    expect((await call('PATCH', '/api/v1/nodes/heal-worker', [{ op: 'add' }], 'application/json-patch+json')).status).toBe(415);
  });

  it('serves the scale subresource and validates replicas', async () => {
    const scale = (await call('GET', '/apis/apps/v1/namespaces/shop/deployments/checkout/scale')).body;
    expect(scale).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 2 }, status: { selector: 'app=checkout' } });
    expect((await call('PATCH', '/apis/apps/v1/namespaces/shop/deployments/checkout/scale', { spec: { replicas: -1 } }, 'application/merge-patch+json')).status).toBe(422);
    const put = await call('PUT', '/apis/apps/v1/namespaces/shop/deployments/checkout/scale', { ...scale, spec: { replicas: 4 } });
    expect(put).toMatchObject({ status: 200, body: { spec: { replicas: 4 } } });
    expect((await call('PUT', '/apis/apps/v1/namespaces/shop/deployments/checkout/scale', { ...scale, spec: { replicas: 5 } })).status).toBe(409);
    expect((await call('GET', '/apis/apps/v1/namespaces/shop/deployments/checkout')).body).toMatchObject({ spec: { replicas: 4 }, metadata: { generation: 2 } });
  });
});
