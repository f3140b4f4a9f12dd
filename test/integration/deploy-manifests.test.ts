/**
 * deploy/: rendered by the real `kubectl kustomize`, its Deployment's flags and environment
 * checked against the built CLI's own `serve --help`, its pod locked down, its Secret holding
 * placeholders only.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as models from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { BIN, ROOT } from '../e2e/run-cli.js';
import { requireCommand } from '../helpers/processes.js';

const DEPLOY = join(ROOT, 'deploy');

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [key: string]: unknown;
}

function rendered(): K8sObject[] {
  const kubectl = requireCommand('kubectl', 'kubectl');
  const result = spawnSync(kubectl, ['kustomize', DEPLOY], { encoding: 'utf8' });
  if (result.status !== 0) {
    const missing = /rbac\.yaml/.test(result.stderr) ? ' (deploy/rbac.yaml, the ServiceAccount and ClusterRole, comes with the Kubernetes actions: merge that work first)' : '';
    throw new Error(`kubectl kustomize deploy/ failed${missing}: ${result.stderr}`);
  }
  return parseAllDocuments(result.stdout).map((d) => d.toJS() as K8sObject);
}

function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in the rendered deploy/: ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found;
}

/** The flags `homeostat serve --help` lists, from the built CLI. */
function serveFlags(): Set<string> {
  const help = execFileSync(process.execPath, [BIN, 'serve', '--help'], { encoding: 'utf8' });
  return new Set([...help.matchAll(/^\s+(--[a-z][a-z-]*)/gm)].map((m) => m[1]!));
}

interface Attribute {
  baseName: string;
  type: string;
}
type Model = { getAttributeTypeMap(): Attribute[] };

/**
 * Fields no Kubernetes type of this version has (a typo such as readOnlyRootFileSystem is
 * dropped by the API server without a word), by the client library's generated models.
 */
function unknownFields(value: unknown, type: string, path: string): string[] {
  if (type.startsWith('Array<')) return Array.isArray(value) ? value.flatMap((v, i) => unknownFields(v, type.slice(6, -1), `${path}[${i}]`)) : [`${path}: not a list`];
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) return Object.entries(value as object).flatMap(([k, v]) => unknownFields(v, map[1]!, `${path}.${k}`));
  const model = (models as unknown as Record<string, Model | undefined>)[type];
  if (!model?.getAttributeTypeMap) return [];
  if (typeof value !== 'object' || value === null) return [`${path}: not an object (${type})`];
  const attributes = model.getAttributeTypeMap();
  return Object.entries(value).flatMap(([key, v]) => {
    const attribute = attributes.find((a) => a.baseName === key);
    return attribute ? unknownFields(v, attribute.type, `${path}.${key}`) : [`${path}.${key}: no such field in ${type}`];
  });
}

const objects = rendered();
const deployment = find(objects, 'Deployment', 'homeostat') as K8sObject & { spec: any };
const pod = deployment.spec.template.spec;
const container = pod.containers[0];

describe('deploy/ rendered by kubectl kustomize', () => {
  it('holds the namespace, the ServiceAccount the pod runs as, the RBAC, the Secret, the PVC, the Deployment and the Service, all in namespace homeostat', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(
      expect.arrayContaining(['ClusterRole/homeostat', 'ClusterRoleBinding/homeostat', 'Deployment/homeostat', 'Namespace/homeostat', 'PersistentVolumeClaim/homeostat-data', 'Secret/homeostat-tokens', 'Service/homeostat', 'ServiceAccount/homeostat']),
    );
    for (const o of objects.filter((o) => !['Namespace', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind))) expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe('homeostat');
    expect(pod.serviceAccountName).toBe('homeostat');
    const binding = find(objects, 'ClusterRoleBinding', 'homeostat') as K8sObject & { subjects: { kind: string; name: string; namespace: string }[] };
    expect(binding.subjects).toContainEqual({ kind: 'ServiceAccount', name: 'homeostat', namespace: 'homeostat' });
  });

  it('uses only fields the Kubernetes types have', () => {
    expect(unknownFields({ spec: { template: { spec: { securityContext: { readOnlyRootFileSystem: true } } } } }, 'V1Deployment', 'Deployment')).toEqual([
      'Deployment.spec.template.spec.securityContext.readOnlyRootFileSystem: no such field in V1PodSecurityContext',
    ]);
    const problems = objects.flatMap((o) => unknownFields(o, `V1${o.kind}`, `${o.kind}/${o.metadata.name}`));
    expect(problems).toEqual([]);
    for (const o of objects) expect(models, o.kind).toHaveProperty(`V1${o.kind}`);
  });

  it('runs one engine on its volume at a time', () => {
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.strategy.type).toBe('Recreate');
    const data = pod.volumes.find((v: any) => v.name === 'data');
    expect(data.persistentVolumeClaim.claimName).toBe('homeostat-data');
    find(objects, 'PersistentVolumeClaim', 'homeostat-data');
    expect(container.args.join(' ')).toContain(`--data-dir ${container.volumeMounts.find((m: any) => m.name === 'data').mountPath}`);
  });

  it('locks the pod down: non-root, read-only root, no privilege escalation, no capabilities, RuntimeDefault seccomp, limits', () => {
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    expect(container.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, privileged: false, capabilities: { drop: ['ALL'] } });
    expect(Object.keys(container.resources.requests).sort()).toEqual(['cpu', 'memory']);
    expect(Object.keys(container.resources.limits).sort()).toEqual(['cpu', 'memory']);
    // The root is read-only: /tmp (HOME for git, ssh and ansible) is an emptyDir.
    expect(container.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
    expect(pod.volumes.find((v: any) => v.name === 'tmp').emptyDir).toBeDefined();
  });

  it('probes /healthz for liveness and /readyz for readiness on the port the Service targets', () => {
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    const service = find(objects, 'Service', 'homeostat') as K8sObject & { spec: any };
    expect(container.ports).toContainEqual({ name: 'http', containerPort: 9595, protocol: 'TCP' });
    expect(service.spec.ports[0]).toMatchObject({ port: 9595, targetPort: 'http' });
    for (const [key, value] of Object.entries(service.spec.selector)) expect(deployment.spec.template.metadata.labels[key]).toBe(value);
  });

  it('gives only flags and HOMEOSTAT_* variables that `homeostat serve --help` knows, a git URL for the policies, and a webhook token beyond loopback', () => {
    const flags = serveFlags();
    const given = container.args.filter((a: string) => a.startsWith('--'));
    expect(given.filter((f: string) => !flags.has(f))).toEqual([]);
    const env = Object.fromEntries(container.env.map((e: { name: string; value: string }) => [e.name, e.value]));
    const settings = Object.keys(env).filter((name) => name.startsWith('HOMEOSTAT_'));
    // HOMEOSTAT_X_Y is --x-y; the token variables also have a *_FILE form (docs/serve.md).
    const unknown = settings.filter((name) => !flags.has(`--${name.slice('HOMEOSTAT_'.length).toLowerCase().replace(/_/g, '-')}`));
    expect(unknown).toEqual([]);
    expect(env.HOMEOSTAT_POLICIES).toMatch(/^(https|ssh):\/\/.+\.git$/);
    expect(container.args.join(' ')).toContain('--listen 0.0.0.0:9595');
    // The engine refuses to listen beyond loopback without a token: the file comes from the Secret.
    const tokens = container.volumeMounts.find((m: any) => m.name === 'tokens').mountPath;
    expect(env.HOMEOSTAT_WEBHOOK_TOKEN_FILE).toBe(`${tokens}/webhook-token`);
    expect(env.HOMEOSTAT_ADMIN_TOKEN_FILE).toBe(`${tokens}/admin-token`);
    expect(pod.volumes.find((v: any) => v.name === 'tokens').secret.secretName).toBe('homeostat-tokens');
  });

  it('ships placeholders in the Secret, never a token', () => {
    const secret = find(objects, 'Secret', 'homeostat-tokens') as K8sObject & { stringData: Record<string, string> };
    expect(Object.keys(secret.stringData).sort()).toEqual(['admin-token', 'webhook-token']);
    for (const value of Object.values(secret.stringData)) expect(value).toMatch(/^REPLACE-ME-/);
  });

  it('names in kustomization.yaml exactly the files of deploy/ it renders, the operator objects apart', () => {
    const kustomization = parseAllDocuments(readFileSync(join(DEPLOY, 'kustomization.yaml'), 'utf8'))[0]!.toJS() as { resources: string[]; namespace: string };
    expect(kustomization.namespace).toBe('homeostat');
    expect(kustomization.resources).toEqual(['namespace.yaml', 'rbac.yaml', 'secret.example.yaml', 'pvc.yaml', 'deployment.yaml', 'service.yaml']);
  });
});
