/**
 * A Kubernetes API server for tests. It stands in for a cluster, since none can run here (no
 * container runtime, no kubelet): it follows the real API's semantics for the calls homeostat
 * and kubectl make for cordon, uncordon, drain, delete pod, rollout restart and scale —
 * discovery, GET and LIST (labelSelector; fieldSelector spec.nodeName, metadata.name,
 * metadata.namespace, status.phase), JSON merge and strategic merge patch (maps, null deletes,
 * lists replaced), update with a resourceVersion precondition (409 when stale), the scale
 * subresource (GET, PATCH, PUT), the Eviction subresource (429 under a PodDisruptionBudget
 * with disruptionsAllowed 0, the budget decremented otherwise), deletion with a grace period
 * (the pod stays, with its deletionTimestamp, until a simulated kubelet removes it),
 * dryRun=All (validated, nothing changed), Status objects for errors worded as the real API
 * words them, a bearer token, and an optional RBAC authorizer of ClusterRole rules.
 * Its fidelity is checked against the real kubectl (test/integration/kube-fidelity.test.ts).
 * Plain HTTP on 127.0.0.1, port 0. What it does not do: watch, create through POST of
 * collections, controllers (a deleted pod is not replaced, a restart rolls out nothing).
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { discovery } from './discovery.js';
import { mergePatch, PatchError } from './merge.js';
import type { PolicyRule } from './rbac.js';
import { allowed, forbiddenMessage } from './rbac.js';
import type { ResourceInfo } from './resources.js';
import { resourceInfo } from './resources.js';
import type { KubeObject } from './store.js';
import { Store } from './store.js';
import { fieldMatcher, labelMatcher, selectorMatches, SelectorError } from './selectors.js';

export interface SeedObject {
  resource: string;
  object: KubeObject;
}

export interface KubeApiOptions {
  objects: readonly SeedObject[];
  /** ClusterRole rules the requests are authorized against; absent: everything is allowed. */
  rbac?: readonly PolicyRule[];
  /** The user a 403 names. */
  user?: string;
  /**
   * Require a bearer token (default true). kubectl sends none over plain HTTP, so its server
   * in the fidelity test goes without.
   */
  requireToken?: boolean;
  /** Answers a request with this status (a Status body) instead of serving it: overload and outages on demand. */
  fault?: (method: string, path: string) => number | undefined;
  /** How long the simulated kubelet takes to remove a pod deleted with a grace period. */
  terminationDelayMs?: number;
}

export interface RequestRecord {
  method: string;
  path: string;
  query: string;
  contentType: string | null;
  status: number;
  at: number;
}

export interface Deletion {
  namespace: string;
  name: string;
  via: 'eviction' | 'delete';
  gracePeriodSeconds: number;
}

export interface KubeApi {
  url: string;
  token: string;
  store: Store;
  requests: RequestRecord[];
  deletions: Deletion[];
  /** Writes a kubeconfig for this server (context `test`) and returns its path. */
  writeKubeconfig(path: string): string;
  close(): Promise<void>;
}

class ApiError extends Error {
  constructor(readonly code: number, readonly reason: string, message: string, readonly details?: Record<string, unknown>) {
    super(message);
  }
}

const notFound = (info: ResourceInfo, name: string) => new ApiError(404, 'NotFound', `${info.resource}${info.group ? `.${info.group}` : ''} "${name}" not found`, { name, group: info.group || undefined, kind: info.resource });

export async function startKubeApi(options: KubeApiOptions): Promise<KubeApi> {
  const store = new Store();
  for (const seed of options.objects) store.create(seed.resource, seed.object);
  const token = randomBytes(16).toString('hex');
  const requests: RequestRecord[] = [];
  const deletions: Deletion[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const user = options.user ?? 'system:serviceaccount:homeostat:homeostat';
  const context = { store, deletions, timers, terminationDelayMs: options.terminationDelayMs ?? 50 };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const record: RequestRecord = { method: req.method ?? 'GET', path: url.pathname, query: url.search, contentType: req.headers['content-type'] ?? null, status: 0, at: Date.now() };
      requests.push(record);
      let status: number;
      let body: unknown;
      try {
        const failWith = options.fault?.(record.method, record.path);
        if (failWith !== undefined) throw new ApiError(failWith, failWith === 429 ? 'TooManyRequests' : 'InternalError', failWith === 429 ? 'the server has received too many requests and has asked us to try again later' : 'an error on the server ("injected by the test") has prevented the request from succeeding');
        if (options.requireToken !== false && req.headers.authorization !== `Bearer ${token}`) throw new ApiError(401, 'Unauthorized', 'Unauthorized');
        [status, body] = handle(req, url, Buffer.concat(chunks).toString('utf8'), context, options.rbac, user, `${req.headers.host}`);
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        status = error.code;
        body = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: error.message, reason: error.reason, ...(error.details ? { details: error.details } : {}), code: error.code };
      }
      record.status = status;
      send(res, status, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url, token, store, requests, deletions,
    writeKubeconfig(path: string) {
      writeFileSync(path, `apiVersion: v1
kind: Config
clusters:
  - name: test
    cluster: { server: '${url}', insecure-skip-tls-verify: true }  # plain HTTP: the client library asks for this to allow it
users:
  - name: homeostat
    user: ${options.requireToken === false ? '{}' : `{ token: '${token}' }`}
contexts:
  - name: test
    context: { cluster: test, user: homeostat }
current-context: test
`);
      return path;
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

interface Context {
  store: Store;
  deletions: Deletion[];
  timers: Set<NodeJS.Timeout>;
  terminationDelayMs: number;
}

interface Target {
  info: ResourceInfo;
  namespace: string | null;
  name: string | null;
  sub: string | null;
}

function parseTarget(path: string): Target | null {
  const m = /^\/(?:api\/(v1)|apis\/([a-z0-9.-]+)\/(v1))\/(.+)$/.exec(path);
  if (!m) return null;
  const group = m[2] ?? '';
  const version = m[1] ?? m[3]!;
  let parts = m[4]!.split('/').map(decodeURIComponent);
  let namespace: string | null = null;
  if (parts[0] === 'namespaces' && parts.length >= 3) {
    namespace = parts[1]!;
    parts = parts.slice(2);
  }
  const info = resourceInfo(group, version, parts[0]!);
  if (!info || parts.length > 3 || (info.namespaced === false && namespace !== null)) return null;
  return { info, namespace, name: parts[1] ?? null, sub: parts[2] ?? null };
}

function verbOf(method: string, target: Target, url: URL): string {
  if (method === 'GET') return target.name === null ? (url.searchParams.get('watch') === 'true' ? 'watch' : 'list') : 'get';
  return { POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: target.name === null ? 'deletecollection' : 'delete' }[method] ?? method.toLowerCase();
}

function handle(req: IncomingMessage, url: URL, text: string, c: Context, rules: readonly PolicyRule[] | undefined, user: string, host: string): [number, unknown] {
  const method = req.method ?? 'GET';
  if (method === 'GET') {
    const found = discovery(url.pathname, host);
    if (found !== undefined) return [200, found];
  }
  const target = parseTarget(url.pathname);
  if (!target) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  const verb = verbOf(method, target, url);
  const resource = target.sub ? `${target.info.resource}/${target.sub}` : target.info.resource;
  const attributes = { verb, apiGroup: target.info.group, resource, namespace: target.namespace, name: target.name };
  if (rules && !allowed(rules, attributes)) {
    throw new ApiError(403, 'Forbidden', forbiddenMessage(user, attributes), { ...(target.name ? { name: target.name } : {}), ...(target.info.group ? { group: target.info.group } : {}), kind: target.info.resource });
  }
  const dryRun = url.searchParams.getAll('dryRun');
  if (dryRun.some((v) => v !== 'All')) throw new ApiError(400, 'BadRequest', `dryRun: Unsupported value: "${dryRun.find((v) => v !== 'All')}": supported values: "All"`);
  const r: Request = { target, url, body: text === '' ? null : parseBody(text), contentType: (req.headers['content-type'] ?? '').split(';')[0]!.trim(), dryRun: dryRun.length > 0, c };
  if (verb === 'watch') throw new ApiError(405, 'MethodNotAllowed', 'watch is not supported by the Kubernetes API test server');
  if (verb === 'list') return [200, list(r)];
  if (target.sub === 'eviction' && target.info.resource === 'pods' && method === 'POST') return evict(r);
  if (target.sub === 'scale' && target.info.resource === 'deployments') return scaleSub(r, method);
  if (target.sub !== null) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  const name = target.name;
  if (name === null) throw new ApiError(405, 'MethodNotAllowed', `${method} of a collection is not supported by the Kubernetes API test server`);
  const current = c.store.get(target.info.resource, target.namespace, name);
  if (!current) throw notFound(target.info, name);
  if (method === 'GET') return [200, withKind(target.info, current)];
  if (method === 'PATCH') return [200, withKind(target.info, write(r, current, patched(r, current)))];
  if (method === 'PUT') return [200, withKind(target.info, write(r, current, replaced(r, current)))];
  if (method === 'DELETE') return [200, withKind(target.info, remove(r, current, 'delete', deleteOptions(r)))];
  throw new ApiError(405, 'MethodNotAllowed', `${method} is not supported by the Kubernetes API test server`);
}

interface Request {
  target: Target;
  url: URL;
  body: any;
  contentType: string;
  dryRun: boolean;
  c: Context;
}

function parseBody(text: string): any {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ApiError(400, 'BadRequest', `the body of the request was in an unknown format: ${(error as Error).message}`);
  }
}

function withKind(info: ResourceInfo, o: KubeObject): KubeObject {
  return { apiVersion: info.group ? `${info.group}/${info.version}` : info.version, kind: info.kind, ...o };
}

function list(r: Request): unknown {
  const { info } = r.target;
  let labels: (o: KubeObject) => boolean;
  let fields: (o: KubeObject) => boolean;
  try {
    labels = labelMatcher(r.url.searchParams.get('labelSelector') ?? '');
    fields = fieldMatcher(r.url.searchParams.get('fieldSelector') ?? '');
  } catch (error) {
    if (error instanceof SelectorError) throw new ApiError(400, 'BadRequest', error.message);
    throw error;
  }
  const items = r.c.store.list(info.resource, r.target.namespace).filter((o) => labels(o) && fields(o));
  return { kind: `${info.kind}List`, apiVersion: info.group ? `${info.group}/${info.version}` : info.version, metadata: { resourceVersion: r.c.store.resourceVersion }, items };
}

function conflict(info: ResourceInfo, name: string): ApiError {
  return new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${info.resource}${info.group ? `.${info.group}` : ''} "${name}": the object has been modified; please apply your changes to the latest version and try again`, { name, ...(info.group ? { group: info.group } : {}), kind: info.resource });
}

/** A write that names a resourceVersion must name the current one. */
function checkVersion(r: Request, current: KubeObject, asked: unknown): void {
  if (asked !== undefined && asked !== null && asked !== current.metadata.resourceVersion) throw conflict(r.target.info, current.metadata.name);
}

function patched(r: Request, current: KubeObject): KubeObject {
  const strategic = r.contentType === 'application/strategic-merge-patch+json';
  if (!strategic && r.contentType !== 'application/merge-patch+json') {
    throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/merge-patch+json, application/strategic-merge-patch+json (this test server supports no other)`);
  }
  if (r.body === null || typeof r.body !== 'object' || Array.isArray(r.body)) throw new ApiError(400, 'BadRequest', 'the patch is not a JSON object');
  checkVersion(r, current, r.body.metadata?.resourceVersion);
  try {
    return mergePatch(current as never, r.body, strategic) as KubeObject;
  } catch (error) {
    if (error instanceof PatchError) throw new ApiError(400, 'BadRequest', error.message);
    throw error;
  }
}

function replaced(r: Request, current: KubeObject): KubeObject {
  if (!r.body || typeof r.body !== 'object') throw new ApiError(400, 'BadRequest', 'the body is not an object');
  checkVersion(r, current, r.body.metadata?.resourceVersion);
  return { ...r.body, metadata: { ...r.body.metadata, uid: current.metadata.uid, creationTimestamp: current.metadata.creationTimestamp } };
}

/** Validates and stores (not in a dry run): what the API answers. */
function write(r: Request, current: KubeObject, next: KubeObject): KubeObject {
  const { info } = r.target;
  delete next.apiVersion;
  delete next.kind;
  if (next.metadata?.name !== current.metadata.name || (next.metadata?.namespace ?? null) !== (current.metadata.namespace ?? null)) {
    throw new ApiError(400, 'BadRequest', `the name of the object (${String(next.metadata?.name)}) does not match the name on the URL (${current.metadata.name})`);
  }
  next.metadata.resourceVersion = current.metadata.resourceVersion;
  const invalid = validate(info, next);
  if (invalid) {
    throw new ApiError(422, 'Invalid', `${info.kind}${info.group ? `.${info.group}` : ''} "${current.metadata.name}" is invalid: ${invalid}`, { name: current.metadata.name, kind: info.kind });
  }
  if (r.dryRun) return next;
  return r.c.store.replace(info.resource, next);
}

function validate(info: ResourceInfo, o: KubeObject): string | null {
  if (info.resource === 'nodes' && o.spec?.unschedulable !== undefined && typeof o.spec.unschedulable !== 'boolean') return 'spec.unschedulable: Invalid value: must be a boolean';
  if (info.resource === 'deployments') {
    const replicas = o.spec?.replicas;
    if (replicas !== undefined && (!Number.isInteger(replicas) || replicas < 0)) return `spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`;
  }
  const annotations = o.metadata?.annotations ?? {};
  if (Object.values(annotations).some((v) => typeof v !== 'string')) return 'metadata.annotations: Invalid value: values must be strings';
  return null;
}

function deleteOptions(r: Request): { gracePeriodSeconds?: number; preconditions?: { uid?: string; resourceVersion?: string } } {
  const body = r.body ?? {};
  const query = r.url.searchParams.get('gracePeriodSeconds');
  return { ...body, ...(query !== null ? { gracePeriodSeconds: Number(query) } : {}) };
}

function remove(r: Request, current: KubeObject, via: Deletion['via'], options: { gracePeriodSeconds?: number; preconditions?: { uid?: string; resourceVersion?: string } }): KubeObject {
  const { info } = r.target;
  const { store } = r.c;
  const name = current.metadata.name;
  const pre = options.preconditions ?? {};
  if (pre.uid !== undefined && pre.uid !== current.metadata.uid) {
    throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${info.resource} "${name}": Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`, { name, kind: info.resource });
  }
  if (pre.resourceVersion !== undefined && pre.resourceVersion !== current.metadata.resourceVersion) {
    throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${info.resource} "${name}": Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`, { name, kind: info.resource });
  }
  if (info.resource !== 'pods') {
    if (!r.dryRun) store.remove(info.resource, current.metadata.namespace ?? null, name);
    return current;
  }
  if (current.metadata.deletionTimestamp) return current; // already terminating
  const grace = options.gracePeriodSeconds ?? current.spec?.terminationGracePeriodSeconds ?? 30;
  if (!Number.isInteger(grace) || grace < 0) throw new ApiError(422, 'Invalid', `gracePeriodSeconds: Invalid value: ${grace}: must be >= 0`);
  const terminating = { ...current, metadata: { ...current.metadata, deletionTimestamp: new Date(Date.now() + grace * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'), deletionGracePeriodSeconds: grace } };
  if (r.dryRun) return terminating;
  const namespace = current.metadata.namespace;
  r.c.deletions.push({ namespace, name, via, gracePeriodSeconds: grace });
  if (grace === 0) {
    store.remove('pods', namespace, name);
    return terminating;
  }
  const stored = store.replace('pods', terminating);
  // The simulated kubelet: the containers stop, the pod object goes.
  const timer = setTimeout(() => {
    r.c.timers.delete(timer);
    if (store.get('pods', namespace, name)?.metadata.uid === current.metadata.uid) store.remove('pods', namespace, name);
  }, r.c.terminationDelayMs);
  r.c.timers.add(timer);
  return stored;
}

function evict(r: Request): [number, unknown] {
  const { store } = r.c;
  const { namespace, name, info } = { ...r.target, name: r.target.name! };
  const body = r.body ?? {};
  if (body.kind !== 'Eviction') throw new ApiError(400, 'BadRequest', `the body is a ${String(body.kind)}, not an Eviction`);
  if (body.metadata?.name !== name) throw new ApiError(400, 'BadRequest', `name in URL does not match name in Eviction object`);
  const pod = store.get('pods', namespace, name);
  if (!pod) throw notFound(info, name);
  const success: [number, unknown] = [201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 }];
  if (pod.metadata.deletionTimestamp) return [200, { ...(success[1] as object), code: 200 }];
  const terminal = ['Succeeded', 'Failed'].includes(pod.status?.phase);
  const budgets = terminal ? [] : store.list('poddisruptionbudgets', namespace).filter((b) => selectorMatches(b.spec?.selector, pod.metadata.labels ?? {}));
  if (budgets.length > 1) throw new ApiError(500, 'InternalError', 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
  const budget = budgets[0];
  if (budget) {
    const allowedNow = budget.status?.disruptionsAllowed ?? 0;
    if (allowedNow <= 0) {
      throw new ApiError(429, 'TooManyRequests', "Cannot evict pod as it would violate the pod's disruption budget.", {
        causes: [{ reason: 'DisruptionBudget', message: `The disruption budget ${budget.metadata.name} needs ${budget.status?.desiredHealthy ?? 0} healthy pods and has ${budget.status?.currentHealthy ?? 0} currently` }],
      });
    }
    if (!r.dryRun) store.replace('poddisruptionbudgets', { ...budget, status: { ...budget.status, disruptionsAllowed: allowedNow - 1 } });
  }
  remove(r, pod, 'eviction', body.deleteOptions ?? {});
  return success;
}

function toScale(d: KubeObject): KubeObject {
  const labels = d.spec?.selector?.matchLabels ?? {};
  return {
    kind: 'Scale', apiVersion: 'autoscaling/v1',
    metadata: { name: d.metadata.name, namespace: d.metadata.namespace, uid: d.metadata.uid, resourceVersion: d.metadata.resourceVersion, creationTimestamp: d.metadata.creationTimestamp },
    spec: { replicas: d.spec?.replicas ?? 1 },
    status: { replicas: d.status?.replicas ?? 0, selector: Object.entries(labels).map(([k, v]) => `${k}=${String(v)}`).join(',') },
  };
}

function scaleSub(r: Request, method: string): [number, unknown] {
  const { info, namespace } = r.target;
  const name = r.target.name!;
  const deployment = r.c.store.get('deployments', namespace, name);
  if (!deployment) throw notFound(info, name);
  const scale = toScale(deployment);
  if (method === 'GET') return [200, scale];
  let next: KubeObject;
  if (method === 'PATCH') next = patched(r, scale);
  else if (method === 'PUT') {
    if (!r.body || r.body.kind !== 'Scale') throw new ApiError(400, 'BadRequest', 'the body is not a Scale');
    checkVersion(r, scale, r.body.metadata?.resourceVersion);
    next = r.body;
  } else throw new ApiError(405, 'MethodNotAllowed', `${method} of deployments/scale is not supported`);
  const replicas = next.spec?.replicas;
  if (!Number.isInteger(replicas) || replicas < 0) {
    throw new ApiError(422, 'Invalid', `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`, { name, group: 'autoscaling', kind: 'Scale' });
  }
  const updated = write({ ...r, target: { ...r.target, sub: null } }, deployment, { ...deployment, spec: { ...deployment.spec, replicas } });
  return [200, toScale(updated)];
}
