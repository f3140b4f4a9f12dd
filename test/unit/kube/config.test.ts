/** Where the cluster comes from: --kubeconfig, the service account, $KUBECONFIG, ~/.kube/config; --kube-context. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KubeConfigError, loadKubeConfig, SERVICE_ACCOUNT_DIR } from '../../../engine/kube/index.js';

const dir = mkdtempSync(join(tmpdir(), 'homeostat-kubeconfig-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function kubeconfig(name: string, server: string, contexts: string[] = ['main']): string {
  const path = join(dir, name);
  writeFileSync(path, `apiVersion: v1
kind: Config
clusters: [${contexts.map((c, i) => `{ name: ${name}-c${i}, cluster: { server: '${server.replace('X', String(i))}' } }`).join(', ')}]
users: [{ name: ${name}-u, user: { token: t } }]
contexts: [${contexts.map((c, i) => `{ name: ${c}, context: { cluster: ${name}-c${i}, user: ${name}-u } }`).join(', ')}]
current-context: ${contexts[0]}
`);
  return path;
}

describe('loadKubeConfig', () => {
  const a = kubeconfig('a', 'https://a-X.example:6443', ['main', 'other']);
  const b = kubeconfig('b', 'https://b.example:6443', ['bee']);

  it('takes --kubeconfig first, and --kube-context picks a context', () => {
    expect(loadKubeConfig({ kubeconfig: a, context: null, env: { KUBECONFIG: b }, cwd: dir })).toMatchObject({ source: a, server: 'https://a-0.example:6443' });
    expect(loadKubeConfig({ kubeconfig: 'a', context: 'other', env: {}, cwd: dir }).server).toBe('https://a-1.example:6443');
    expect(() => loadKubeConfig({ kubeconfig: a, context: 'nope', env: {}, cwd: dir })).toThrow(`--kube-context nope: no such context in ${a} (it has: main, other)`);
    expect(() => loadKubeConfig({ kubeconfig: 'missing', context: null, env: {}, cwd: dir })).toThrow(`--kubeconfig: no such kubeconfig file: ${join(dir, 'missing')}`);
  });

  it('then the service account, then $KUBECONFIG (files merged), then ~/.kube/config', () => {
    const root = join(dir, 'root');
    mkdirSync(join(root, SERVICE_ACCOUNT_DIR), { recursive: true });
    writeFileSync(join(root, SERVICE_ACCOUNT_DIR, 'token'), 'sa-token');
    writeFileSync(join(root, SERVICE_ACCOUNT_DIR, 'ca.crt'), '');
    const saved = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT };
    process.env.KUBERNETES_SERVICE_HOST = '10.96.0.1';
    process.env.KUBERNETES_SERVICE_PORT = '443';
    try {
      expect(loadKubeConfig({ kubeconfig: null, context: null, env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBECONFIG: b }, cwd: dir, root })).toMatchObject({ source: 'in-cluster service account', server: 'https://10.96.0.1:443' });
    } finally {
      if (saved.host === undefined) delete process.env.KUBERNETES_SERVICE_HOST;
      else process.env.KUBERNETES_SERVICE_HOST = saved.host;
      if (saved.port === undefined) delete process.env.KUBERNETES_SERVICE_PORT;
      else process.env.KUBERNETES_SERVICE_PORT = saved.port;
    }
    const merged = loadKubeConfig({ kubeconfig: null, context: 'bee', env: { KUBECONFIG: `${a}:${b}` }, cwd: dir });
    expect(merged.server).toBe('https://b.example:6443');
    const home = join(dir, 'home');
    mkdirSync(join(home, '.kube'), { recursive: true });
    writeFileSync(join(home, '.kube', 'config'), '');
    rmSync(join(home, '.kube', 'config'));
    expect(() => loadKubeConfig({ kubeconfig: null, context: null, env: { HOME: home }, cwd: dir })).toThrow(KubeConfigError);
    expect(() => loadKubeConfig({ kubeconfig: null, context: null, env: { HOME: home }, cwd: dir })).toThrow(/no cluster to act on: .* give --kubeconfig FILE \(or HOMEOSTAT_KUBECONFIG\)/);
    writeFileSync(join(home, '.kube', 'config'), `apiVersion: v1\nkind: Config\nclusters: [{ name: h, cluster: { server: 'https://home.example' } }]\nusers: [{ name: u, user: {} }]\ncontexts: [{ name: h, context: { cluster: h, user: u } }]\ncurrent-context: h\n`);
    expect(loadKubeConfig({ kubeconfig: null, context: null, env: { HOME: home }, cwd: dir }).server).toBe('https://home.example');
  });
});
