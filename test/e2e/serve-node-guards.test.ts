/**
 * The built `homeostat serve` with homeostat.yaml's minHealthy and protected: ten worker nodes
 * and a control-plane node in the Kubernetes API test server, real ansible-playbook reboots
 * marked disruptsNode, four reboot alerts: three run, the fourth is refused by min-healthy
 * with its reason; the same with the health of a PromQL expression asked of a real Prometheus
 * (Debian `prometheus`) scraping ten tiny exporters; and protected targets refused by the
 * engine and shown refused by `simulate --kubeconfig`.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../engine/audit/entry.js';
import { writeRepo } from '../helpers/engine.js';
import { kubeFixture } from '../helpers/kube.js';
import type { KubeFixture } from '../helpers/kube.js';
import { freePort, requireCommand } from '../helpers/processes.js';
import type { Spawned } from '../helpers/processes.js';
import { startExporter, startPrometheus } from '../helpers/prometheus.js';
import type { Exporter, TestPrometheus } from '../helpers/prometheus.js';
import { serveReady } from '../helpers/serve.js';
import { waitFor } from '../helpers/wait.js';
import type { SeedObject } from '../kube-api/server.js';
import { BIN } from './run-cli.js';

const run = promisify(execFile);
const WORKERS = Array.from({ length: 10 }, (_, i) => `node-${i + 1}`);
const CONTROL_PLANE = 'cp-1';
const LOCAL = 'ansible_connection=local ansible_python_interpreter=/usr/bin/python3';

function node(name: string, ip: string, controlPlane = false): SeedObject {
  return {
    resource: 'nodes',
    object: {
      metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(controlPlane ? { 'node-role.kubernetes.io/control-plane': '' } : {}) } },
      spec: {},
      status: { addresses: [{ type: 'InternalIP', address: ip }, { type: 'Hostname', address: name }], conditions: [{ type: 'Ready', status: 'True' }] },
    },
  };
}

const cluster = (): SeedObject[] => [...WORKERS.map((n, i) => node(n, `10.0.0.${i + 1}`)), node(CONTROL_PLANE, '10.0.0.100', true)];

interface Served {
  root: string;
  engine: Spawned;
  url: string;
}

async function stop(s: Served | undefined): Promise<void> {
  if (!s) return;
  s.engine.child.kill('SIGTERM');
  expect((await s.engine.exited).code).toBe(0);
  rmSync(s.root, { recursive: true, force: true });
}

let sequence = 0;
/** One webhook payload per alert, each with its own fingerprint, as Alertmanager groups per node. */
async function post(s: Served, labels: Record<string, string>): Promise<void> {
  sequence++;
  const body = {
    version: '4', status: 'firing', receiver: 'heal', groupKey: `{}:{node="${sequence}"}`, truncatedAlerts: 0, groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: 'http://am:9093',
    alerts: [{ status: 'firing', labels, annotations: {}, startsAt: '2026-11-21T07:30:00Z', endsAt: '0001-01-01T00:00:00Z', generatorURL: '', fingerprint: sequence.toString(16).padStart(16, '0') }],
  };
  const response = await fetch(`${s.url}/api/v1/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(response.status).toBe(202);
}

async function actions(s: Served): Promise<AuditEntry[]> {
  return ((await (await fetch(`${s.url}/api/v1/actions?limit=500`)).json()) as { actions: AuditEntry[] }).actions;
}

async function refusals(s: Served, guard: string): Promise<number> {
  const text = await (await fetch(`${s.url}/metrics`)).text();
  // Counted by guard and policy: the guard's refusals over every policy.
  const lines = text.split('\n').filter((l) => l.startsWith(`homeostat_refusals_total{guard="${guard}",`));
  return lines.reduce((n, l) => n + Number(l.split(' ').pop()), 0);
}

/** The targets a refusal says hold the budget: each action queued, running, or decided within the window. */
function holders(list: string): string[] {
  return list.split(', ').map((h) => {
    const m = /^reboot-node(?:\/reboot)? on (\S+) \((?:queued|running|decided [^)]+)\)$/.exec(h);
    expect(m, h).not.toBeNull();
    return m![1]!;
  }).sort();
}

function ended(entries: AuditEntry[], target: string): AuditEntry | undefined {
  return entries.find((e) => e.target === target && e.outcome !== null && e.outcome !== undefined);
}

describe('minHealthy from the Kubernetes API, and protected nodes', () => {
  let kube: KubeFixture;
  let s: Served;
  const out = () => join(s.root, 'rebooted');
  beforeAll(async () => {
    requireCommand('ansible-playbook', 'ansible-core');
    kube = await kubeFixture({ objects: cluster() });
    const root = mkdtempSync(join(tmpdir(), 'homeostat-e2e-node-guards-'));
    writeRepo(join(root, 'repo'), {
      'homeostat.yaml': `apiVersion: homeostat/v1
kind: Settings
spec:
  minHealthy:
    nodes: 70%
    source: { kubernetes: { selector: '!node-role.kubernetes.io/control-plane' } }
  protected:
    targets: ['db-*']
`,
      'inventory/hosts.ini': [...WORKERS, CONTROL_PLANE, 'db-1'].map((h) => `${h} ${LOCAL}`).join('\n') + '\n',
      'playbooks/reboot.yml': `- hosts: all
  gather_facts: false
  tasks:
    - ansible.builtin.copy: { dest: "{{ out_dir }}/{{ inventory_hostname }}", content: rebooted, mode: '0600' }
`,
      'rules/reboot-node.yaml': `apiVersion: homeostat/v1
kind: Policy
metadata: { name: reboot-node }
spec:
  match: { alertname: NodeHung }
  target: '{{ labels.node }}'
  actions:
    - name: reboot
      disruptsNode: true
      ansible: { playbook: playbooks/reboot.yml, inventory: inventory/hosts.ini, limit: '{{ target }}', extraVars: { out_dir: '${join(root, 'rebooted')}' } }
  guards: { cooldown: 0s }
`,
    });
    mkdirSync(join(root, 'rebooted'));
    const port = await freePort();
    const { engine, url } = await serveReady(port, ['--policies', join(root, 'repo'), '--data-dir', join(root, 'data'), '--kubeconfig', kube.kubeconfig], {}, root);
    s = { root, engine, url };
  }, 60_000);
  afterAll(async () => {
    await stop(s);
    await kube?.close();
  });

  it('runs three reboots of ten nodes at 70%, and refuses the fourth saying why', async () => {
    for (const n of ['node-1', 'node-2', 'node-3', 'node-4']) await post(s, { alertname: 'NodeHung', node: n });
    const entries = await waitFor(async () => {
      const all = await actions(s);
      return ['node-1', 'node-2', 'node-3', 'node-4'].every((n) => ended(all, n)) ? all : undefined;
    }, 'the four decisions to end', 120_000);
    expect(['node-1', 'node-2', 'node-3'].map((n) => ended(entries, n)!.outcome)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(readdirSync(out()).sort()).toEqual(['node-1', 'node-2', 'node-3']);
    const fourth = ended(entries, 'node-4')!;
    expect(fourth).toMatchObject({ verdict: 'refused', outcome: 'refused', guards: { refusedBy: 'min-healthy' } });
    const [said, held] = fourth.reason!.split('; the budget is held by ');
    expect(said).toMatch(/^min-healthy: 10 of 10 nodes healthy \(the Kubernetes API at http:\/\/127\.0\.0\.1:\d+: Ready and schedulable, nodes of '!node-role\.kubernetes\.io\/control-plane'\), 7 must stay healthy \(minHealthy 70%\); with reboot-node on node-4 only 6 would stay healthy$/);
    expect(holders(held!)).toEqual(['node-1', 'node-2', 'node-3']);
    expect(await refusals(s, 'min-healthy')).toBe(1);
    // The nodes were listed through the API, at most once per cacheFor (10s).
    expect(kube.api.requests.filter((r) => r.method === 'GET' && r.path === '/api/v1/nodes').length).toBeGreaterThanOrEqual(1);
  }, 150_000);

  it('refuses a control-plane node read from the API and a protected pattern, before anything runs', async () => {
    await post(s, { alertname: 'NodeHung', node: CONTROL_PLANE });
    await post(s, { alertname: 'NodeHung', node: 'db-1' });
    const entries = await waitFor(async () => {
      const all = await actions(s);
      return ended(all, CONTROL_PLANE) && ended(all, 'db-1') ? all : undefined;
    }, 'the protected decisions');
    expect(ended(entries, CONTROL_PLANE)).toMatchObject({ verdict: 'refused', outcome: 'refused', guards: { refusedBy: 'protected' }, reason: 'protected: node cp-1 is a control-plane node (label node-role.kubernetes.io/control-plane); homeostat.yaml kubernetes.allowControlPlane is false' });
    expect(ended(entries, 'db-1')).toMatchObject({ verdict: 'refused', guards: { refusedBy: 'protected' }, reason: "protected: db-1 matches protected target 'db-*' of homeostat.yaml" });
    expect(existsSync(join(out(), CONTROL_PLANE))).toBe(false);
    expect(existsSync(join(out(), 'db-1'))).toBe(false);
    expect(await refusals(s, 'protected')).toBe(2);
  });

  it('simulate --kubeconfig shows the same refusals; without it, says it has no cluster to read', async () => {
    const alerts = join(s.root, 'alerts.json');
    writeFileSync(alerts, JSON.stringify({
      version: '4', status: 'firing', receiver: 'heal', groupKey: '{}:{}', truncatedAlerts: 0, groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: 'http://am:9093',
      alerts: [CONTROL_PLANE, 'node-5'].map((n, i) => ({ status: 'firing', labels: { alertname: 'NodeHung', node: n }, annotations: {}, startsAt: '2026-11-21T07:30:00Z', endsAt: '0001-01-01T00:00:00Z', generatorURL: '', fingerprint: `${i}`.padStart(16, 'a') })),
    }));
    const simulate = async (...args: string[]) => JSON.parse((await run(process.execPath, [BIN, 'simulate', join(s.root, 'repo'), '--format', 'json', '--alerts', alerts, ...args], { cwd: s.root })).stdout) as { decisions: { target: string; verdict: string; refusedBy: string | null; reason: string | null }[] };
    const withCluster = await simulate('--kubeconfig', kube.kubeconfig);
    expect(withCluster.decisions.map((d) => [d.target, d.verdict, d.refusedBy, d.reason])).toEqual([
      [CONTROL_PLANE, 'refused', 'protected', 'protected: node cp-1 is a control-plane node (label node-role.kubernetes.io/control-plane); homeostat.yaml kubernetes.allowControlPlane is false'],
      ['node-5', 'run', null, null],
    ]);
    const without = await simulate();
    expect(without.decisions.map((d) => [d.target, d.verdict, d.refusedBy, d.reason])).toEqual([
      [CONTROL_PLANE, 'refused', 'min-healthy', 'min-healthy: simulate reads the nodes of a cluster only with --kubeconfig; node-disruptive actions are refused until it can be read (fails closed)'],
      ['node-5', 'refused', 'min-healthy', 'min-healthy: simulate reads the nodes of a cluster only with --kubeconfig; node-disruptive actions are refused until it can be read (fails closed)'],
    ]);
  }, 60_000);
});

describe('minHealthy from a PromQL expression against a real Prometheus', () => {
  let exporters: Exporter[] = [];
  let prometheus: TestPrometheus;
  let s: Served;
  beforeAll(async () => {
    exporters = await Promise.all(WORKERS.map(() => startExporter()));
    for (const e of exporters) e.set('node_boot_time_seconds', 1);
    prometheus = await startPrometheus(exporters.map((e) => e.instance));
    await prometheus.untilValue('count(up{job="node"} == 1)', 10);
    const root = mkdtempSync(join(tmpdir(), 'homeostat-e2e-node-guards-prom-'));
    writeRepo(join(root, 'repo'), {
      'homeostat.yaml': `apiVersion: homeostat/v1
kind: Settings
spec:
  minHealthy:
    nodes: 70%
    source: { prometheus: { query: 'up{job="node"}' } }
    cacheFor: 1s
`,
      'scripts/reboot.sh': '#!/bin/sh\nprintf \'%s\\n\' "$1" >> "$OUT"\n',
      'rules/reboot-node.yaml': `apiVersion: homeostat/v1
kind: Policy
metadata: { name: reboot-node }
spec:
  match: { alertname: NodeHung }
  target: '{{ labels.instance }}'
  actions:
    - name: reboot
      disruptsNode: true
      script: { path: scripts/reboot.sh, args: ['{{ target }}'], env: { OUT: '${join(root, 'rebooted.txt')}' } }
  guards: { cooldown: 0s }
`,
    });
    const port = await freePort();
    const { engine, url } = await serveReady(port, ['--policies', join(root, 'repo'), '--data-dir', join(root, 'data'), '--prometheus-url', prometheus.url], {}, root);
    s = { root, engine, url };
  }, 90_000);
  afterAll(async () => {
    await stop(s);
    await prometheus?.stop();
    await Promise.all(exporters.map((e) => e.close()));
  });

  it('runs three reboots of the ten nodes up answers for, and refuses the fourth saying why', async () => {
    const targets = exporters.slice(0, 4).map((e) => e.instance);
    for (const instance of targets) await post(s, { alertname: 'NodeHung', instance });
    const entries = await waitFor(async () => {
      const all = await actions(s);
      return targets.every((t) => ended(all, t)) ? all : undefined;
    }, 'the four decisions to end', 60_000);
    expect(targets.slice(0, 3).map((t) => ended(entries, t)!.outcome)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    const fourth = ended(entries, targets[3]!)!;
    expect(fourth).toMatchObject({ verdict: 'refused', guards: { refusedBy: 'min-healthy' } });
    const [said, held] = fourth.reason!.split('; the budget is held by ');
    expect(said).toBe(`min-healthy: 10 of 10 nodes healthy (Prometheus query up{job="node"}), 7 must stay healthy (minHealthy 70%); with reboot-node on ${targets[3]} only 6 would stay healthy`);
    expect(holders(held!)).toEqual(targets.slice(0, 3).sort());
    expect(readFileSync(join(s.root, 'rebooted.txt'), 'utf8').split('\n').filter(Boolean).sort()).toEqual(targets.slice(0, 3).sort());
    expect(await refusals(s, 'min-healthy')).toBe(1);
  }, 90_000);

  it('fails closed, saying so, once Prometheus cannot be read', async () => {
    await prometheus.stop();
    // The reading of the first test is kept for cacheFor (1s): the refusal comes once it has passed.
    const instance = exporters[5]!.instance;
    let n = 0;
    const refused = await waitFor(async () => {
      await post(s, { alertname: 'NodeHung', instance, attempt: String(n++) });
      return (await actions(s)).find((e) => e.target === instance && e.reason?.includes('cannot read node health'));
    }, 'a refusal for want of Prometheus', 30_000);
    expect(refused).toMatchObject({ verdict: 'refused', guards: { refusedBy: 'min-healthy' } });
    expect(refused.reason).toMatch(/^min-healthy: cannot read node health: Prometheus .*; node-disruptive actions are refused until it can be read \(fails closed\)$/);
    // and the operator reads it in the engine's log, once per reading rather than per alert
    const logged = s.engine.output().split('\n').filter((l) => l.includes('"msg":"node guard reading failed"'));
    expect(logged.length).toBeGreaterThanOrEqual(1);
    expect(logged[0]).toContain('"what":"health"');
  }, 60_000);
});
