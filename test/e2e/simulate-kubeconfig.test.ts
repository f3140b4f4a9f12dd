/**
 * `homeostat simulate --kubeconfig`: the bundled Kubernetes decisions sent to the Kubernetes
 * API test server as server-side dry runs (dryRun=All), with deploy/rbac.yaml enforced: what
 * the server says is printed, and nothing in the cluster changes.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeFixture } from '../helpers/kube.js';
import type { KubeFixture } from '../helpers/kube.js';
import { AM, BIN, NOW, ROOT } from './run-cli.js';

const run = promisify(execFile);
let f: KubeFixture;
beforeAll(async () => {
  f = await kubeFixture();
});
afterAll(() => f?.close());

/** The CLI, asynchronously: the API server answers from this process. */
async function simulate(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, 'simulate', '.', '--now', NOW, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('simulate --kubeconfig', () => {
  it('sends each kubernetes decision as a dry run, prints what the API server said, changes nothing', async () => {
    const before = JSON.stringify(['nodes', 'pods', 'deployments'].map((r) => f.api.store.list(r, null)));
    const r = await simulate('--kubeconfig', f.kubeconfig, '--alerts', `${AM}/node-high-cpu-worker-and-control-plane.json`, `${AM}/kube-pod-crashlooping-firing.json`);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    const lines = r.stdout.split('\n');
    // Each payload is decided at its own time: an `at` line heads its decisions.
    const cordon = lines.findIndex((line) => /^run +cordon-hot-worker\/cordon \(kubernetes\) target=heal-worker /.test(line));
    expect(lines.slice(0, cordon).filter((line) => line.startsWith('at '))).toHaveLength(1);
    expect(lines[cordon + 1]).toBe('                  cordon the node with address 172.18.0.3');
    expect(lines[cordon + 2]).toBe('                  cluster (dryRun=All): succeeded');
    expect(lines).toContain('                  cluster (dryRun=All): succeeded');
    const writes = f.api.requests.filter((q) => q.method !== 'GET');
    expect(writes.map((q) => `${q.method} ${q.path}${q.query}`)).toEqual([
      'PATCH /api/v1/nodes/heal-worker?dryRun=All',
      'PATCH /apis/apps/v1/namespaces/customer/deployments/customer-rs-transformer?dryRun=All',
    ]);
    expect(JSON.stringify(['nodes', 'pods', 'deployments'].map((res) => f.api.store.list(res, null)))).toBe(before);
  });

  it('reports in JSON what the cluster said for each kubernetes decision', async () => {
    const r = await simulate('--format', 'json', '--kubeconfig', f.kubeconfig, '--alerts', `${AM}/high-error-rate.json`);
    expect(r.code).toBe(0);
    const decisions = JSON.parse(r.stdout).decisions as Array<{ policy: string; cluster?: { outcome: string; reason: string | null } }>;
    expect(decisions.find((d) => d.policy === 'restart-erroring-deployment')!.cluster).toMatchObject({ outcome: 'succeeded', reason: null });
    const missing = await simulate('--format', 'json', '--kubeconfig', f.kubeconfig, '--alerts', `${AM}/pod-not-ready.json`);
    const deleted = (JSON.parse(missing.stdout).decisions as Array<{ policy: string; cluster?: { outcome: string; reason: string | null } }>).find((d) => d.policy === 'restart-unhealthy-pod')!;
    expect(deleted.cluster).toMatchObject({ outcome: 'succeeded' });
    expect(f.api.deletions).toEqual([]);
  });

  it('says which kubeconfig is missing, exit 2', async () => {
    const r = await simulate('--kubeconfig', 'no-such-file', '--alerts', `${AM}/high-error-rate.json`);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--kubeconfig: no such kubeconfig file: ${ROOT}/no-such-file`);
  });
});
