/**
 * Evaluates alerts against a policy set. The alertname index and each policy's compiled
 * matchers decide status and `match` exactly (the same operators as the rule's conditions);
 * the candidates with Prometheus queries are enriched (enrichment.ts), and json-rules-engine
 * then decides the `when` of the candidates that have one. An alert that no enriching policy
 * passes the pre-filter for awaits nothing: no query, no timer. `explain` runs
 * each policy's whole rule (status + match + when). Each rule gets a pool of one-rule engines,
 * and an engine serves one run at a time: json-rules-engine keeps run state on the Engine, so
 * two concurrent runs of one engine can skip rules (its issue #303).
 */
import { Engine, Fact, Rule } from 'json-rules-engine';
import type { Almanac, RuleProperties, RuleResult } from 'json-rules-engine';
import type { Alert } from '../alerts/payload.js';
import { isLabelMap, labelValue } from '../alerts/labels.js';
import { fullMatch } from '../regex/re2.js';
import { enrich } from './enrichment.js';
import type { EnrichmentResult, EnrichmentSource, QueryCache } from './enrichment.js';
import { ruleOf } from './compile.js';
import { candidatesFor } from './set.js';
import type { AlertStatus, CompiledPolicy, PolicySet } from './types.js';

export type Phase = 'actions' | 'onResolved';

export interface Match {
  policy: CompiledPolicy;
  phases: Phase[];
  /** The policy's queries and their values; with `error` set, the policy fails closed (decide.ts). */
  enrichment?: EnrichmentResult;
}

export type { EnrichmentSource } from './enrichment.js';

const pathCache = new Map<string, string[]>();

/** Own properties only, plain dotted paths; an absent label reads as ''. */
export function resolvePath(value: object, path: string): unknown {
  let segments = pathCache.get(path);
  if (!segments) {
    segments = path.split('.');
    pathCache.set(path, segments);
  }
  let current: unknown = value;
  for (const segment of segments) {
    if (typeof current !== 'object' || current === null) return undefined;
    if (!Object.hasOwn(current, segment)) return isLabelMap(current) ? '' : undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

const OPERATORS: Record<string, (fact: unknown, value: unknown) => boolean> = {
  regex: (fact, value) => typeof value === 'string' && fullMatch(value, fact == null ? '' : String(fact)),
  notRegex: (fact, value) => typeof value === 'string' && !fullMatch(value, fact == null ? '' : String(fact)),
  exists: (fact, value) => (fact !== undefined && fact !== null && fact !== '') === value,
};

function createEngine(rule: RuleProperties): Engine {
  const engine = new Engine([], { allowUndefinedFacts: true, pathResolver: resolvePath as never });
  for (const [name, fn] of Object.entries(OPERATORS)) engine.addOperator(name, fn);
  engine.addRule(new Rule(rule));
  return engine;
}

export function phasesOf(policy: CompiledPolicy, status: AlertStatus): Phase[] {
  if (status === 'firing') return policy.on === 'resolved' ? [] : ['actions'];
  const phases: Phase[] = policy.on === 'firing' ? [] : ['actions'];
  if (policy.onResolved.length) phases.push('onResolved');
  return phases;
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

export class Evaluator {
  private readonly pools = new Map<RuleProperties, Engine[]>();

  constructor(
    readonly set: PolicySet,
    private readonly enrichment: EnrichmentSource | null = null,
  ) {}

  /** The policies whose labels pre-filter passes: cheap, exact for `match`, blind to `when`. */
  candidates(alert: Alert): CompiledPolicy[] {
    return candidatesFor(this.set, alert.labels).filter(
      (p) => p.statuses.includes(alert.status) && p.matchers.every(([label, test]) => test(labelValue(alert.labels, label))),
    );
  }

  /**
   * When the enrichment queries of one payload are due: now plus the source's timeout (null
   * without one). Every query of the payload shares it, so that the answer to the webhook
   * never waits longer, however many alerts it holds.
   */
  deadline(now = Date.now()): number | null {
    return this.enrichment?.timeoutMs === undefined ? null : now + this.enrichment.timeoutMs;
  }

  /** The policies that match, best first, with the phases each runs. */
  async evaluate(alert: Alert, deadline: number | null = this.deadline()): Promise<Match[]> {
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
      const runFacts = enrichment ? { ...facts, prometheus: prometheusFact(enrichment) } : facts;
      const { results, failureResults } = await engine.run(runFacts);
      return (results[0] ?? failureResults[0])!;
    } finally {
      pool.push(engine);
    }
  }
}

/** The `prometheus` fact over values already fetched: params.name (an enrich entry) or params.query. */
function prometheusFact(enrichment: EnrichmentResult): Fact {
  return new Fact(
    'prometheus',
    (params: Record<string, unknown>, _almanac: Almanac) => {
      if (typeof params.query === 'string') return enrichment.bySource.get(params.query);
      if (typeof params.name === 'string') return enrichment.records.find((r) => r.name === params.name && !r.error)?.value;
      return undefined;
    },
    { cache: false },
  );
}
