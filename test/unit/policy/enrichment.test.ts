import { describe, expect, it } from 'vitest';
import { simulate } from '../../../engine/pipeline/simulate.js';
import { Evaluator } from '../../../engine/policy/evaluate.js';
import type { EnrichmentSource } from '../../../engine/policy/enrichment.js';
import { fixedEnrichment } from '../../../engine/testing/run-tests.js';
import { inlineAlert, inlinePayload } from '../../helpers/alerts.js';
import { policySet, policyYaml } from '../../helpers/policies.js';

const NOW = Date.parse('2026-11-23T12:00:00Z');
const say = `
  actions:
    - name: say
      slack: { webhook: { env: SLACK_WEBHOOK_URL }, text: 'load {{ enrichment.load }}' }`;
const enrichLoad = `
  enrich:
    - { name: load, query: 'node_load1{instance="{{ labels.instance }}"}' }`;

/** A source that counts the queries it is asked and answers from a table. */
function counting(answers: Record<string, number | null | Error>): EnrichmentSource & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    async query(query) {
      asked.push(query);
      const answer = answers[query];
      if (answer instanceof Error) throw answer;
      if (answer === undefined) throw new Error(`unexpected query ${query}`);
      return answer;
    },
  };
}

describe('enrichment in evaluation', () => {
  const set = policySet([
    policyYaml('above', 'match: { alertname: Hot }', enrichLoad, `
      when: { all: [{ fact: prometheus, params: { name: load }, operator: greaterThan, value: 4 }] }`, say),
    policyYaml('not-below', 'match: { alertname: Hot }', enrichLoad, `
      when: { not: { fact: prometheus, params: { name: load }, operator: lessThanInclusive, value: 4 } }`, say),
    policyYaml('plain', 'match: { alertname: Cold }', say.replace('{{ enrichment.load }}', 'none')),
  ]);
  const hot = (instance: string) => inlineAlert({ labels: { alertname: 'Hot', instance } });

  it('asks each rendered query once per alert, however many policies use it', async () => {
    const source = counting({ 'node_load1{instance="a"}': 9 });
    const matches = await new Evaluator(set, source).evaluate(hot('a'));
    expect(matches.map((m) => [m.policy.name, m.enrichment?.values])).toEqual([['above', { load: 9 }], ['not-below', { load: 9 }]]);
    expect(source.asked).toEqual(['node_load1{instance="a"}']);
  });

  it('asks nothing for an alert that no enriching policy passes the pre-filter for', async () => {
    const source = counting({});
    const matches = await new Evaluator(set, source).evaluate(inlineAlert({ labels: { alertname: 'Cold' } }));
    expect(matches.map((m) => m.policy.name)).toEqual(['plain']);
    expect(source.asked).toEqual([]);
  });

  it('fails closed on an error, even under a `not`: refused with the reason, not marked decided', async () => {
    const source = counting({ 'node_load1{instance="a"}': new Error('Prometheus POST http://p:9090: no answer within 2000 ms') });
    const payload = inlinePayload([{ labels: { alertname: 'Hot', instance: 'a' } }]);
    const first = await simulate(set, [payload], { now: NOW, enrichment: source });
    expect(first.decisions.map((d) => [d.policy, d.verdict, d.refusedBy, d.reason])).toEqual(['above', 'not-below'].map((policy) => [
      policy, 'refused', 'enrichment', 'enrichment load: Prometheus POST http://p:9090: no answer within 2000 ms; no action (fails closed), decided again when Alertmanager re-sends the alert',
    ]));
    expect(first.decisions[0]!.enrichment).toEqual([{ name: 'load', query: 'node_load1{instance="a"}', error: 'Prometheus POST http://p:9090: no answer within 2000 ms' }]);
  });

  it('leaves a null value (no series) out of the templates: an action reading it fails', async () => {
    const set2 = policySet(policyYaml('reads', 'match: { alertname: Hot }', enrichLoad, say));
    const { decisions } = await simulate(set2, [inlinePayload([{ labels: { alertname: 'Hot', instance: 'a' } }])], { now: NOW, enrichment: counting({ 'node_load1{instance="a"}': null }) });
    expect(decisions.map((d) => [d.verdict, d.refusedBy, d.reason])).toEqual([['failed', 'template', "'enrichment.load' is missing"]]);
  });
});

describe('policy tests: enrichment values stand in for Prometheus', () => {
  const context = (name: string | null) => ({ alert: inlineAlert({ labels: { alertname: 'Hot' } }), name, deadline: null });

  it('answers by rendered query first, then by name, and a given error as a failure', async () => {
    const source = fixedEnrichment({ load: 3, prometheus: { 'q{a="1"}': 7 }, down: { error: 'connection refused' } });
    expect(await source.query('q{a="1"}', context('load'))).toBe(7);
    expect(await source.query('q{a="2"}', context('load'))).toBe(3);
    await expect(source.query('q', context('down'))).rejects.toThrow('connection refused');
  });

  it('says which value a case lacks', async () => {
    const source = fixedEnrichment(undefined);
    await expect(source.query('q{a="1"}', context('load'))).rejects.toThrow("this test case gives no value for 'load' (q{a=\"1\"}): add it under the case's enrichment");
    await expect(source.query('q{a="1"}', context(null))).rejects.toThrow('this test case gives no value for the query q{a="1"}: add it under the case\'s enrichment.prometheus, by the rendered query');
  });
});
