/**
 * engine/kube: the one place that talks to a Kubernetes API server, and the only importer of
 * @kubernetes/client-node. It owns where the cluster and credentials come from, how a request
 * is timed out, retried and reported, and which RBAC rules the requests need
 * (KUBE_PERMISSIONS). It must not know what the operations are for (engine/actions/kubernetes
 * decides that) and writes no audit, git or state itself.
 */
export { KubeClient, KubeSession } from './client.js';
export type { ApiCall, KubeClientOptions, KubeRequest, KubeResponse } from './client.js';
export { KubeConfigError, loadKubeConfig, SERVICE_ACCOUNT_DIR } from './config.js';
export type { KubeConfigOptions, LoadedKubeConfig } from './config.js';
export { KubeApiError } from './errors.js';
export type { ApiStatus } from './errors.js';
export { describeRule, isPermitted, KUBE_PERMISSIONS } from './permissions.js';
export type { Permission, Verb } from './permissions.js';
export type { V1Deployment, V1Node, V1Pod, V1PodList, V1NodeList, V1Scale } from '@kubernetes/client-node';
export { lazyKubeClient } from './lazy.js';
