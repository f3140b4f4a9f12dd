/**
 * The differential test of the compiled conditions: every compiled predicate (a policy's
 * `when` as conditions.ts compiles it, and its status + `match` pre-filter) against
 * json-rules-engine running the policy's rule, on the same alerts, with identical results
 * required, a throw included (json-rules-engine rejects the run where the compiled test
 * throws). On 1,000 generated policies (every operator and fact, any/all/not nesting) with
 * 100 generated alerts each; on raw condition trees lint would refuse (json-rules-engine's
 * quirks); on every captured fixture and the storms against the bundled rules and
 * bench/generate.mjs's policies; and end to end, the Evaluator deciding with compiled
 * conditions against the Evaluator deciding on json-rules-engine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rule } from 'json-rules-engine';
import type { Engine } from 'json-rules-engine';
// @ts-expect-error: the benchmark's generator is plain ESM without declarations
import { writeRepository } from '../../../bench/generate.mjs';
import type { Alert } from '../../../engine/alerts/payload.js';
import { labelValue } from '../../../engine/alerts/labels.js';
import { readRepository } from '../../../engine/load/read-dir.js';
import { loadRepository } from '../../../engine/load/repository.js';
import { ruleOf } from '../../../engine/policy/compile.js';
import { compileCondition } from '../../../engine/policy/conditions.js';
import type { EnrichmentResult, EnrichmentSource } from '../../../engine/policy/enrichment.js';
import { Evaluator, createEngine, runFacts, scopeOf } from '../../../engine/policy/evaluate.js';
import type { Match } from '../../../engine/policy/evaluate.js';
import { buildPolicySet, candidatesFor } from '../../../engine/policy/set.js';
import type { CompiledPolicy, PolicySet } from '../../../engine/policy/types.js';
import { fixtureNames, fixturePayload, split } from '../../helpers/alerts.js';
import { bundledPolicySet } from '../../helpers/policies.js';
import { ALL_OPERATORS, conditionTree, enrichmentFor, payloadBody, policyDocument, seeded } from '../../helpers/generated-conditions.js';
import type { Rand } from '../../helpers/generated-conditions.js';

const POLICIES = 1_000;
const ALERTS_PER_POLICY = 100;
/**
 * End to end, both Evaluators on a part of the set: the reference renders each enriching
 * candidate's queries and runs json-rules-engine for each `when`, some milliseconds an alert.
 */
const EVALUATOR_POLICIES = 500;
const EVALUATOR_ALERTS = 400;

type Outcome = boolean | 'throws';

function attempt(test: () => boolean): Outcome {
  try {
    return test();
  } catch {
    return 'throws';
  }
}

async function reference(engine: Engine, facts: Record<string, unknown>, enrichment: EnrichmentResult | null): Promise<Outcome> {
  try {
    const { results } = await engine.run(runFacts(facts, enrichment));
    return results.length > 0;
  } catch {
    return 'throws';
  }
}

/** What the evaluator decides for one policy: status and match (the pre-filter), then `when`. */
function prefilter(policy: CompiledPolicy, alert: Alert): boolean {
  return policy.statuses.includes(alert.status) && policy.matchers.every(([label, test]) => test(labelValue(alert.labels, label)));
}

interface Tally {
  pairs: number;
  whenTrue: number;
  whenFalse: number;
  whenThrows: number;
  wholeTrue: number;
  differences: string[];
}

function tally(): Tally {
  return { pairs: 0, whenTrue: 0, whenFalse: 0, whenThrows: 0, wholeTrue: 0, differences: [] };
}

/** One rule's engines, made once and run one run at a time (json-rules-engine's issue #303). */
class References {
  private readonly whole = new Map<CompiledPolicy, Engine>();
  private readonly when = new Map<CompiledPolicy, Engine>();

  wholeOf(policy: CompiledPolicy): Engine {
    let engine = this.whole.get(policy);
    if (!engine) this.whole.set(policy, (engine = createEngine(ruleOf(policy))));
    return engine;
  }

  whenOf(policy: CompiledPolicy): Engine {
    let engine = this.when.get(policy);
    if (!engine) this.when.set(policy, (engine = createEngine(policy.whenRule!)));
    return engine;
  }
}

/**
 * The compiled `when` against json-rules-engine's run of it, and the compiled decision
 * (pre-filter, then `when`) against the policy's whole rule.
 */
async function compare(policy: CompiledPolicy, alert: Alert, enrichment: EnrichmentResult | null, refs: References, t: Tally): Promise<void> {
  t.pairs++;
  const facts = scopeOf(alert);
  const what = () => `${policy.name} on ${JSON.stringify({ status: alert.status, labels: alert.labels, annotations: alert.annotations })}`;
  let when: Outcome = true;
  if (policy.whenRule !== null) {
    if (policy.whenTest === null) {
      t.differences.push(`${policy.name}: its when did not compile`);
      return;
    }
    when = attempt(() => policy.whenTest!(facts, enrichment));
    const expected = await reference(refs.whenOf(policy), facts, enrichment);
    if (when !== expected) t.differences.push(`when of ${what()}: compiled ${when}, json-rules-engine ${expected}`);
    if (when === true) t.whenTrue++;
    else if (when === false) t.whenFalse++;
    else t.whenThrows++;
  }
  // json-rules-engine evaluates every condition of a rule: a throwing `when` rejects it whatever the rest says.
  const decided: Outcome = when === 'throws' ? 'throws' : prefilter(policy, alert) && when;
  const whole = await reference(refs.wholeOf(policy), facts, enrichment);
  if (decided !== whole) t.differences.push(`whole rule of ${what()}: compiled ${decided}, json-rules-engine ${whole}`);
  if (whole === true) t.wholeTrue++;
}

function generatedSet(seed: number, count: number): PolicySet {
  const rand = seeded(seed);
  const files = Array.from({ length: count }, (_, i) => ({ path: `rules/g-${i}.yaml`, text: policyDocument(rand, `g-${i}`) }));
  const result = loadRepository({ files, exists: () => true, revision: `generated-${seed}` });
  if (!result.policySet) throw new Error(`generated policies do not load: ${JSON.stringify(result.diagnostics.slice(0, 5))}`);
  return result.policySet;
}

function generatedAlerts(rand: Rand, count: number): Alert[] {
  const alerts: Alert[] = [];
  while (alerts.length < count) alerts.push(...split(payloadBody(rand, Math.min(50, count - alerts.length))).alerts);
  return alerts;
}

/** Every fixture alert: the storm (408 + 500) first, then all the others. */
function fixtureAlerts(): Alert[] {
  const storm = ['storm-first-408.json', 'storm-repeat-500.json'];
  return [...storm, ...fixtureNames().filter((n) => !storm.includes(n))].flatMap((name) => fixturePayload(name).alerts);
}

/** Enrichment answers that depend on the query and the alert only, some of them failures. */
const answers: EnrichmentSource = {
  async query(query, { alert }) {
    const seed = (parseInt(alert.fingerprint.slice(0, 6), 16) + query.length) % 13;
    if (seed === 0) throw new Error('timed out');
    return [0, 3.5, 7, 20, -1, Number.NaN, '5', null][seed % 8]!;
  },
};

type Decided = string | 'throws';

function describeMatches(matches: readonly Match[]): string {
  return matches.map((m) => `${m.policy.name}:${m.phases.join('+')}${m.enrichment ? `:${m.enrichment.error ?? 'enriched'}` : ''}`).join(' ');
}

async function decideAll(evaluator: Evaluator, alerts: readonly Alert[]): Promise<Decided[]> {
  const out: Decided[] = [];
  for (const alert of alerts) {
    try {
      out.push(describeMatches(await evaluator.evaluate(alert)));
    } catch {
      out.push('throws');
    }
  }
  return out;
}

describe('compiled conditions decide as json-rules-engine', () => {
  it(`on ${POLICIES} generated policies, ${ALERTS_PER_POLICY} generated alerts each`, async () => {
    const set = generatedSet(7, POLICIES);
    const rand = seeded(11);
    const refs = new References();
    const t = tally();
    const operators = new Set<string>();
    const walk = (node: unknown): void => {
      if (typeof node !== 'object' || node === null) return;
      const n = node as Record<string, unknown>;
      if (typeof n.operator === 'string') operators.add(n.operator);
      for (const key of ['all', 'any']) if (Array.isArray(n[key])) (n[key] as unknown[]).forEach(walk);
      walk(n.not);
    };
    for (const policy of set.policies) {
      if (policy.whenRule) walk((policy.whenRule.conditions as { all: unknown[] }).all[0]);
      for (const alert of generatedAlerts(rand, ALERTS_PER_POLICY)) await compare(policy, alert, enrichmentFor(rand, policy), refs, t);
    }
    expect(t.differences.slice(0, 5)).toEqual([]);
    expect(t.pairs).toBe(POLICIES * ALERTS_PER_POLICY);
    expect([...operators].sort()).toEqual([...ALL_OPERATORS].sort());
    // Conditions that hold, fail and throw, in numbers: a generator that decides one way only would prove nothing.
    expect(t.whenTrue).toBeGreaterThan(10_000);
    expect(t.whenFalse).toBeGreaterThan(10_000);
    expect(t.whenThrows).toBeGreaterThan(100);
    expect(t.wholeTrue).toBeGreaterThan(1_000);
  });

  it('on raw condition trees: empty lists, several boolean keys in a node, unknown facts, values that make json-rules-engine throw', async () => {
    const rand = seeded(23);
    const alerts = generatedAlerts(rand, 40);
    const t = tally();
    let compiled = 0;
    let refused = 0;
    for (let i = 0; i < 500; i++) {
      const tree = conditionTree(rand, 3, true, true);
      const test = compileCondition(tree);
      let engine: Engine;
      try {
        engine = createEngine({ conditions: { all: [tree] } as never, event: { type: 'policy' } });
      } catch {
        // json-rules-engine refuses the tree itself; so does the loader, before compiling.
        continue;
      }
      if (test === null) {
        refused++;
        continue;
      }
      compiled++;
      for (const alert of alerts) {
        t.pairs++;
        const enrichment: EnrichmentResult = { values: {}, bySource: new Map([['up{instance="{{ labels.instance }}"}', [7, '5', null, Number.NaN][i % 4]!]]), records: [{ name: 'load', query: 'q', value: i % 3 }], error: null };
        const facts = scopeOf(alert);
        const got = attempt(() => test(facts, enrichment));
        const expected = await reference(engine, facts, enrichment);
        if (got !== expected) t.differences.push(`${JSON.stringify(tree)} on ${JSON.stringify(alert.labels)}: compiled ${got}, json-rules-engine ${expected}`);
        if (got === 'throws') t.whenThrows++;
      }
    }
    expect(t.differences.slice(0, 5)).toEqual([]);
    expect(compiled).toBeGreaterThan(400);
    // Only what json-rules-engine knows and this does not (an operator decorator, an unknown operator) stays with it.
    expect(refused).toBeGreaterThan(0);
    expect(t.whenThrows).toBeGreaterThan(0);
  });

  it('on every captured fixture and the storms, against the bundled rules: every pair', async () => {
    const set = bundledPolicySet();
    const refs = new References();
    const t = tally();
    const alerts = fixtureAlerts();
    for (const policy of set.policies) for (const alert of alerts) await compare(policy, alert, null, refs, t);
    expect(t.differences.slice(0, 5)).toEqual([]);
    expect(t.pairs).toBe(set.policies.length * alerts.length);
    expect(t.wholeTrue).toBeGreaterThan(0);
  });

  it('on every captured fixture and the storms, against bench/generate.mjs policies: each alert with its candidates and 20 other policies', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'homeostat-differential-'));
    try {
      writeRepository(dir, POLICIES);
      const result = loadRepository(readRepository(dir));
      const set = result.policySet!;
      expect(set.policies).toHaveLength(POLICIES);
      const refs = new References();
      const t = tally();
      const rand = seeded(31);
      for (const alert of fixtureAlerts()) {
        const others = Array.from({ length: 20 }, () => set.policies[Math.floor(rand() * set.policies.length)]!);
        for (const policy of new Set([...candidatesFor(set, alert.labels), ...others])) await compare(policy, alert, null, refs, t);
      }
      expect(t.differences.slice(0, 5)).toEqual([]);
      expect(t.wholeTrue).toBeGreaterThan(908 * 5 - 1); // the 5 storm policies match every storm alert
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the Evaluator with compiled conditions decides as the Evaluator on json-rules-engine', () => {
  it('on the generated policies (with enrichment, some of it failing) and generated, fixture and storm alerts', async () => {
    const all = generatedSet(7, POLICIES);
    const alerts = [...generatedAlerts(seeded(41), EVALUATOR_ALERTS), ...fixtureAlerts()];
    // A policy whose `when` throws on some alert makes every evaluation it is a candidate for
    // fail (as on json-rules-engine; the test above compares those throws one by one): left
    // in, nearly every alert would fail both ways, which would prove little.
    const enrichment = enrichmentFor(seeded(43), all.policies.find((p) => p.enrich.length > 0)!);
    const throws = (p: CompiledPolicy) => p.whenTest !== null && alerts.some((a) => attempt(() => p.whenTest!(scopeOf(a), p.enrich.length ? enrichment : null)) === 'throws');
    const set = buildPolicySet(all.policies.filter((p) => !throws(p)).slice(0, EVALUATOR_POLICIES), all.settings, all.revision);
    expect(set.policies).toHaveLength(EVALUATOR_POLICIES);
    const [compiled, onEngine] = await Promise.all([
      decideAll(new Evaluator(set, answers), alerts),
      decideAll(new Evaluator(set, answers, { conditions: 'json-rules-engine' }), alerts),
    ]);
    const differences = alerts.flatMap((alert, i) => (compiled[i] === onEngine[i] ? [] : [`${JSON.stringify(alert.labels)}: ${compiled[i]} / ${onEngine[i]}`]));
    expect(differences.slice(0, 5)).toEqual([]);
    expect(compiled.filter((d) => d !== 'throws' && d !== '').length).toBeGreaterThan(200);
    expect(compiled.filter((d) => d.includes(':enriched')).length).toBeGreaterThan(20);
    expect(compiled.filter((d) => d.includes('timed out')).length).toBeGreaterThan(5);
  });

  it('decides without awaiting an alert whose candidates query no Prometheus', () => {
    const set = bundledPolicySet();
    const evaluator = new Evaluator(set);
    const alerts = fixtureAlerts();
    const enriching = alerts.map((a) => evaluator.candidates(a).some((p) => p.enrich.length > 0));
    expect(alerts.map((a) => evaluator.matchNow(a) === null)).toEqual(enriching);
    expect(enriching.filter((e) => !e).length).toBeGreaterThan(900);
  });

  it('keeps a `when` that cannot be compiled alike on json-rules-engine', () => {
    expect(compileCondition({ fact: 'labels', path: 'x', operator: 'not:equal', value: 'a' })).toBeNull();
    expect(compileCondition({ condition: 'shared' })).toBeNull();
    expect(compileCondition({ all: [{ fact: 'labels', path: 'x', operator: 'equal', value: 'a', priority: 2 }] })).toBeNull();
    expect(compileCondition({ any: [] })).not.toBeNull();
    expect(new Rule({ conditions: { all: [{ any: [] }] }, event: { type: 'x' } })).toBeDefined();
  });
});
