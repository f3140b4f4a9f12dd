/**
 * engine/health: what the node guards need to know of the nodes before a decision — which
 * are healthy (homeostat.yaml minHealthy.source: the Kubernetes API, a PromQL expression, or
 * an inventory) and which the cluster protects (control-plane nodes, protected.selector) —
 * read here, with I/O, so that the guards in engine/plan/node-guards.ts stay pure and run the
 * same in `serve` and `simulate`. A reading is kept for minHealthy.cacheFor (10s by default),
 * failures too, so a storm or a source that is down costs one read per period, not one per
 * webhook. A source that cannot be read gives a reason, and the guard fails closed on it.
 * Owns no decision and writes nothing.
 */
import type { KubeClient } from '../kube/index.js';
import { KubeConfigError } from '../kube/index.js';
import type { V1Node } from '../kube/index.js';
import { PrometheusSource } from '../enrichment/prometheus.js';
import type { GuardFacts, NodeHealth, ProtectedNode, Reading } from '../plan/node-guards.js';
import type { PolicySet, PrometheusSettings } from '../policy/types.js';
import { healthFromNodes, listNodes, protectedFromNodes } from './kubernetes.js';
import { healthFromPrometheus } from './prometheus.js';
import { healthFromInventory } from './inventory.js';

/** The longest a read of the Kubernetes API may hold a decision. */
export const KUBE_READ_TIMEOUT_MS = 5_000;
/** The longest an inventory listing may take (an executable inventory runs). */
export const INVENTORY_READ_TIMEOUT_MS = 60_000;
/** How long protected nodes are kept when there is no minHealthy to say. */
const DEFAULT_CACHE_MS = 10_000;

export interface FactsSources {
  /**
   * The cluster: a client, or null when there is none to ask; throws KubeConfigError naming
   * the fix when a configuration is wanted and absent.
   */
  kube: (() => KubeClient) | null;
  /** The Prometheus of a set (its homeostat.yaml prometheus, the url of --prometheus-url), or null. */
  prometheus(set: PolicySet): PrometheusSettings | null;
  /** Said when a source is missing, for `serve` or `simulate`: what to configure. */
  missing: { kubernetes: string; prometheus: string; inventory: string };
  workRoot: string;
  secrets(): readonly string[];
  clock?: () => number;
  /** Told of each fresh reading that failed (not of the cached ones), for the engine's log. */
  onFailure?(what: 'health' | 'protected nodes', reason: string): void;
}

/** What a decision needs read. */
export interface FactsNeeds {
  /** A node-disruptive action may be decided and minHealthy is set. */
  health: boolean;
  /** An action that changes a system may be decided. */
  protection: boolean;
}

interface Cached {
  at: number;
  facts: Promise<GuardFacts>;
  needs: FactsNeeds;
}

export class GuardFactsReader {
  private readonly cache = new WeakMap<PolicySet, Cached>();
  private readonly clock: () => number;

  constructor(private readonly sources: FactsSources) {
    this.clock = sources.clock ?? Date.now;
  }

  /** The facts for deciding with `set`, whose files are at `root` (null: not on disk); the guard's own reasons when a source fails. */
  read(set: PolicySet, root: string | null, needs: FactsNeeds): Promise<GuardFacts> {
    if (!needs.health && !needs.protection) return Promise.resolve({});
    const now = this.clock();
    const ttl = set.settings.minHealthy?.cacheForMs ?? DEFAULT_CACHE_MS;
    const cached = this.cache.get(set);
    if (cached && now - cached.at < ttl && covers(cached.needs, needs)) return cached.facts;
    const wanted = { health: needs.health || (cached?.needs.health ?? false), protection: needs.protection || (cached?.needs.protection ?? false) };
    const facts = this.readNow(set, root, wanted);
    this.cache.set(set, { at: now, facts, needs: wanted });
    void facts.then((f) => {
      if (f.health && !f.health.ok) this.sources.onFailure?.('health', f.health.reason);
      if (f.protectedNodes && !f.protectedNodes.ok) this.sources.onFailure?.('protected nodes', f.protectedNodes.reason);
    });
    return facts;
  }

  private async readNow(set: PolicySet, root: string | null, needs: FactsNeeds): Promise<GuardFacts> {
    const settings = set.settings;
    const source = settings.minHealthy?.source;
    const wantsHealth = needs.health && settings.minHealthy !== null;
    const nodes = (wantsHealth && source?.kind === 'kubernetes') || needs.protection ? this.clusterNodes(wantsHealth && source?.kind === 'kubernetes') : null;
    const facts: GuardFacts = {};
    if (needs.protection) {
      const listed = await nodes!;
      if (listed !== null) facts.protectedNodes = mapReading(listed, (l) => protectedFromNodes(l.nodes, settings.protected, settings.kubernetes.allowControlPlane));
      else if (settings.protected.selector) facts.protectedNodes = { ok: false, reason: this.sources.missing.kubernetes };
    }
    if (wantsHealth) facts.health = await this.health(set, root, nodes);
    return facts;
  }

  /**
   * The nodes of the cluster, or null when there is no cluster to ask and none is required
   * (`required`: minHealthy reads it, so its absence is a reason to fail closed).
   */
  private async clusterNodes(required: boolean): Promise<Reading<{ nodes: V1Node[]; server: string }> | null> {
    let client: KubeClient;
    try {
      if (!this.sources.kube) return required ? { ok: false, reason: this.sources.missing.kubernetes } : null;
      client = this.sources.kube();
    } catch (error) {
      if (error instanceof KubeConfigError && !required) return null;
      return { ok: false, reason: `no cluster to read nodes from: ${(error as Error).message}` };
    }
    try {
      return { ok: true, value: { nodes: await listNodes(client, KUBE_READ_TIMEOUT_MS), server: client.server } };
    } catch (error) {
      return { ok: false, reason: `cannot list the nodes of the cluster: ${(error as Error).message}` };
    }
  }

  private async health(set: PolicySet, root: string | null, nodes: Promise<Reading<{ nodes: V1Node[]; server: string }> | null> | null): Promise<Reading<NodeHealth>> {
    const source = set.settings.minHealthy!.source;
    try {
      switch (source.kind) {
        case 'kubernetes': {
          const listed = (await nodes)!;
          return mapReading(listed, (l) => healthFromNodes(l.nodes, source.selector, l.server));
        }
        case 'prometheus': {
          const settings = this.sources.prometheus(set);
          if (!settings) return { ok: false, reason: this.sources.missing.prometheus };
          return { ok: true, value: await healthFromPrometheus(new PrometheusSource(settings), source.query, source.label) };
        }
        case 'inventory':
          if (root === null) return { ok: false, reason: this.sources.missing.inventory };
          return { ok: true, value: await healthFromInventory(source.path, source.group, { repoDir: root, workRoot: this.sources.workRoot, secrets: this.sources.secrets(), timeoutMs: INVENTORY_READ_TIMEOUT_MS }) };
      }
    } catch (error) {
      return { ok: false, reason: `cannot read node health: ${(error as Error).message}` };
    }
  }
}

function covers(had: FactsNeeds, needs: FactsNeeds): boolean {
  return (had.health || !needs.health) && (had.protection || !needs.protection);
}

function mapReading<T, U>(reading: Reading<T>, map: (value: T) => U): Reading<U> {
  return reading.ok ? { ok: true, value: map(reading.value) } : reading;
}

export type { ProtectedNode };
