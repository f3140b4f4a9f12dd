/**
 * Every kubernetes operation against the Kubernetes API test server, with deploy/rbac.yaml's
 * ClusterRole enforced: a call the role does not allow fails these tests.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KubeClient, loadKubeConfig } from '../../engine/kube/index.js';
import { calls, kubeFixture, runKube } from '../helpers/kube.js';
import type { KubeFixture } from '../helpers/kube.js';
import { waitFor } from '../helpers/wait.js';

let f: KubeFixture;
afterEach(async () => f?.close());

const node = (name: string) => f.api.store.get('nodes', null, name)!;
const pod = (ns: string, name: string) => f.api.store.get('pods', ns, name);
const deployment = (ns: string, name: string) => f.api.store.get('deployments', ns, name)!;

describe('cordon and uncordon', () => {
  it('cordons a worker named by its address, records the node before and after and the calls', async () => {
    f = await kubeFixture();
    const rv = node('heal-worker').metadata.resourceVersion;
    const result = await runKube(f, { cordon: { node: { address: '172.18.0.3' } } });
    expect(result).toMatchObject({ outcome: 'succeeded', reason: null });
    expect(node('heal-worker').spec.unschedulable).toBe(true);
    const after = node('heal-worker').metadata.resourceVersion;
    expect(Number(after)).toBeGreaterThan(Number(rv));
    expect(result.details).toMatchObject({
      operation: 'cordon', dryRun: false, object: { kind: 'Node', name: 'heal-worker' },
      before: { resourceVersion: rv, unschedulable: false }, after: { resourceVersion: after, unschedulable: true },
    });
    expect((result.details!.calls as Array<{ method: string; path: string; status: number }>).map((c) => `${c.method} ${c.path} ${c.status}`)).toEqual(['GET /api/v1/nodes 200', 'PATCH /api/v1/nodes/heal-worker 200']);
    expect(f.api.requests.find((r) => r.method === 'PATCH')!.contentType).toBe('application/strategic-merge-patch+json');
    const again = await runKube(f, { uncordon: { node: 'heal-worker' } });
    expect(again.outcome).toBe('succeeded');
    expect(node('heal-worker').spec).not.toHaveProperty('unschedulable');
  });

  it('says so and sends nothing when the node is already cordoned', async () => {
    f = await kubeFixture();
    await runKube(f, { cordon: { node: 'heal-worker' } });
    const result = await runKube(f, { cordon: { node: 'heal-worker' } });
    expect(result.outcome).toBe('succeeded');
    expect(result.details!.note).toBe('node heal-worker is already cordoned: no change sent');
    expect(calls(f.api).filter((c) => c.startsWith('PATCH'))).toHaveLength(1);
  });

  it('fails clearly when no node or several hold the address', async () => {
    f = await kubeFixture();
    const none = await runKube(f, { cordon: { node: { address: '10.9.9.9' } } });
    expect(none).toMatchObject({ outcome: 'failed', reason: 'no node has the address 10.9.9.9 (InternalIP, ExternalIP or Hostname) among the 3 nodes of the cluster' });
    const worker2 = node('heal-worker2');
    worker2.status.addresses.push({ type: 'ExternalIP', address: '172.18.0.3' });
    f.api.store.replace('nodes', worker2);
    const several = await runKube(f, { cordon: { node: { address: '172.18.0.3' } } });
    expect(several).toMatchObject({ outcome: 'failed', reason: '2 nodes have the address 172.18.0.3: heal-worker, heal-worker2; name the node instead' });
    expect(calls(f.api).filter((c) => !c.startsWith('GET'))).toEqual([]);
  });

  it('refuses a control-plane node, by the label the API reports, unless homeostat.yaml allows it', async () => {
    f = await kubeFixture();
    for (const params of [{ cordon: { node: { address: '172.18.0.2' } } }, { drain: { node: 'heal-control-plane' } }, { uncordon: { node: 'heal-control-plane' } }]) {
      const result = await runKube(f, params);
      expect(result.outcome).toBe('refused');
      expect(result.reason).toMatch(/^node heal-control-plane is a control-plane node \(label node-role.kubernetes.io\/control-plane\): (cordon|drain|uncordon) refused; homeostat.yaml kubernetes.allowControlPlane is false$/);
    }
    expect(calls(f.api).filter((c) => !c.startsWith('GET'))).toEqual([]);
    const master = node('heal-worker2');
    master.metadata.labels['node-role.kubernetes.io/master'] = '';
    f.api.store.replace('nodes', master);
    expect((await runKube(f, { cordon: { node: 'heal-worker2' } })).reason).toContain('(label node-role.kubernetes.io/master)');
    const allowed = await runKube(f, { cordon: { node: 'heal-control-plane' } }, { settings: { allowControlPlane: true } });
    expect(allowed.outcome).toBe('succeeded');
    expect(node('heal-control-plane').spec.unschedulable).toBe(true);
  });

  it('re-reads and checks the node again when it changed in between (409)', async () => {
    let conflicts = 1;
    f = await kubeFixture({
      fault: (method, path) => {
        if (method === 'PATCH' && path === '/api/v1/nodes/heal-worker' && conflicts-- > 0) {
          // Someone else writes the node between the read and the patch.
          const n = f.api.store.get('nodes', null, 'heal-worker')!;
          n.metadata.labels.touched = 'yes';
          f.api.store.replace('nodes', n);
        }
        return undefined;
      },
    });
    const result = await runKube(f, { cordon: { node: 'heal-worker' } });
    expect(result.outcome).toBe('succeeded');
    expect(calls(f.api)).toEqual([
      'GET /api/v1/nodes/heal-worker 200',
      'PATCH /api/v1/nodes/heal-worker 409',
      'GET /api/v1/nodes/heal-worker 200',
      'PATCH /api/v1/nodes/heal-worker 200',
    ]);
    expect(node('heal-worker').metadata.labels.touched).toBe('yes');
  });
});

describe('drain', () => {
  it('cordons, evicts all but DaemonSet and mirror pods with the grace period, and waits until they are gone', async () => {
    f = await kubeFixture();
    const result = await runKube(f, { drain: { node: 'heal-worker', gracePeriod: '45s' } });
    expect(result).toMatchObject({ outcome: 'succeeded', reason: null });
    expect(node('heal-worker').spec.unschedulable).toBe(true);
    expect(result.details!.pods).toEqual([
      { namespace: 'kube-system', name: 'kube-proxy-d3e4f', result: 'skipped', why: 'managed by DaemonSet kube-proxy' },
      { namespace: 'kube-system', name: 'node-exporter-heal-worker', result: 'skipped', why: 'a mirror pod (static, managed by the kubelet)' },
      { namespace: 'shop', name: 'checkout-7d9f8b6c5-x2x9z', result: 'evicted' },
    ]);
    expect(f.api.deletions).toEqual([{ namespace: 'shop', name: 'checkout-7d9f8b6c5-x2x9z', via: 'eviction', gracePeriodSeconds: 45 }]);
    expect(pod('shop', 'checkout-7d9f8b6c5-x2x9z')).toBeUndefined();
    expect(pod('kube-system', 'kube-proxy-d3e4f')).toBeDefined();
    expect(calls(f.api)).toContain('GET /api/v1/pods?fieldSelector=spec.nodeName%3Dheal-worker 200');
    expect(calls(f.api)).toContain('POST /api/v1/namespaces/shop/pods/checkout-7d9f8b6c5-x2x9z/eviction 201');
    expect(calls(f.api).some((c) => c.startsWith('DELETE'))).toBe(false);
  });

  it('fails after its timeout naming the pod and the PodDisruptionBudget that held it, deleting nothing', async () => {
    f = await kubeFixture();
    const result = await runKube(f, { drain: { node: 'heal-worker2' } }, { timeoutMs: 3_000 });
    expect(result.outcome).toBe('failed');
    expect(result.reason).toBe(
      'drain of node heal-worker2 did not finish within 3s: 1 pod(s) could not be evicted: shop/cart-5f6d7c8b9-abcde (held by PodDisruptionBudget shop/cart: The disruption budget cart needs 1 healthy pods and has 1 currently). No pod was deleted instead; the node stays cordoned',
    );
    const blocked = calls(f.api).filter((c) => c.includes('cart-5f6d7c8b9-abcde/eviction'));
    expect(blocked.length).toBeGreaterThan(1);
    expect(blocked.every((c) => c.endsWith(' 429'))).toBe(true);
    expect(pod('shop', 'cart-5f6d7c8b9-abcde')!.metadata.deletionTimestamp).toBeUndefined();
    expect(calls(f.api).some((c) => c.startsWith('DELETE'))).toBe(false);
    expect(f.api.deletions.map((d) => `${d.namespace}/${d.name} ${d.via}`)).toEqual([
      'customer/customer-rs-transformer-9b75b488c-cpfd7 eviction', 'kube-system/coredns-5d78c9869d-abcde eviction', 'shop/checkout-7d9f8b6c5-q8w7e eviction',
    ]);
    expect(result.details!.pods).toContainEqual({ namespace: 'shop', name: 'cart-5f6d7c8b9-abcde', result: 'blocked', why: 'held by PodDisruptionBudget shop/cart: The disruption budget cart needs 1 healthy pods and has 1 currently' });
  });
});

describe('pods and deployments', () => {
  it('deletes a pod with its uid as precondition', async () => {
    f = await kubeFixture();
    const before = pod('shop', 'checkout-7d9f8b6c5-x2x9z')!;
    const result = await runKube(f, { deletePod: { namespace: 'shop', pod: 'checkout-7d9f8b6c5-x2x9z' } });
    expect(result.outcome).toBe('succeeded');
    expect(result.details).toMatchObject({ object: { kind: 'Pod', namespace: 'shop', name: 'checkout-7d9f8b6c5-x2x9z' }, before: { uid: before.metadata.uid, resourceVersion: before.metadata.resourceVersion, deletionTimestamp: null } });
    expect((result.details!.after as { deletionTimestamp: string | null }).deletionTimestamp).not.toBeNull();
    await waitFor(() => pod('shop', 'checkout-7d9f8b6c5-x2x9z') === undefined, 'the kubelet of the test server to remove the pod');
    expect((await runKube(f, { deletePod: { namespace: 'shop', pod: 'checkout-7d9f8b6c5-x2x9z' } })).reason).toBe('no pod shop/checkout-7d9f8b6c5-x2x9z in the cluster');
  });

  it('rollout-restarts a deployment with the restartedAt annotation on its pod template', async () => {
    f = await kubeFixture();
    const result = await runKube(f, { rolloutRestart: { namespace: 'shop', deployment: 'checkout' } });
    expect(result.outcome).toBe('succeeded');
    const annotation = deployment('shop', 'checkout').spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt'];
    expect(annotation).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(result.details).toMatchObject({ before: { restartedAt: null, generation: 1 }, after: { restartedAt: annotation, generation: 2 } });
  });

  it('scales through the scale subresource, by steps or to a count, never above max nor below 0', async () => {
    f = await kubeFixture();
    const replicas = () => deployment('shop', 'checkout').spec.replicas;
    expect((await runKube(f, { scale: { namespace: 'shop', deployment: 'checkout', by: 1, max: 3 } })).details).toMatchObject({ before: { replicas: 2 }, after: { replicas: 3 } });
    const capped = await runKube(f, { scale: { namespace: 'shop', deployment: 'checkout', by: 1, max: 3 } });
    expect(capped).toMatchObject({ outcome: 'succeeded', details: { note: 'bounded by max 3 (asked for 4); already at 3 replicas: no change sent' } });
    expect(replicas()).toBe(3);
    await runKube(f, { scale: { namespace: 'shop', deployment: 'checkout', replicas: 9, max: 5 } });
    expect(replicas()).toBe(5);
    await runKube(f, { scale: { namespace: 'shop', deployment: 'checkout', by: -7, max: 5 } });
    expect(replicas()).toBe(0);
    expect(calls(f.api).filter((c) => c.includes('/scale')).every((c) => c.startsWith('GET') || c.startsWith('PUT'))).toBe(true);
  });
});

describe('dry run', () => {
  it('sends the same writes with dryRun=All and changes nothing; the server still checks budgets', async () => {
    f = await kubeFixture();
    const store = () => JSON.stringify(['nodes', 'pods', 'deployments', 'poddisruptionbudgets'].map((r) => f.api.store.list(r, null)));
    const before = store();
    for (const params of [
      { cordon: { node: 'heal-worker' } },
      { drain: { node: 'heal-worker' } },
      { deletePod: { namespace: 'shop', pod: 'cart-5f6d7c8b9-abcde' } },
      { rolloutRestart: { namespace: 'shop', deployment: 'checkout' } },
      { scale: { namespace: 'shop', deployment: 'checkout', replicas: 4, max: 5 } },
    ]) {
      const result = await runKube(f, params, { dryRun: true });
      expect(result.outcome, JSON.stringify(params)).toBe('succeeded');
      expect(result.details!.dryRun).toBe(true);
    }
    expect(store()).toBe(before);
    expect(f.api.deletions).toEqual([]);
    const writes = f.api.requests.filter((r) => r.method !== 'GET');
    expect(writes.length).toBe(6);
    expect(writes.every((r) => r.query.includes('dryRun=All'))).toBe(true);
    const blocked = await runKube(f, { drain: { node: 'heal-worker2' } }, { dryRun: true, timeoutMs: 1_500 });
    expect(blocked.outcome).toBe('failed');
    expect(blocked.reason).toContain('held by PodDisruptionBudget shop/cart');
    expect(store()).toBe(before);
  });
});

describe('the client', () => {
  it('retries 429 and 5xx within its bound, then fails saying what the API said', async () => {
    let failures = 2;
    f = await kubeFixture({ fault: (method) => (method === 'GET' && failures-- > 0 ? (failures === 1 ? 503 : 429) : undefined) });
    expect((await runKube(f, { cordon: { node: 'heal-worker' } })).outcome).toBe('succeeded');
    expect(calls(f.api).slice(0, 3)).toEqual(['GET /api/v1/nodes/heal-worker 503', 'GET /api/v1/nodes/heal-worker 429', 'GET /api/v1/nodes/heal-worker 200']);
    await f.close();
    f = await kubeFixture({ fault: () => 500 });
    const result = await runKube(f, { cordon: { node: 'heal-worker' } });
    expect(result.outcome).toBe('failed');
    expect(result.reason).toBe('GET /api/v1/nodes/heal-worker: 500 InternalError: an error on the server ("injected by the test") has prevented the request from succeeding');
    expect(f.api.requests).toHaveLength(5);
  });

  it('names the RBAC rule that is missing on a 403', async () => {
    f = await kubeFixture({ rbac: [{ apiGroups: [''], resources: ['nodes', 'pods'], verbs: ['get', 'list', 'patch'] }] });
    const result = await runKube(f, { drain: { node: 'heal-worker' } });
    expect(result.outcome).toBe('failed');
    expect(result.reason).toBe(
      'the credentials in use may not create pods/eviction (core API group ""): add { apiGroups: [""], resources: ["pods/eviction"], verbs: ["create"] } to the ClusterRole bound to them (deploy/rbac.yaml holds it) (403 Forbidden: pods "checkout-7d9f8b6c5-x2x9z" is forbidden: User "system:serviceaccount:homeostat:homeostat" cannot create resource "pods/eviction" in API group "" in the namespace "shop")',
    );
  });

  it('says when the credentials are not accepted (401)', async () => {
    f = await kubeFixture();
    const file = join(f.dir, 'stale-token');
    writeFileSync(file, readFileSync(f.kubeconfig, 'utf8').replace(f.api.token, 'a-token-the-cluster-never-issued'));
    const stale = new KubeClient(loadKubeConfig({ kubeconfig: file, context: null, env: {}, cwd: f.dir }));
    const result = await runKube({ ...f, client: stale }, { cordon: { node: 'heal-worker' } });
    stale.close();
    expect(result.outcome).toBe('failed');
    expect(result.reason).toBe('GET /api/v1/nodes/heal-worker: 401 Unauthorized: the cluster did not accept the credentials (an expired or wrong token or certificate in the kubeconfig, or a service-account token that is not mounted)');
  });
});

describe('refused before any call', () => {
  it('refuses kube-system and kube-public by default, and namespaces off the allowlist', async () => {
    f = await kubeFixture();
    expect(await runKube(f, { deletePod: { namespace: 'kube-system', pod: 'coredns-5d78c9869d-abcde' } })).toMatchObject({
      outcome: 'refused',
      reason: 'namespace kube-system is protected: homeostat.yaml lists no kubernetes.namespaces, so kube-system and kube-public are refused; list the namespaces actions may touch to allow it',
    });
    expect((await runKube(f, { scale: { namespace: 'shop', deployment: 'checkout', by: 1, max: 4 } }, { settings: { namespaces: ['customer'] } })).reason).toBe('namespace shop is not in homeostat.yaml kubernetes.namespaces (customer)');
    expect((await runKube(f, { deletePod: { namespace: 'shop', pod: 'Cart_1' } })).reason).toBe("pod 'Cart_1' is not a valid Kubernetes name");
    expect(f.api.requests).toEqual([]);
  });
});
