/**
 * The Kubernetes API test server's fidelity, checked with the real kubectl (Debian package
 * kubectl): kubectl's cordon, drain, rollout restart, scale and uncordon against one server
 * leave the same objects as homeostat's own operations against a second server seeded alike.
 * Compared are all objects of every resource the server holds, with the fields that must
 * differ between two runs taken out: resourceVersion (a count of writes, and kubectl writes
 * through other calls: PATCH of the scale subresource where homeostat PUTs it),
 * creationTimestamp (the servers start at different instants), deletionTimestamp, and the
 * value of the restartedAt annotation (the time of each restart; its presence is compared).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smallCluster } from '../kube-api/cluster.js';
import type { KubeApi } from '../kube-api/server.js';
import { startKubeApi } from '../kube-api/server.js';
import { RESOURCES } from '../kube-api/resources.js';
import type { KubeObject } from '../kube-api/store.js';
import { kubeFixture, runKube } from '../helpers/kube.js';
import type { KubeFixture } from '../helpers/kube.js';
import { requireCommand } from '../helpers/processes.js';

const run = promisify(execFile);

let kubectlApi: KubeApi;
let homeostat: KubeFixture;
let dir: string;
let kubectl: (...args: string[]) => Promise<string>;

beforeAll(async () => {
  const binary = requireCommand('kubectl', 'kubectl');
  dir = mkdtempSync(join(tmpdir(), 'homeostat-kubectl-'));
  kubectlApi = await startKubeApi({ objects: smallCluster(), requireToken: false });
  const kubeconfig = kubectlApi.writeKubeconfig(join(dir, 'kubeconfig'));
  // Asynchronous: the server answers from this process.
  kubectl = async (...args) => (await run(binary, ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), '--request-timeout', '20s', ...args], { env: { PATH: process.env.PATH, HOME: dir } })).stdout;
  homeostat = await kubeFixture();
});

afterAll(async () => {
  await kubectlApi?.close();
  await homeostat?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function normalized(api: KubeApi): Record<string, KubeObject[]> {
  const all: Record<string, KubeObject[]> = {};
  for (const { resource } of RESOURCES) {
    all[resource] = api.store.list(resource, null).map((o) => {
      const metadata = { ...o.metadata };
      delete metadata.resourceVersion;
      delete metadata.creationTimestamp;
      if (metadata.deletionTimestamp) metadata.deletionTimestamp = '<time>';
      const copy = { ...o, metadata };
      const annotations = copy.spec?.template?.metadata?.annotations;
      if (annotations?.['kubectl.kubernetes.io/restartedAt']) annotations['kubectl.kubernetes.io/restartedAt'] = '<time>';
      return copy;
    });
  }
  return all;
}

describe('kubectl and homeostat leave the same objects', () => {
  it('cordon, drain, rollout restart, scale, uncordon', async () => {
    expect(normalized(kubectlApi)).toEqual(normalized(homeostat.api));

    expect(await kubectl('cordon', 'heal-worker2')).toBe('node/heal-worker2 cordoned\n');
    expect((await runKube(homeostat, { cordon: { node: 'heal-worker2' } })).outcome).toBe('succeeded');
    expect(normalized(kubectlApi)).toEqual(normalized(homeostat.api));

    await kubectl('drain', 'heal-worker', '--ignore-daemonsets', '--delete-emptydir-data', '--timeout', '30s');
    expect((await runKube(homeostat, { drain: { node: 'heal-worker' } })).outcome).toBe('succeeded');
    expect(kubectlApi.deletions).toEqual(homeostat.api.deletions);
    expect(kubectlApi.store.get('pods', 'shop', 'checkout-7d9f8b6c5-x2x9z')).toBeUndefined();
    expect(normalized(kubectlApi)).toEqual(normalized(homeostat.api));

    expect(await kubectl('-n', 'shop', 'rollout', 'restart', 'deployment/checkout')).toBe('deployment.apps/checkout restarted\n');
    expect((await runKube(homeostat, { rolloutRestart: { namespace: 'shop', deployment: 'checkout' } })).outcome).toBe('succeeded');
    expect(kubectlApi.store.get('deployments', 'shop', 'checkout')!.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/);
    expect(normalized(kubectlApi)).toEqual(normalized(homeostat.api));

    expect(await kubectl('-n', 'shop', 'scale', 'deployment/cart', '--replicas=3')).toBe('deployment.apps/cart scaled\n');
    expect((await runKube(homeostat, { scale: { namespace: 'shop', deployment: 'cart', replicas: 3, max: 5 } })).outcome).toBe('succeeded');
    expect(kubectlApi.store.get('deployments', 'shop', 'cart')!.spec.replicas).toBe(3);
    expect(normalized(kubectlApi)).toEqual(normalized(homeostat.api));

    expect(await kubectl('uncordon', 'heal-worker2')).toBe('node/heal-worker2 uncordoned\n');
    expect((await runKube(homeostat, { uncordon: { node: 'heal-worker2' } })).outcome).toBe('succeeded');
    expect(normalized(kubectlApi)).toEqual(normalized(homeostat.api));

    // The same writes reached both servers, but for the scale subresource: kubectl PATCHes it, homeostat PUTs it with the resourceVersion it read.
    const writes = (api: KubeApi) => [...new Set(api.requests.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path}`))].sort();
    expect(writes(kubectlApi).filter((w) => !w.endsWith('/scale'))).toEqual(writes(homeostat.api).filter((w) => !w.endsWith('/scale')));
    expect(writes(kubectlApi).filter((w) => w.endsWith('/scale'))).toEqual(['PATCH /apis/apps/v1/namespaces/shop/deployments/cart/scale']);
    expect(writes(homeostat.api).filter((w) => w.endsWith('/scale'))).toEqual(['PUT /apis/apps/v1/namespaces/shop/deployments/cart/scale']);
  });

  it('kubectl drain is held by a PodDisruptionBudget as homeostat is, and deletes nothing', async () => {
    const before = kubectlApi.deletions.length;
    await expect(kubectl('drain', 'heal-worker2', '--ignore-daemonsets', '--delete-emptydir-data', '--timeout', '3s', '--pod-selector', 'app=cart')).rejects.toThrow(/Cannot evict pod as it would violate the pod's disruption budget/);
    expect(kubectlApi.deletions.slice(before)).toEqual([]);
    expect(kubectlApi.store.get('pods', 'shop', 'cart-5f6d7c8b9-abcde')!.metadata.deletionTimestamp).toBeUndefined();
  });
});
