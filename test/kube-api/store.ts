/**
 * The objects of the test cluster. resourceVersion is one counter for the whole store, as
 * etcd's revision is: every write that changes an object gives it the next value; a write
 * that changes nothing keeps it. uids are derived from the object's key, so that two servers
 * seeded alike hold the same uids (the fidelity test compares them).
 */
import { createHash } from 'node:crypto';

export type KubeObject = { apiVersion?: string; kind?: string; metadata: Record<string, any>; spec?: any; status?: any; [key: string]: any };

export function keyOf(resource: string, namespace: string | null, name: string): string {
  return `${resource}/${namespace ?? ''}/${name}`;
}

export class Store {
  private readonly objects = new Map<string, KubeObject>();
  private revision = 100;

  constructor(private readonly clock: () => number = Date.now) {}

  get(resource: string, namespace: string | null, name: string): KubeObject | undefined {
    const o = this.objects.get(keyOf(resource, namespace, name));
    return o ? structuredClone(o) : undefined;
  }

  list(resource: string, namespace: string | null): KubeObject[] {
    const prefix = `${resource}/`;
    return [...this.objects.entries()]
      .filter(([key, o]) => key.startsWith(prefix) && (namespace === null || o.metadata.namespace === namespace))
      .map(([, o]) => structuredClone(o))
      .sort((a, b) => `${a.metadata.namespace ?? ''}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace ?? ''}/${b.metadata.name}`));
  }

  get resourceVersion(): string {
    return String(this.revision);
  }

  /** A new object: uid, creationTimestamp and resourceVersion set as the API sets them. */
  create(resource: string, object: KubeObject): KubeObject {
    const namespace = object.metadata.namespace ?? null;
    const key = keyOf(resource, namespace, object.metadata.name);
    const uid = createHash('sha256').update(key).digest('hex');
    const stored: KubeObject = {
      ...structuredClone(object),
      metadata: {
        ...object.metadata,
        uid: `${uid.slice(0, 8)}-${uid.slice(8, 12)}-${uid.slice(12, 16)}-${uid.slice(16, 20)}-${uid.slice(20, 32)}`,
        creationTimestamp: new Date(this.clock()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        resourceVersion: String(++this.revision),
        ...(object.spec !== undefined && ['deployments', 'daemonsets', 'replicasets', 'poddisruptionbudgets'].includes(resource) ? { generation: 1 } : {}),
      },
    };
    this.objects.set(key, stored);
    return structuredClone(stored);
  }

  /** Stores `next` if it differs from what is stored; returns what is stored then. */
  replace(resource: string, next: KubeObject): KubeObject {
    const key = keyOf(resource, next.metadata.namespace ?? null, next.metadata.name);
    const current = this.objects.get(key);
    if (!current) throw new Error(`bug: replace of a missing ${key}`);
    const comparable = (o: KubeObject) => JSON.stringify({ ...o, metadata: { ...o.metadata, resourceVersion: undefined, generation: undefined } });
    if (comparable(current) === comparable(next)) return structuredClone(current);
    const specChanged = JSON.stringify(current.spec) !== JSON.stringify(next.spec);
    const stored = structuredClone(next);
    stored.metadata.resourceVersion = String(++this.revision);
    if (current.metadata.generation !== undefined) stored.metadata.generation = current.metadata.generation + (specChanged ? 1 : 0);
    this.objects.set(key, stored);
    return structuredClone(stored);
  }

  remove(resource: string, namespace: string | null, name: string): boolean {
    ++this.revision;
    return this.objects.delete(keyOf(resource, namespace, name));
  }
}
