/**
 * The built `homeostat serve` acting on the Kubernetes API test server (test/kube-api/, with
 * deploy/rbac.yaml's ClusterRole enforced) from the real Alertmanager payloads: the bundled
 * Kubernetes policies run live, and the engine's own safety holds against careless policies
 * (a control-plane node, kube-system, a drain a PodDisruptionBudget blocks).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../engine/audit/entry.js';
import { smallCluster } from '../kube-api/cluster.js';
import { kubeFixture } from '../helpers/kube.js';
import type { KubeFixture } from '../helpers/kube.js';
import { writeRepo } from '../helpers/engine.js';
import { freePort } from '../helpers/processes.js';
import type { Spawned } from '../helpers/processes.js';
import { serveReady } from '../helpers/serve.js';
import { waitFor } from '../helpers/wait.js';
import { AM, ROOT } from './run-cli.js';

interface Served {
  root: string;
  kube: KubeFixture;
  engine: Spawned;
  url: string;
}

async function serve(prefix: string, repo: (dir: string) => void, kube: KubeFixture, args: string[] = []): Promise<Served> {
  const root = mkdtempSync(join(tmpdir(), prefix));
  repo(join(root, 'repo'));
  const port = await freePort();
  const { engine, url } = await serveReady(port, ['--policies', join(root, 'repo'), '--data-dir', join(root, 'data'), '--kubeconfig', kube.kubeconfig, ...args], {}, root);
  return { root, kube, engine, url };
}

async function stop(s: Served | undefined): Promise<void> {
  if (!s) return;
  s.engine.child.kill('SIGTERM');
  expect((await s.engine.exited).code).toBe(0);
  await s.kube.close();
  rmSync(s.root, { recursive: true, force: true });
}

async function post(s: Served, payload: string | object): Promise<void> {
  const body = typeof payload === 'string' ? readFileSync(join(ROOT, payload), 'utf8') : JSON.stringify(payload);
  const response = await fetch(`${s.url}/api/v1/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  expect(response.status).toBe(202);
}

async function actions(s: Served): Promise<AuditEntry[]> {
  return ((await (await fetch(`${s.url}/api/v1/actions?limit=500`)).json()) as { actions: AuditEntry[] }).actions;
}

/** The entry of this policy's action, once it has an outcome. */
function ended(s: Served, policy: string, action: string, target?: string): Promise<AuditEntry> {
  return waitFor(async () => (await actions(s)).find((e) => e.policy === policy && e.action === action && (target === undefined || e.target === target) && e.outcome !== null && e.outcome !== undefined), `${policy}/${action} to end`);
}

function payload(alerts: Array<Record<string, string>>): object {
  return {
    version: '4', status: 'firing', receiver: 'heal', groupKey: `{}:{test="${Math.random()}"}`, truncatedAlerts: 0, groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: 'http://am:9093',
    alerts: alerts.map((labels, i) => ({ status: 'firing', labels, annotations: {}, startsAt: '2026-11-21T07:30:00Z', endsAt: '0001-01-01T00:00:00Z', generatorURL: '', fingerprint: `${Date.now().toString(16)}${i}`.padStart(16, '0').slice(-16) })),
  };
}

const bundled = (dir: string) => {
  for (const part of ['rules', 'playbooks', 'inventory', 'homeostat.yaml']) cpSync(join(ROOT, part), join(dir, part), { recursive: true, filter: (p) => !p.endsWith('.test.yaml') });
};

describe('the bundled Kubernetes policies, live', () => {
  let s: Served;
  beforeAll(async () => {
    s = await serve('homeostat-e2e-kube-', bundled, await kubeFixture());
  });
  afterAll(() => stop(s));

  it('cordons the hot worker found by its address, and leaves the control-plane node alone', async () => {
    await post(s, `${AM}/node-high-cpu-worker-and-control-plane.json`);
    const entry = await ended(s, 'cordon-hot-worker', 'cordon');
    expect(entry).toMatchObject({ target: 'heal-worker', outcome: 'succeeded', params: { cordon: { node: { address: '172.18.0.3' } } } });
    expect(entry.execution!.details).toMatchObject({ operation: 'cordon', object: { kind: 'Node', name: 'heal-worker' }, before: { unschedulable: false }, after: { unschedulable: true } });
    expect(s.kube.api.store.get('nodes', null, 'heal-worker')!.spec.unschedulable).toBe(true);
    expect(s.kube.api.store.get('nodes', null, 'heal-control-plane')!.spec.unschedulable).toBeUndefined();
    expect((await actions(s)).filter((e) => e.target === 'heal-control-plane')).toEqual([]);
  });

  it('deletes the pod using too much memory', async () => {
    await post(s, `${AM}/high-memory-usage-pod.json`);
    const entry = await ended(s, 'restart-unhealthy-pod', 'delete-pod');
    expect(entry.outcome).toBe('succeeded');
    expect(s.kube.api.deletions).toContainEqual({ namespace: 'shop', name: 'checkout-7d9f8b6c5-x2x9z', via: 'delete', gracePeriodSeconds: 30 });
  });

  it('rollout-restarts the deployment of a crash-looping pod', async () => {
    await post(s, `${AM}/kube-pod-crashlooping-firing.json`);
    const entry = await ended(s, 'rollout-restart-crashloop', 'rollout-restart');
    expect(entry.outcome).toBe('succeeded');
    const annotations = s.kube.api.store.get('deployments', 'customer', 'customer-rs-transformer')!.spec.template.metadata.annotations;
    expect(annotations['kubectl.kubernetes.io/restartedAt']).toBe((entry.execution!.details as { after: { restartedAt: string } }).after.restartedAt);
  });

  it('adds a replica on sustained CPU, up to its max', async () => {
    await post(s, payload([{ alertname: 'KubeDeploymentCPUHigh', namespace: 'shop', deployment: 'cart', severity: 'warning' }]));
    const entry = await ended(s, 'scale-on-sustained-cpu', 'scale-up');
    expect(entry.outcome).toBe('succeeded');
    expect(entry.execution!.details).toMatchObject({ before: { replicas: 1 }, after: { replicas: 2 } });
    expect(s.kube.api.store.get('deployments', 'shop', 'cart')!.spec.replicas).toBe(2);
  });
});

describe('safety that does not depend on the policy', () => {
  let s: Served;
  const policy = (name: string, alertname: string, target: string, action: string) => `apiVersion: homeostat/v1
kind: Policy
metadata: { name: ${name} }
spec:
  match: { alertname: ${alertname} }
  target: '${target}'
  actions:
    - name: act
      kubernetes: ${action}
  guards: { cooldown: 0s }
`;
  beforeAll(async () => {
    // heal-worker2 holds a DaemonSet pod and the one pod of shop/cart, whose budget allows no disruption.
    const busy = new Set(['checkout-7d9f8b6c5-q8w7e', 'customer-rs-transformer-9b75b488c-cpfd7', 'coredns-5d78c9869d-abcde']);
    const kube = await kubeFixture({ objects: smallCluster().filter((o) => !busy.has(o.object.metadata.name)) });
    s = await serve('homeostat-e2e-kube-careless-', (dir) => writeRepo(dir, {
      'rules/cordon-any-hot-node.yaml': policy('cordon-any-hot-node', 'NodeHighCPU', '{{ labels.node }}', "{ cordon: { node: { address: '{{ labels.instance | host }}' } } }"),
      'rules/drain-node.yaml': policy('drain-node', 'DrainMe', '{{ labels.node }}', "{ drain: { node: '{{ labels.node }}', gracePeriod: 20s } }\n      timeout: 3s"),
      'rules/restart-any-pod.yaml': policy('restart-any-pod', 'PodNotReady', '{{ labels.namespace }}/{{ labels.pod }}', "{ deletePod: { namespace: '{{ labels.namespace }}', pod: '{{ labels.pod }}' } }"),
    }), kube);
  });
  afterAll(() => stop(s));

  it('refuses the control-plane node of the fixture even when the policy forgets to exclude it', async () => {
    await post(s, `${AM}/node-high-cpu-worker-and-control-plane.json`);
    const refused = await ended(s, 'cordon-any-hot-node', 'act', 'heal-control-plane');
    // The protected guard reads the node's labels from the API before deciding (the action's own check at run time stays behind it).
    expect(refused).toMatchObject({ verdict: 'refused', outcome: 'refused', guards: { refusedBy: 'protected' }, reason: 'protected: node heal-control-plane is a control-plane node (label node-role.kubernetes.io/control-plane); homeostat.yaml kubernetes.allowControlPlane is false' });
    expect((await ended(s, 'cordon-any-hot-node', 'act', 'heal-worker')).outcome).toBe('succeeded');
    expect(s.kube.api.store.get('nodes', null, 'heal-control-plane')!.spec.unschedulable).toBeUndefined();
    expect(s.kube.api.requests.filter((r) => r.method === 'PATCH').map((r) => r.path)).toEqual(['/api/v1/nodes/heal-worker']);
  });

  it('fails a drain that a PodDisruptionBudget blocks once its timeout has passed, deleting nothing', async () => {
    await post(s, payload([{ alertname: 'DrainMe', node: 'heal-worker2' }]));
    const entry = await ended(s, 'drain-node', 'act');
    expect(entry.outcome).toBe('failed');
    expect(entry.reason).toBe('drain of node heal-worker2 did not finish within 3s: 1 pod(s) could not be evicted: shop/cart-5f6d7c8b9-abcde (held by PodDisruptionBudget shop/cart: The disruption budget cart needs 1 healthy pods and has 1 currently). No pod was deleted instead; the node stays cordoned');
    expect(s.kube.api.deletions).toEqual([]);
    expect(s.kube.api.requests.filter((r) => r.method === 'DELETE')).toEqual([]);
    expect(s.kube.api.store.get('pods', 'shop', 'cart-5f6d7c8b9-abcde')!.metadata.deletionTimestamp).toBeUndefined();
  });

  it('refuses kube-system before any call', async () => {
    const before = s.kube.api.requests.length;
    await post(s, payload([{ alertname: 'PodNotReady', namespace: 'kube-system', pod: 'coredns-5d78c9869d-zzzzz', node: 'x' }]));
    const entry = await waitFor(async () => (await actions(s)).find((e) => e.policy === 'restart-any-pod'), 'the kube-system decision');
    expect(entry).toMatchObject({ verdict: 'refused', outcome: 'refused', reason: 'namespace kube-system is protected: homeostat.yaml lists no kubernetes.namespaces, so kube-system and kube-public are refused; list the namespaces actions may touch to allow it' });
    expect(s.kube.api.requests.length).toBe(before);
  });
});

describe('serve --dry-run', () => {
  let s: Served;
  beforeAll(async () => {
    s = await serve('homeostat-e2e-kube-dry-', bundled, await kubeFixture(), ['--dry-run']);
  });
  afterAll(() => stop(s));

  it('sends the same requests with dryRun=All: the API server checks them, nothing changes', async () => {
    const before = JSON.stringify(s.kube.api.store.list('nodes', null));
    await post(s, `${AM}/node-high-cpu-worker-and-control-plane.json`);
    const entry = await ended(s, 'cordon-hot-worker', 'cordon');
    expect(entry).toMatchObject({ verdict: 'dry-run', outcome: 'succeeded', execution: { dryRun: true, details: { dryRun: true, after: { unschedulable: true } } } });
    expect(s.kube.api.requests.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path}${r.query}`)).toEqual(['PATCH /api/v1/nodes/heal-worker?dryRun=All']);
    expect(JSON.stringify(s.kube.api.store.list('nodes', null))).toBe(before);
  });
});
