/**
 * The engine's client, made at the first kubernetes action: an engine whose policies never
 * act on a cluster needs no kubeconfig. A configuration that cannot be loaded is tried again
 * at the next action (a service-account token mounted late), and its error names the fix.
 */
import { KubeClient } from './client.js';
import type { KubeClientOptions } from './client.js';
import { loadKubeConfig } from './config.js';
import type { KubeConfigOptions } from './config.js';

export function lazyKubeClient(config: KubeConfigOptions, options: KubeClientOptions = {}): () => KubeClient {
  let client: KubeClient | null = null;
  return () => (client ??= new KubeClient(loadKubeConfig(config), options));
}
