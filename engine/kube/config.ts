/**
 * Which cluster and credentials: `--kubeconfig FILE` when given, else the pod's service
 * account (in a cluster), else `$KUBECONFIG` (a list of files, merged as kubectl does), else
 * ~/.kube/config; `--kube-context` picks a context of the file. Loading is left to
 * @kubernetes/client-node, which knows every credential kind (tokens, client certificates,
 * exec plugins) and re-reads a rotated service-account token.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

export interface KubeConfigOptions {
  /** --kubeconfig (absolute, or relative to cwd). */
  kubeconfig: string | null;
  /** --kube-context. */
  context: string | null;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Prefixed to the service account's mount path (tests put one in a temporary directory). */
  root?: string;
}

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export class KubeConfigError extends Error {}

export interface LoadedKubeConfig {
  config: KubeConfig;
  /** Where it came from, for logs and errors: 'in-cluster', or the file. */
  source: string;
  server: string;
}

export function loadKubeConfig(options: KubeConfigOptions): LoadedKubeConfig {
  const config = new KubeConfig();
  const source = loadInto(config, options);
  if (options.context !== null) {
    if (!config.getContexts().some((c) => c.name === options.context)) {
      const known = config.getContexts().map((c) => c.name).join(', ') || 'none';
      throw new KubeConfigError(`--kube-context ${options.context}: no such context in ${source} (it has: ${known})`);
    }
    config.setCurrentContext(options.context);
  }
  const cluster = config.getCurrentCluster();
  if (!cluster) throw new KubeConfigError(`${source}: the current context names no cluster; give --kube-context`);
  return { config, source, server: cluster.server };
}

function loadInto(config: KubeConfig, { kubeconfig, env, cwd, root = '' }: KubeConfigOptions): string {
  const fromFile = (file: string, where: string): string => {
    const path = resolve(cwd, file);
    if (!existsSync(path)) throw new KubeConfigError(`${where}: no such kubeconfig file: ${path}`);
    try {
      const more = new KubeConfig();
      more.loadFromFile(path);
      if (config.getContexts().length === 0 && config.clusters.length === 0) config.loadFromFile(path);
      else config.mergeConfig(more, true);
    } catch (error) {
      throw new KubeConfigError(`${where}: cannot read kubeconfig ${path}: ${(error as Error).message.split('\n')[0]}`);
    }
    return path;
  };
  if (kubeconfig !== null) return fromFile(kubeconfig, '--kubeconfig');
  if (env.KUBERNETES_SERVICE_HOST && existsSync(`${root}${SERVICE_ACCOUNT_DIR}/token`)) {
    config.loadFromCluster(root);
    return 'in-cluster service account';
  }
  const list = (env.KUBECONFIG ?? '').split(delimiter).filter((f) => f !== '');
  if (list.length > 0) return list.map((f) => fromFile(f, '$KUBECONFIG')).join(delimiter);
  const home = join(env.HOME ?? homedir(), '.kube', 'config');
  if (existsSync(home)) return fromFile(home, '~/.kube/config');
  throw new KubeConfigError('no cluster to act on: not running in a cluster, and no --kubeconfig, $KUBECONFIG or ~/.kube/config; give --kubeconfig FILE (or HOMEOSTAT_KUBECONFIG)');
}
