import type { KubernetesSettings } from '../actions/types.js';
import type { CompiledTemplate } from '../template/template.js';
import type { RuleProperties } from 'json-rules-engine';
import type { Matcher } from '../generated/schema-types.js';
import type { CompiledEnrichment } from './enrichment.js';
import type { LabelSelector } from './label-selector.js';
import type { TargetPattern } from './target-pattern.js';
import type { ConditionTest } from './conditions.js';

export type AlertStatus = 'firing' | 'resolved';

/** A label matcher compiled to a predicate; an absent label reads as ''. */
export type LabelPredicate = (value: string) => boolean;

export interface CompiledAction {
  name: string;
  type: string;
  /** Parameters as written, for templates, secrets and audit. */
  raw: Record<string, unknown>;
  /** Every template string of the parameters, by its place in `raw` (a JSON pointer). */
  templates: ReadonlyMap<string, CompiledTemplate>;
  timeoutMs: number;
  dryRun: boolean;
  /** It takes its node out of service (disruptsNode, or a kubernetes cordon or drain): minHealthy counts it. */
  disruptsNode: boolean;
  /** Run after this action ends, when its outcome is one of theirs (`on`). */
  notify: readonly CompiledNotify[];
}

/** The outcomes of its parent a notify action runs after. */
export type NotifyOn = 'succeeded' | 'failed' | 'timed_out' | 'refused' | 'awaiting-approval';

export interface CompiledNotify extends CompiledAction {
  on: readonly NotifyOn[];
}

export interface ResolvedGuards {
  cooldownMs: number;
  rateLimit: { max: number; perMs: number } | null;
  concurrency: number;
  approval: { required: boolean; ttlMs: number };
  window: { days: readonly string[]; between: [number, number]; timezone: string } | null;
}

export interface CompiledPolicy {
  name: string;
  priority: number;
  on: 'firing' | 'resolved' | 'any';
  /** Where it was written, for explain and errors. */
  source: { file: string; line: number };
  /** Alert statuses that lead to any action: `on`, plus resolved when onResolved is set. */
  statuses: readonly AlertStatus[];
  /** The `match` block as written: what `ruleOf` builds the whole rule from. */
  match: Readonly<Record<string, Matcher>>;
  /** Label name → predicate, all must hold: the index's exact pre-filter. */
  matchers: ReadonlyArray<readonly [string, LabelPredicate]>;
  /**
   * The `when` part alone as a json-rules-engine rule, or null without one. The pre-filter
   * decides status and match exactly, so evaluation runs json-rules-engine only for this part;
   * `ruleOf` gives the whole rule (status + match + when) that `explain` runs.
   */
  whenRule: RuleProperties | null;
  /**
   * The same `when` compiled to a synchronous function (conditions.ts), which decides alerts;
   * null without a `when`, or when it could not be compiled alike (whenRule decides then).
   */
  whenTest: ConditionTest | null;
  /**
   * Its Prometheus queries: the `enrich:` entries, then the `prometheus` conditions' own
   * queries (name null); asked for each alert that passes `match`, before `when`.
   */
  enrich: readonly CompiledEnrichment[];
  target: CompiledTemplate | null;
  actions: readonly CompiledAction[];
  onResolved: readonly CompiledAction[];
  guards: ResolvedGuards;
  dryRun: boolean;
}

export interface ResolvedSettings {
  paused: boolean;
  dryRun: boolean;
  blastRadius: { max: number; perMs: number };
  /** homeostat.yaml's stormBreaker, or null when it has none. */
  stormBreaker: StormBreakerSettings | null;
  maintenanceWindows: ReadonlyArray<{ start: number; end: number; reason: string }>;
  /** Where enrichment queries go (homeostat.yaml's prometheus), or null. */
  prometheus: PrometheusSettings | null;
  outbound: OutboundSettings;
  kubernetes: KubernetesSettings;
  /** homeostat.yaml minHealthy, or null: no node-health budget. */
  minHealthy: MinHealthySettings | null;
  /** homeostat.yaml protected: targets no action that changes a system may touch. */
  protected: ProtectedSettings;
}

/** Where minHealthy reads which nodes are healthy. */
export type HealthSourceSettings =
  | { kind: 'kubernetes'; selector: LabelSelector | null }
  | { kind: 'prometheus'; query: string; label: string }
  | { kind: 'inventory'; path: string; group: string | null };

export interface MinHealthySettings {
  /** As written: 7 or '70%'. */
  written: string;
  /** A count of nodes, or a percentage of those the source counts (rounded up). */
  nodes: { count: number } | { percent: number };
  source: HealthSourceSettings;
  windowMs: number;
  cacheForMs: number;
}

export interface ProtectedSettings {
  targets: readonly TargetPattern[];
  selector: LabelSelector | null;
}

/** The storm breaker (engine/breaker/): its thresholds (null: not counted), window and the one notification it sends. */
export interface StormBreakerSettings {
  alerts: number | null;
  targets: number | null;
  perMs: number;
  quietForMs: number;
  /** As written, for messages and templates. */
  per: string;
  quietFor: string;
  notify: CompiledAction;
}

/** What outbound requests (notifications) need from homeostat.yaml. */
export interface OutboundSettings {
  /** Hosts allowed to resolve to non-public addresses (spec.outbound.allowHosts). */
  allowHosts: readonly string[];
  /** spec.pagerduty.eventsUrl, or null for PagerDuty's own. */
  pagerdutyEventsUrl: string | null;
}

/** homeostat.yaml's prometheus, as written but for the timeout. */
export interface PrometheusSettings {
  url: string;
  timeoutMs: number;
  bearerToken: SecretRef | null;
  basicAuth: { username: string; password: SecretRef } | null;
}

export type SecretRef = { env?: string; file?: string };

/** A routine job (kind Schedule), compiled: when it runs, on what, and its actions behind the guards. */
export interface CompiledSchedule {
  name: string;
  source: { file: string; line: number };
  cron: string;
  timezone: string;
  /** Hosts as listed, or the hosts of an inventory group (listed when a run is decided). */
  targets: { hosts: readonly string[] } | { group: string; inventory: string };
  /** The inventory of its ansible actions when they name none (targets.inventory, else Settings'). */
  inventory: string | null;
  concurrencyPolicy: 'Forbid' | 'Allow';
  startingDeadlineMs: number;
  actions: readonly CompiledAction[];
  guards: ResolvedGuards;
  dryRun: boolean;
}

/** An immutable, compiled policy set at one revision. */
export interface PolicySet {
  readonly revision: string;
  readonly policies: readonly CompiledPolicy[];
  readonly settings: ResolvedSettings;
  /** The routine jobs of the revision, by name order. */
  readonly schedules: readonly CompiledSchedule[];
  /**
   * label → value → the policies that require that value. Each policy sits under one label:
   * its most selective equality.
   */
  readonly index: ReadonlyMap<string, ReadonlyMap<string, readonly CompiledPolicy[]>>;
  /** Policies with no equality to key on: tried for every alert. */
  readonly unindexed: readonly CompiledPolicy[];
  /** Each policy's place in `policies`, to merge candidate lists best first. */
  readonly rank: ReadonlyMap<CompiledPolicy, number>;
}
