/**
 * Evaluates alerts against a policy set. The alertname index and each policy's compiled
 * matchers decide status and `match` exactly (the same operators as the rule's conditions),
 * and each policy's `when`, compiled to a synchronous function (conditions.ts), decides the
 * rest: an alert whose candidates query no Prometheus is decided in one synchronous call
 * (matchNow), with no promise. The candidates with Prometheus queries are enriched first
 * (enrichment.ts); only those alerts await. json-rules-engine stays the reference: `explain`
 * runs each policy's whole rule (status + match + when) on it, a `when` that could not be
 * compiled alike runs on it, and so does every `when` of an Evaluator made with
 * `{ conditions: 'json-rules-engine' }` (the path the compiled predicates replaced, kept for
 * the differential test and the benchmark). Each rule gets a pool of one-rule engines, and an
 * engine serves one run at a time: json-rules-engine keeps run state on the Engine, so two
 * concurrent runs of one engine can skip rules (its issue #303).
 */
import { Engine, Fact, Rule } from 'json-rules-engine';
import type { Almanac, RuleProperties, RuleResult } from 'json-rules-engine';
import type { Alert } from '../alerts/payload.js';
import { labelValue } from '../alerts/labels.js';
import type { LabelMap } from '../alerts/labels.js';
import { CandidateIndex } from './candidates.js';
import { enrich } from './enrichment.js';
import type { EnrichmentResult, EnrichmentSource, QueryCache } from './enrichment.js';
import { ruleOf } from './compile.js';
import { prometheusValue, resolvePath } from './conditions.js';
import { CUSTOM } from './operators.js';
import { candidatesFor } from './set.js';
import type { AlertStatus, CompiledPolicy, PolicySet } from './types.js';

export type Phase = 'actions' | 'onResolved';

export interface Match {
  policy: CompiledPolicy;
  phases: readonly Phase[];
  /** The policy's queries and their values; with `error` set, the policy fails closed (decide.ts). */
  enrichment?: EnrichmentResult;
}

export type { EnrichmentSource } from './enrichment.js';
export { resolvePath } from './conditions.js';

export interface EvaluatorOptions {
  /** What decides `when`: its compiled function (the default) or json-rules-engine (the reference). */
  conditions?: 'compiled' | 'json-rules-engine';
}

/** The engine that runs one rule: what `explain` and the reference path run, and the differential test. */
export function createEngine(rule: RuleProperties): Engine {
  const engine = new Engine([], { allowUndefinedFacts: true, pathResolver: resolvePath as never });
  for (const [name, fn] of Object.entries(CUSTOM)) engine.addOperator(name, fn);
  engine.addRule(new Rule(rule));
  return engine;
}

/** Shared, frozen: a storm's matches carry one of these few lists, not one each. */
const PHASES = {
  none: Object.freeze([]) as readonly Phase[],
  actions: Object.freeze(['actions']) as readonly Phase[],
  onResolved: Object.freeze(['onResolved']) as readonly Phase[],
  both: Object.freeze(['actions', 'onResolved']) as readonly Phase[],
};

export function phasesOf(policy: CompiledPolicy, status: AlertStatus): readonly Phase[] {
  if (status === 'firing') return policy.on === 'resolved' ? PHASES.none : PHASES.actions;
  const actions = policy.on !== 'firing';
  if (policy.onResolved.length) return actions ? PHASES.both : PHASES.onResolved;
  return actions ? PHASES.actions : PHASES.none;
}

/** The template scope of an alert (also what `when` facts read). */
export function scopeOf(alert: Alert): Record<string, unknown> {
  return {
    labels: alert.labels,
    annotations: alert.annotations,
    alert: { status: alert.status, startsAt: alert.startsAt, endsAt: alert.endsAt, fingerprint: alert.fingerprint, generatorURL: alert.generatorURL },
    group: alert.group,
  };
}

function passes(tests: CompiledPolicy['matchers'], labels: LabelMap): boolean {
  for (const [label, test] of tests) if (!test(labelValue(labels, label))) return false;
  return true;
}

export class Evaluator {
  private readonly pools = new Map<RuleProperties, Engine[]>();

  private readonly compiled: boolean;
  private readonly index: CandidateIndex;

  constructor(
    readonly set: PolicySet,
    private readonly enrichment: EnrichmentSource | null = null,
    options: EvaluatorOptions = {},
  ) {
    this.compiled = (options.conditions ?? 'compiled') === 'compiled';
    this.index = new CandidateIndex(set);
  }

  /** The policies whose labels pre-filter passes: cheap, exact for `match`, blind to `when`. */
  candidates(alert: Alert): CompiledPolicy[] {
    return candidatesFor(this.set, alert.labels).filter((p) => p.statuses.includes(alert.status) && passes(p.matchers, alert.labels));
  }

  /**
   * When the enrichment queries of one payload are due: now plus the source's timeout (null
   * without one). Every query of the payload shares it, so that the answer to the webhook
   * never waits longer, however many alerts it holds.
   */
  deadline(now = Date.now()): number | null {
    return this.enrichment?.timeoutMs === undefined ? null : now + this.enrichment.timeoutMs;
  }

  /**
   * The policies that match, best first, decided now: null when a candidate queries
   * Prometheus or has a `when` that runs on json-rules-engine (then `evaluate` decides it).
   * Each index list is filtered on its own, and only what passes is put in order.
   */
  matchNow(alert: Alert): Match[] | null {
    const { index } = this;
    const { labels, status } = alert;
    const present = index.presence(labels);
    const matches: Match[] = [];
    let scope: Record<string, unknown> | null = null;
    let lists = 0;
    for (let k = 0; k <= index.keyed.length; k++) {
      const list = k < index.keyed.length ? index.keyed[k]!.byValue.get(labelValue(labels, index.keyed[k]!.label)) : index.unindexed;
      if (list === undefined || list.length === 0) continue;
      const before = matches.length;
      for (const candidate of list) {
        if ((candidate.required & ~present) !== 0) continue;
        const { policy } = candidate;
        if (!policy.statuses.includes(status) || !passes(candidate.tests, labels)) continue;
        if (policy.enrich.length > 0) return null;
        if (policy.whenRule !== null) {
          if (policy.whenTest === null || !this.compiled) return null;
          if (!policy.whenTest((scope ??= scopeOf(alert)), null)) continue;
        }
        matches.push({ policy, phases: phasesOf(policy, status) });
      }
      if (matches.length > before) lists++;
    }
    // Each list is in order already, and no policy is in two lists of one alert.
    if (lists > 1) matches.sort((a, b) => this.set.rank.get(a.policy)! - this.set.rank.get(b.policy)!);
    return matches;
  }


  /** The policies that match, best first, with the phases each runs. */
  async evaluate(alert: Alert, deadline: number | null = this.deadline()): Promise<Match[]> {
    const now = this.matchNow(alert);
    if (now !== null) return now;
    const candidates = this.candidates(alert);
    if (candidates.length === 0) return [];
    const decided = candidates.filter((p) => p.whenRule !== null || p.enrich.length > 0);
    if (decided.length === 0) return candidates.map((policy) => ({ policy, phases: phasesOf(policy, alert.status) }));
    const facts = scopeOf(alert);
    const cache: QueryCache = new Map();
    const outcomes = await Promise.all(decided.map((p) => this.decideCandidate(p, facts, alert, deadline, cache)));
    const byPolicy = new Map(decided.map((p, i) => [p, outcomes[i]!]));
    const matches: Match[] = [];
    for (const policy of candidates) {
      const outcome = byPolicy.get(policy);
      if (outcome === undefined) matches.push({ policy, phases: phasesOf(policy, alert.status) });
      else if (outcome.holds) matches.push({ policy, phases: phasesOf(policy, alert.status), ...(outcome.enrichment ? { enrichment: outcome.enrichment } : {}) });
    }
    return matches;
  }

  /**
   * Enriches, then runs `when`. A failed query holds (the policy goes on to decide.ts, which
   * refuses its actions with the reason) whatever `when` says: a `not` over a value that never
   * came must not turn a failure into an action.
   */
  private async decideCandidate(policy: CompiledPolicy, facts: Record<string, unknown>, alert: Alert, deadline: number | null, cache: QueryCache): Promise<{ holds: boolean; enrichment: EnrichmentResult | null }> {
    let enrichment: EnrichmentResult | null = null;
    if (policy.enrich.length) {
      enrichment = await enrich(policy.enrich, facts, this.enrichment, { alert, deadline, cache });
      if (enrichment === null) return { holds: false, enrichment: null };
      if (enrichment.error !== null) return { holds: true, enrichment };
    }
    if (policy.whenRule === null) return { holds: true, enrichment };
    if (policy.whenTest !== null && this.compiled) return { holds: policy.whenTest(facts, enrichment), enrichment };
    return { holds: (await this.run(policy.whenRule, facts, enrichment)).result, enrichment };
  }

  /** Every policy (or one) run in full, for `explain`: the rule result of each. */
  async explain(alert: Alert, only?: string): Promise<{ policy: CompiledPolicy; result: RuleResult; indexed: boolean; enrichment: EnrichmentResult | null }[]> {
    const facts = scopeOf(alert);
    const candidates = new Set(this.candidates(alert));
    const policies = this.set.policies.filter((p) => only === undefined || p.name === only);
    const cache: QueryCache = new Map();
    const deadline = this.deadline();
    const enrichments = await Promise.all(policies.map((p) => (p.enrich.length ? enrich(p.enrich, facts, this.enrichment, { alert, deadline, cache }) : null)));
    const results = await Promise.all(policies.map((p, i) => this.run(ruleOf(p), facts, enrichments[i]!)));
    return policies.map((policy, i) => ({ policy, result: results[i]!, indexed: candidates.has(policy), enrichment: enrichments[i]! }));
  }

  private async run(rule: RuleProperties, facts: Record<string, unknown>, enrichment: EnrichmentResult | null): Promise<RuleResult> {
    let pool = this.pools.get(rule);
    if (!pool) {
      pool = [];
      this.pools.set(rule, pool);
    }
    const engine = pool.pop() ?? createEngine(rule);
    try {
      const { results, failureResults } = await engine.run(runFacts(facts, enrichment));
      return (results[0] ?? failureResults[0])!;
    } finally {
      pool.push(engine);
    }
  }
}

/** The facts json-rules-engine runs on: the alert's scope, and `prometheus` when the policy was enriched. */
export function runFacts(facts: Record<string, unknown>, enrichment: EnrichmentResult | null): Record<string, unknown> {
  return enrichment ? { ...facts, prometheus: prometheusFact(enrichment) } : facts;
}

/** The `prometheus` fact over values already fetched: params.name (an enrich entry) or params.query. */
function prometheusFact(enrichment: EnrichmentResult): Fact {
  return new Fact(
    'prometheus',
    (params: Record<string, unknown>, _almanac: Almanac) => prometheusValue(enrichment, params),
    { cache: false },
  );
}
