/**
 * Evaluates alerts against a policy set. The alertname index and each policy's compiled
 * matchers decide status and `match` exactly (the same operators as the rule's conditions);
 * json-rules-engine then decides the `when` of the candidates that have one. `explain` runs
 * each policy's whole rule (status + match + when). Each rule gets a pool of one-rule engines,
 * and an engine serves one run at a time: json-rules-engine keeps run state on the Engine, so
 * two concurrent runs of one engine can skip rules (its issue #303).
 */
import { Engine, Fact, Rule } from 'json-rules-engine';
import type { Almanac, RuleProperties, RuleResult } from 'json-rules-engine';
import type { Alert } from '../alerts/payload.js';
import { isLabelMap, labelValue } from '../alerts/labels.js';
import { fullMatch } from '../regex/re2.js';
import { compileTemplate, renderTemplate, TemplateRenderError } from '../template/template.js';
import { ruleOf } from './compile.js';
import { candidatesFor } from './set.js';
import type { AlertStatus, CompiledPolicy, PolicySet } from './types.js';

export type Phase = 'actions' | 'onResolved';

export interface Match {
  policy: CompiledPolicy;
  phases: Phase[];
}

/** Where enrichment facts come from (Prometheus in the engine; fixed values in tests). */
export interface EnrichmentSource {
  query(fact: string, query: string, alert: Alert): Promise<unknown>;
}

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

  /** The policies that match, best first, with the phases each runs. */
  async evaluate(alert: Alert): Promise<Match[]> {
    const candidates = this.candidates(alert);
    if (candidates.length === 0) return [];
    const conditional = candidates.filter((p) => p.whenRule !== null);
    let holds: ReadonlySet<CompiledPolicy> = new Set();
    if (conditional.length) {
      const facts = scopeOf(alert);
      const results = await Promise.all(conditional.map((p) => this.run(p, p.whenRule!, facts, alert)));
      holds = new Set(conditional.filter((_, i) => results[i]!.result));
    }
    return candidates
      .filter((p) => p.whenRule === null || holds.has(p))
      .map((policy) => ({ policy, phases: phasesOf(policy, alert.status) }));
  }

  /** Every policy (or one) run in full, for `explain`: the rule result of each. */
  async explain(alert: Alert, only?: string): Promise<{ policy: CompiledPolicy; result: RuleResult; indexed: boolean }[]> {
    const facts = scopeOf(alert);
    const candidates = new Set(this.candidates(alert));
    const policies = this.set.policies.filter((p) => only === undefined || p.name === only);
    const results = await Promise.all(policies.map((p) => this.run(p, ruleOf(p), facts, alert)));
    return policies.map((policy, i) => ({ policy, result: results[i]!, indexed: candidates.has(policy) }));
  }

  private async run(policy: CompiledPolicy, rule: RuleProperties, facts: Record<string, unknown>, alert: Alert): Promise<RuleResult> {
    let pool = this.pools.get(rule);
    if (!pool) {
      pool = [];
      this.pools.set(rule, pool);
    }
    const engine = pool.pop() ?? createEngine(rule);
    try {
      const runFacts = policy.usesEnrichment ? { ...facts, prometheus: this.enrichmentFact(alert) } : facts;
      const { results, failureResults } = await engine.run(runFacts);
      return (results[0] ?? failureResults[0])!;
    } finally {
      pool.push(engine);
    }
  }

  private enrichmentFact(alert: Alert): Fact {
    return new Fact(
      'prometheus',
      async (params: Record<string, unknown>, _almanac: Almanac) => {
        if (!this.enrichment || typeof params.query !== 'string') return undefined;
        let query: string;
        try {
          query = renderTemplate(compileTemplate(params.query).template, scopeOf(alert));
        } catch (error) {
          if (error instanceof TemplateRenderError) return undefined; // a label the query needs is missing: the condition cannot hold
          throw error;
        }
        return this.enrichment.query('prometheus', query, alert);
      },
      { cache: false },
    );
  }
}
