import type { CompiledTemplate } from '../template/template.js';
import type { RuleProperties } from 'json-rules-engine';

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
  statuses: ReadonlySet<AlertStatus>;
  /** Label name → predicate, all must hold: the index's exact pre-filter. */
  matchers: ReadonlyArray<readonly [string, LabelPredicate]>;
  /** The alertnames this policy can match, or null when any alertname can. */
  alertnames: ReadonlySet<string> | null;
  /** The json-rules-engine rule: status + match + when. */
  rule: RuleProperties;
  usesEnrichment: boolean;
  target: CompiledTemplate | null;
  actions: readonly CompiledAction[];
  onResolved: readonly CompiledAction[];
  guards: ResolvedGuards;
  dryRun: boolean;
  /** Whether an action of this policy changes a system (counts against the blast radius). */
  disruptive: boolean;
}

export interface ResolvedSettings {
  paused: boolean;
  dryRun: boolean;
  blastRadius: { max: number; perMs: number };
  maintenanceWindows: ReadonlyArray<{ start: number; end: number; reason: string }>;
}

/** An immutable, compiled policy set at one revision. */
export interface PolicySet {
  readonly revision: string;
  readonly policies: readonly CompiledPolicy[];
  readonly settings: ResolvedSettings;
  /** alertname → the policies that can match it (including those matching any alertname). */
  readonly byAlertname: ReadonlyMap<string, readonly CompiledPolicy[]>;
  /** Policies that can match any alertname. */
  readonly anyAlertname: readonly CompiledPolicy[];
}
