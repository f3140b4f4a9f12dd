/**
 * The Kubernetes API test server (test/kube-api/) seeded with the small cluster and
 * deploy/rbac.yaml's ClusterRole enforced, and the kubernetes action run against it as the
 * executor runs it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubernetes } from '../../engine/actions/kubernetes/index.js';
import type { KubernetesSettings, RunResult } from '../../engine/actions/types.js';
import { KubeClient, loadKubeConfig } from '../../engine/kube/index.js';
import type { KubeClientOptions } from '../../engine/kube/index.js';
import { smallCluster } from '../kube-api/cluster.js';
import { deployedRules } from '../kube-api/rbac-file.js';
import type { KubeApi, KubeApiOptions } from '../kube-api/server.js';
import { startKubeApi } from '../kube-api/server.js';

export interface KubeFixture {
  api: KubeApi;
  dir: string;
  kubeconfig: string;
  client: KubeClient;
  close(): Promise<void>;
}

export async function kubeFixture(options: Partial<KubeApiOptions> = {}, client: KubeClientOptions = {}): Promise<KubeFixture> {
  const api = await startKubeApi({ objects: smallCluster(), rbac: deployedRules(), ...options });
  const dir = mkdtempSync(join(tmpdir(), 'homeostat-kube-'));
  const kubeconfig = api.writeKubeconfig(join(dir, 'kubeconfig'));
  const kube = new KubeClient(loadKubeConfig({ kubeconfig, context: null, env: {}, cwd: dir }), { backoffMs: 10, maxBackoffMs: 50, ...client });
  return {
    api, dir, kubeconfig, client: kube,
    async close() {
      kube.close();
      await api.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RunOptions {
  dryRun?: boolean;
  timeoutMs?: number;
  settings?: Partial<KubernetesSettings>;
  signal?: AbortSignal;
}

/** The kubernetes action's run(), as the executor calls it. */
export function runKube(f: KubeFixture, params: Record<string, unknown>, o: RunOptions = {}): Promise<RunResult> {
  return kubernetes.run!({
    repoDir: f.dir, workDir: f.dir, params, target: 't', alert: {} as never,
    dryRun: o.dryRun ?? false, timeoutMs: o.timeoutMs ?? 20_000, secrets: [], signal: o.signal ?? new AbortController().signal,
    onSpawn: () => undefined,
    settings: { kubernetes: { allowControlPlane: false, namespaces: null, ...o.settings } },
    kube: () => f.client,
  });
}

/** The requests the server saw, one line each, discovery apart. */
export function calls(api: KubeApi): string[] {
  return api.requests.map((r) => `${r.method} ${r.path}${r.query} ${r.status}`);
}
