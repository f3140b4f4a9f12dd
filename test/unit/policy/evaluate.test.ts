import { describe, it, expect } from 'vitest';
import { Engine } from 'json-rules-engine';
import type { Almanac } from 'json-rules-engine';
import { fingerprint } from '../../../engine/alerts/fingerprint.js';
import { splitPayload } from '../../../engine/alerts/payload.js';
import type { Alert, SplitPayload } from '../../../engine/alerts/payload.js';
import { simulate } from '../../../engine/pipeline/simulate.js';
import { decide } from '../../../engine/plan/decide.js';
import { IndexedLedger } from '../../../engine/plan/ledger.js';
import { ruleOf } from '../../../engine/policy/compile.js';
import { Evaluator } from '../../../engine/policy/evaluate.js';
import { equalitiesOf } from '../../../engine/policy/set.js';
import type { EnrichmentSource } from '../../../engine/policy/evaluate.js';
import type { PolicySet } from '../../../engine/policy/types.js';
import { fixtureBody, fixtureNames, fixturePayload, inlineAlert, inlinePayload, split } from '../../helpers/alerts.js';
import { bundledPolicySet, loadInline, policySet, policyYaml } from '../../helpers/policies.js';

const NOW = Date.parse('2026-11-23T12:00:00Z');

/** Every fixture alert: the storm (408 + 500) first, then all the others. */
function allFixtureAlerts(): Alert[] {
  const storm = ['storm-first-408.json', 'storm-repeat-500.json'];
  const others = fixtureNames().filter((n) => !storm.includes(n));
  return [...storm, ...others].flatMap((name) => fixturePayload(name).alerts);
}

const ALERTS = allFixtureAlerts();

/** Yields to the event loop a number of microtasks that depends on the alert. */
async function ticks(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await null;
}

/** Enrichment whose answers arrive after an alert-dependent number of microtasks, in any order. */
const unevenEnrichment: EnrichmentSource = {
  async query(query, { alert }) {
    const seed = parseInt(alert.fingerprint.slice(0, 4), 16);
    await ticks(seed % 37);
    if (!query.includes(`instance="${alert.labels.instance ?? ''}"`)) throw new Error(`query ${query} does not name the instance`);
    return seed % 10;
  },
};

const action = `
  actions:
    - name: say
      slack: { webhook: { env: SLACK_WEBHOOK_URL }, text: '{{ labels.alertname }}' }`;

/** Many policies, many priorities, several matching every storm alert; some use enrichment. */
const LAYERED = [
  policyYaml('p100-critical', `priority: 100\nmatch: { severity: critical }`, action),
  policyYaml('p90-instance-down-unreachable', `
    priority: 90
    match: { alertname: InstanceDown }
    when:
      all:
        - fact: prometheus
          params: { query: 'up{instance="{{ labels.instance | default: "" }}"}' }
          operator: lessThan
          value: 5`, action),
  policyYaml('p80-fleet', `priority: 80\nmatch: { job: fleet }`, action),
  policyYaml('p70-even-nodes', `priority: 70\nmatch: { instance: { regex: 'node-[0-9]*[02468]:9100' } }`, action),
  policyYaml('p60-loaded', `
    priority: 60
    match: { instance: { exists: true } }
    when:
      any:
        - { fact: prometheus, params: { query: 'node_load1{instance="{{ labels.instance | default: "" }}"}' }, operator: greaterThanInclusive, value: 7 }
        - { fact: labels, path: severity, operator: equal, value: warning }`, action),
  policyYaml('p50-not-dev', `priority: 50\nmatch: { env: { notIn: [dev] } }`, action),
  policyYaml('p50-also-not-dev', `priority: 50\nmatch: { env: { notEqual: dev } }`, action),
  policyYaml('p40-said-down', `
    priority: 40
    match: { alertname: { regex: '.+' } }
    when: { all: [{ fact: annotations, path: summary, operator: regex, value: '.*(down|failed).*' }] }`, action),
  policyYaml('p30-any-status', `priority: 30\non: any\nmatch: { alertname: { exists: true } }`, action),
  policyYaml('p20-heal', `priority: 20\nmatch: { heal: 'true' }`, action),
  policyYaml('p10-severities', `priority: 10\nmatch: { severity: [critical, warning] }`, action),
  policyYaml('p5-named', `priority: 5\nmatch: { alertname: { in: [InstanceDown, NodeDown, ServiceDown] } }`, action),
  policyYaml('p1-last', `
    priority: 1
    match: { alertname: { notEqual: Nothing } }
    when: { not: { fact: group, path: receiver, operator: equal, value: nobody } }
    `, action, `
    onResolved:
      - name: cleared
        slack: { webhook: { env: SLACK_WEBHOOK_URL }, text: 'cleared {{ labels.alertname }}' }`),
];

/** The problems splitPayload reports, or 'valid'. */
function payloadProblems(body: unknown): unknown {
  const result = splitPayload(body);
  return result.ok ? 'valid' : result.problems;
}

const names = (matches: { policy: { name: string } }[]) => matches.map((m) => m.policy.name);

async function sequentially<T>(items: readonly Alert[], run: (a: Alert) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (const item of items) out.push(await run(item));
  return out;
}

describe('Evaluator: concurrent evaluation', () => {
  const set = policySet(LAYERED);

  it('evaluates the storm and every fixture concurrently exactly as one by one', async () => {
    expect(ALERTS.length).toBe(fixtureNames().reduce((n, name) => n + (fixtureBody(name) as { alerts: unknown[] }).alerts.length, 0));
    expect(ALERTS.filter((a) => a.alertname === 'InstanceDown')).toHaveLength(908);
    const sequential = await sequentially(ALERTS, async (a) => names(await new Evaluator(set, unevenEnrichment).evaluate(a)));
    const shared = new Evaluator(set, unevenEnrichment);
    const concurrent = (await Promise.all(ALERTS.map((a) => shared.evaluate(a)))).map(names);
    const again = (await Promise.all(ALERTS.map((a) => shared.evaluate(a)))).map(names);
    expect(concurrent).toEqual(sequential);
    expect(again).toEqual(sequential);

    // The comparison is not trivial: storm alerts match policies of many priorities, and the
    // enrichment-dependent ones differ from alert to alert.
    const storm = sequential.slice(0, 908);
    expect(storm.every((n) => ['p100-critical', 'p80-fleet', 'p50-not-dev', 'p1-last'].every((p) => n.includes(p)))).toBe(true);
    const priorities = new Set(storm.flat().map((n) => n.split('-')[0]));
    expect(priorities.size).toBeGreaterThanOrEqual(9);
    const withEnrichment = storm.filter((n) => n.includes('p90-instance-down-unreachable')).length;
    expect(withEnrichment).toBeGreaterThan(100);
    expect(withEnrichment).toBeLessThan(908);
    expect(storm.filter((n) => n.includes('p60-loaded')).length).toBeGreaterThan(50);
  });

  it('lists matches best first: higher priority, then name', async () => {
    const [first] = fixturePayload('storm-first-408.json').alerts;
    const matched = await new Evaluator(set, unevenEnrichment).evaluate(first!);
    const order = matched.map((m) => [m.policy.priority, m.policy.name] as const);
    const sorted = [...order].sort((a, b) => b[0] - a[0] || (a[1] < b[1] ? -1 : 1));
    expect(order).toEqual(sorted);
  });

  it('simulates the storm to the same decisions as deciding alert by alert', async () => {
    const payloads: SplitPayload[] = ['storm-first-408.json', 'storm-repeat-500.json', 'service-down-nginx.json', 'net-device-down-one-resolved.json'].map(fixturePayload);
    const simulated = await simulate(set, payloads, { now: NOW, enrichment: unevenEnrichment });
    const evaluator = new Evaluator(set, unevenEnrichment);
    const ledger = new IndexedLedger();
    const byHand = [];
    for (const alert of payloads.flatMap((p) => p.alerts)) byHand.push(...decide(set, alert, await evaluator.evaluate(alert), { now: NOW, dryRun: false, ledger }));
    expect(simulated.decisions).toEqual(byHand);
    expect(simulated.alerts).toBe(408 + 500 + 1 + 2);
  });

  it('explains concurrently as it explains one by one', async () => {
    const sample = ALERTS.filter((_, i) => i % 7 === 0);
    const view = (rows: Awaited<ReturnType<Evaluator['explain']>>) => rows.map((r) => [r.policy.name, r.result.result, r.indexed]);
    const sequential = await sequentially(sample, async (a) => view(await new Evaluator(set, unevenEnrichment).explain(a)));
    const shared = new Evaluator(set, unevenEnrichment);
    const concurrent = (await Promise.all(sample.map((a) => shared.explain(a)))).map(view);
    expect(concurrent).toEqual(sequential);
  });
});

describe('json-rules-engine alone (why the evaluator keeps a pool of one-rule engines)', () => {
  /** One engine with rules of two priorities, the high one waiting on an asynchronous fact. */
  function sharedEngine(): Engine {
    const engine = new Engine([], { allowUndefinedFacts: true });
    engine.addFact('load', async (_params: Record<string, unknown>, almanac: Almanac) => {
      await ticks(Number(await almanac.factValue('delay')));
      return 1;
    });
    engine.addRule({ name: 'high', priority: 100, conditions: { all: [{ fact: 'load', operator: 'lessThan', value: 20 }] }, event: { type: 'high' } });
    engine.addRule({ name: 'low', priority: 1, conditions: { all: [{ fact: 'severity', operator: 'equal', value: 'critical' }] }, event: { type: 'low' } });
    return engine;
  }
  const facts = Array.from({ length: 10 }, (_, i) => ({ severity: 'critical', delay: (10 - i) * 5 }));
  const fired = (run: { results: { name?: unknown }[] }) => run.results.map((r) => String(r.name)).sort();

  it('skips lower-priority rules when one Engine serves concurrent runs (its issue #303)', async () => {
    const engine = sharedEngine();
    const sequential = await sequentially(facts as never[], async (f) => fired(await engine.run(f)));
    const concurrent = (await Promise.all(facts.map((f) => engine.run(f)))).map(fired);
    expect(sequential).toEqual(facts.map(() => ['high', 'low']));
    expect(concurrent).not.toEqual(sequential);
    // The runs that were still waiting when another run finished lost their low-priority rule.
    expect(concurrent.filter((r) => r.join() === 'high').length).toBeGreaterThan(0);
  });

  it('gives the same results through the Evaluator, whose engines serve one run at a time', async () => {
    const set = policySet([
      policyYaml('high', `
        priority: 100
        match: { alertname: Slow }
        when: { all: [{ fact: prometheus, params: { query: 'load' }, operator: lessThan, value: 20 }] }`, action),
      policyYaml('low', `priority: 1\nmatch: { severity: critical }`, action),
    ]);
    const enrichment: EnrichmentSource = {
      async query(_query, { alert }) {
        await ticks(Number(alert.labels.delay));
        return 1;
      },
    };
    const alerts = facts.map((f) => inlineAlert({ labels: { alertname: 'Slow', severity: f.severity, delay: String(f.delay) } }));
    const evaluator = new Evaluator(set, enrichment);
    const concurrent = (await Promise.all(alerts.map((a) => evaluator.evaluate(a)))).map(names);
    expect(concurrent).toEqual(alerts.map(() => ['high', 'low']));
  });
});

describe('Evaluator: a label called __proto__ is just a label', () => {
  const protoPolicies = [
    policyYaml('proto-label', `
      match: { alertname: Hostile, __proto__: x }
      target: '{{ labels.__proto__ }}'
      actions:
        - name: say
          slack: { webhook: { env: SLACK_WEBHOOK_URL }, text: 'proto={{ labels.__proto__ }} ctor={{ labels.constructor }}' }
      guards: { cooldown: 0s }`),
    policyYaml('constructor-label', `
      match: { constructor: y }
      target: '{{ labels.constructor }}'
      when: { all: [{ fact: labels, path: __proto__, operator: equal, value: x }] }
      actions:
        - name: say
          slack: { webhook: { env: SLACK_WEBHOOK_URL }, text: 'ctor={{ labels.constructor }}' }`),
  ];
  const hostileJson = '{"status":"firing","labels":{"alertname":"Hostile","__proto__":"x","constructor":"y","severity":"critical"},' +
    '"annotations":{"__proto__":"z"},"startsAt":"2026-11-21T07:00:00Z","endsAt":"0001-01-01T00:00:00Z","fingerprint":"0123456789abcdef"}';
  const others = [
    ...fixturePayload('service-down-nginx.json').alerts,
    ...fixturePayload('node-down-two-instances.json').alerts,
    ...fixturePayload('kube-pod-crashlooping-firing.json').alerts,
  ];
  const rawOf = (a: Alert) => ({ status: a.status, labels: { ...a.labels }, annotations: { ...a.annotations }, startsAt: a.startsAt, endsAt: a.endsAt, fingerprint: a.fingerprint });
  const payloadJson = (withHostile: boolean) =>
    `{"version":"4","status":"firing","receiver":"heal","groupKey":"{}:{}","alerts":[${[
      ...(withHostile ? [hostileJson] : []),
      ...others.map((a) => JSON.stringify(rawOf(a))),
    ].join(',')}]}`;

  function prototypeSnapshot(): unknown {
    return Object.getOwnPropertyNames(Object.prototype).map((n) => [n, Object.getOwnPropertyDescriptor(Object.prototype, n)]);
  }

  it('is an own property of the parsed payload', () => {
    const body = JSON.parse(payloadJson(true)) as { alerts: { labels: object }[] };
    expect(Object.hasOwn(body.alerts[0]!.labels, '__proto__')).toBe(true);
    const alert = split(body).alerts[0]!;
    expect(Object.keys(alert.labels)).toEqual(['alertname', '__proto__', 'constructor', 'severity']);
    expect(alert.labels.__proto__).toBe('x');
  });

  it('matches a policy on __proto__ and constructor, renders them, and leaves Object.prototype alone', async () => {
    const before = prototypeSnapshot();
    const set = bundledPolicySet(protoPolicies);
    const payload = split(JSON.parse(payloadJson(true)));
    const hostile = payload.alerts[0]!;
    const evaluator = new Evaluator(set);
    expect(names(await evaluator.evaluate(hostile))).toEqual(['constructor-label', 'proto-label', 'notify-critical']);
    expect((await evaluator.explain(hostile, 'proto-label')).map((r) => [r.policy.name, r.result.result, r.indexed])).toEqual([['proto-label', true, true]]);

    const { decisions } = await simulate(set, [payload], { now: NOW });
    // The fingerprint is computed from the labels, __proto__ among them; the one sent is not used.
    expect(hostile.fingerprint).toBe(fingerprint({ alertname: 'Hostile', ['__proto__']: 'x', constructor: 'y', severity: 'critical' }));
    expect(hostile.fingerprint).not.toBe('0123456789abcdef');
    const mine = decisions.filter((d) => d.alert.fingerprint === hostile.fingerprint);
    expect(mine.map((d) => [d.policy, d.action, d.target, d.verdict, d.params?.text ?? d.params?.summary])).toEqual([
      ['constructor-label', 'say', 'y', 'run', 'ctor=y'],
      ['proto-label', 'say', 'x', 'run', 'proto=x ctor=y'],
      ['notify-critical', 'slack', hostile.fingerprint, 'run', ':rotating_light: Hostile: no summary'],
      ['notify-critical', 'page', hostile.fingerprint, 'run', 'Hostile: critical'],
    ]);

    expect(prototypeSnapshot()).toEqual(before);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
    expect(({} as { constructor: unknown }).constructor).toBe(Object);
  });

  it('leaves the other alerts of the payload deciding exactly as without it', async () => {
    const set = bundledPolicySet(protoPolicies);
    const withHostile = await simulate(set, [split(JSON.parse(payloadJson(true)))], { now: NOW });
    const without = await simulate(set, [split(JSON.parse(payloadJson(false)))], { now: NOW });
    const hostile = split(JSON.parse(payloadJson(true))).alerts[0]!.fingerprint;
    const rest = withHostile.decisions.filter((d) => d.alert.fingerprint !== hostile);
    expect(rest).toEqual(without.decisions);
    expect(without.decisions.map((d) => [d.policy, d.action, d.verdict])).toContainEqual(['restart-failed-service', 'restart', 'run']);
  });

  it('refuses a label whose value is an object (a prototype-pollution attempt), polluting nothing', () => {
    const before = prototypeSnapshot();
    const body = JSON.parse('{"version":"4","status":"firing","alerts":[{"status":"firing","startsAt":"2026-11-21T07:00:00Z","labels":{"alertname":"A","__proto__":{"polluted":"yes"}}}]}');
    expect(payloadProblems(body)).toEqual([{ pointer: '/alerts/0/labels/__proto__', code: 'HST_SCHEMA_TYPE', message: 'alerts[0] (alertname "A"): __proto__ must be string', hint: 'change the value to the type the schema asks for' }]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(prototypeSnapshot()).toEqual(before);
  });
});


describe('Evaluator: an enrichment query over a missing label', () => {
  const set = policySet([
    policyYaml('cpu-hog', `
      match: { alertname: HighCPUUsage }
      when:
        all:
          - { fact: prometheus, params: { query: 'node_load1{instance="{{ labels.instance }}"}' }, operator: greaterThan, value: 4 }`, action),
    policyYaml('page-critical', 'priority: 10\nmatch: { severity: critical }', action),
  ]);
  const prometheus: EnrichmentSource = {
    async query(query) {
      return query === 'node_load1{instance="web-1:9100"}' ? 9 : 0;
    },
  };
  const withInstance = { labels: { alertname: 'HighCPUUsage', instance: 'web-1:9100', severity: 'critical' } };
  const without = { labels: { alertname: 'HighCPUUsage', severity: 'critical' } };

  it('queries with the rendered labels', async () => {
    const matched = await new Evaluator(set, prometheus).evaluate(inlineAlert(withInstance));
    expect(names(matched)).toEqual(['cpu-hog', 'page-critical']);
  });

  it('fails that condition only: the other policies and the other alerts of the payload are still decided', async () => {
    const payload = inlinePayload([without, withInstance]);
    const { decisions } = await simulate(set, [payload], { now: NOW, enrichment: prometheus });
    expect(decisions.map((d) => [d.alert.fingerprint === payload.alerts[0]!.fingerprint ? 'without' : 'with', d.policy, d.verdict])).toEqual([
      ['without', 'page-critical', 'run'],
      ['with', 'cpu-hog', 'run'],
      ['with', 'page-critical', 'run'],
    ]);
  });

  it('does not stop `explain` of an alert that the policy does not even match', async () => {
    const pod = fixturePayload('pod-not-ready.json').alerts[0]!;
    const explained = await new Evaluator(set, prometheus).explain(pod);
    expect(explained.map((r) => [r.policy.name, r.result.result, r.indexed])).toEqual([
      ['cpu-hog', false, false],
      ['page-critical', false, false],
    ]);
  });
});

describe('Evaluator: regexes run in linear time', () => {
  const set = policySet([
    policyYaml('nested-quantifier', `
      match: { alertname: Backtrack, name: { regex: '(a+)+' } }`, action),
    policyYaml('nested-quantifier-not', `
      match: { alertname: Backtrack, name: { notRegex: '(a+)+b' } }`, action),
    policyYaml('nested-quantifier-when', `
      match: { alertname: Backtrack }
      when: { all: [{ fact: labels, path: name, operator: regex, value: '(a|aa)+' }] }`, action),
  ]);

  // A backtracking engine would take 2^48 steps here: the test timeout bounds that hang, and
  // the benchmark measures the time a hostile label takes.
  it('decides a hostile label against (a+)+', async () => {
    const evaluator = new Evaluator(set);
    const hostile = inlinePayload([{ labels: { alertname: 'Backtrack', name: `${'a'.repeat(48)}!` } }]);
    const { decisions } = await simulate(set, [hostile], { now: NOW });
    const matched = names(await evaluator.evaluate(hostile.alerts[0]!));
    expect(matched).toEqual(['nested-quantifier-not']);
    expect(decisions.map((d) => d.policy)).toEqual(['nested-quantifier-not']);
  });

  it('still matches what the pattern means, anchored', async () => {
    const evaluator = new Evaluator(set);
    const fine = inlineAlert({ labels: { alertname: 'Backtrack', name: 'a'.repeat(48) } });
    expect(names(await evaluator.evaluate(fine))).toEqual(['nested-quantifier', 'nested-quantifier-not', 'nested-quantifier-when']);
  });
});

describe('Evaluator: the alertname index is exact', () => {
  async function checkIndex(set: PolicySet, alerts: readonly Alert[], enrichment: EnrichmentSource | null = null): Promise<number> {
    const evaluator = new Evaluator(set, enrichment);
    let matched = 0;
    for (const alert of alerts) {
      const explained = await evaluator.explain(alert);
      expect(explained.map((r) => r.policy.name)).toEqual(set.policies.map((p) => p.name));
      const byExplain = explained.filter((r) => r.result.result).map((r) => r.policy.name);
      const candidates = evaluator.candidates(alert).map((p) => p.name);
      // A policy whose Prometheus query failed goes on to be refused (fail closed); explain says its condition does not hold.
      const evaluated = names((await evaluator.evaluate(alert)).filter((m) => !m.enrichment?.error));
      expect(candidates).toEqual(expect.arrayContaining(byExplain));
      expect(explained.filter((r) => r.result.result).every((r) => r.indexed)).toBe(true);
      expect(evaluated).toEqual(byExplain);
      matched += byExplain.length;
    }
    return matched;
  }

  it('on the bundled rules, for every fixture alert', async () => {
    const set = bundledPolicySet();
    expect(set.policies.length).toBeGreaterThanOrEqual(5);
    expect(await checkIndex(set, ALERTS)).toBeGreaterThan(908);
  });

  it('on a set of catch-all policies (no alertname matcher), with conditions the index cannot see', async () => {
    const set = policySet(LAYERED);
    expect(set.policies.filter((p) => !equalitiesOf(p).some(([label]) => label === 'alertname')).length).toBeGreaterThan(5);
    expect(await checkIndex(set, ALERTS, unevenEnrichment)).toBeGreaterThan(908 * 5);
  });

  it('prefilters candidates without deciding their `when`', async () => {
    const set = policySet(LAYERED);
    const evaluator = new Evaluator(set, unevenEnrichment);
    const [nginx] = fixturePayload('service-down-nginx.json').alerts;
    const candidates = evaluator.candidates(nginx!).map((p) => p.name);
    expect(candidates).toContain('p5-named');
    expect(candidates).not.toContain('p90-instance-down-unreachable');
    expect(candidates).not.toContain('p80-fleet');
    const explained = await evaluator.explain(nginx!, 'p80-fleet');
    expect(explained.map((r) => [r.policy.name, r.result.result, r.indexed])).toEqual([['p80-fleet', false, false]]);
  });
});

describe('Evaluator: label matching', () => {
  const match = (name: string, matcher: string) => policyYaml(name, `match: ${matcher}`, action);
  const set = policySet([
    match('env-not-dev', '{ alertname: Probe, env: { notIn: [dev] } }'),
    match('env-absent', '{ alertname: Probe, env: { exists: false } }'),
    match('env-present', '{ alertname: Probe, env: { exists: true } }'),
    match('env-empty', "{ alertname: Probe, env: '' }"),
    match('env-not-prod', '{ alertname: Probe, env: { notEqual: prod } }'),
    match('host-web', "{ alertname: Probe, host: { regex: 'web' } }"),
    match('host-web-any', "{ alertname: Probe, host: { regex: 'web.*' } }"),
    match('host-web-or-db', "{ alertname: Probe, host: { regex: 'web|db' } }"),
    match('host-not-web', "{ alertname: Probe, host: { notRegex: 'web-[0-9]+' } }"),
  ]);
  const matched = async (labels: Record<string, string>) => names(await new Evaluator(set).evaluate(inlineAlert({ labels: { alertname: 'Probe', ...labels } })));

  it('reads an absent label as an empty string', async () => {
    expect(await matched({})).toEqual(['env-absent', 'env-empty', 'env-not-dev', 'env-not-prod', 'host-not-web']);
    expect(await matched({ env: 'dev' })).toEqual(['env-not-prod', 'env-present', 'host-not-web']);
    expect(await matched({ env: 'prod' })).toEqual(['env-not-dev', 'env-present', 'host-not-web']);
  });

  it('anchors regexes at both ends', async () => {
    expect(await matched({ env: 'prod', host: 'web-1' })).toEqual(['env-not-dev', 'env-present', 'host-web-any']);
    expect(await matched({ env: 'prod', host: 'web' })).toEqual(['env-not-dev', 'env-present', 'host-web', 'host-web-any', 'host-not-web', 'host-web-or-db'].sort());
    expect(await matched({ env: 'prod', host: 'db' })).toEqual(['env-not-dev', 'env-present', 'host-not-web', 'host-web-or-db']);
    expect(await matched({ env: 'prod', host: 'my-web' })).toEqual(['env-not-dev', 'env-present', 'host-not-web']);
    expect(await matched({ env: 'prod', host: 'dbx' })).toEqual(['env-not-dev', 'env-present', 'host-not-web']);
  });
});

describe('Evaluator: phases', () => {
  const set = policySet([
    policyYaml('on-firing', `match: { alertname: Phase }`, action),
    policyYaml('on-firing-with-resolve', `match: { alertname: Phase }`, action, 'onResolved: [{ name: cleared, slack: { webhook: { env: W }, text: cleared } }]'),
    policyYaml('on-resolved', `on: resolved\nmatch: { alertname: Phase }`, action),
    policyYaml('on-any', `on: any\nmatch: { alertname: Phase }`, action),
    policyYaml('on-any-with-resolve', `on: any\nmatch: { alertname: Phase }`, action, 'onResolved: [{ name: cleared, slack: { webhook: { env: W }, text: cleared } }]'),
  ]);
  const phases = async (status: 'firing' | 'resolved') =>
    (await new Evaluator(set).evaluate(inlineAlert({ status, labels: { alertname: 'Phase' } }))).map((m) => [m.policy.name, m.phases]);

  it('runs actions on firing for firing and any policies', async () => {
    expect(await phases('firing')).toEqual([
      ['on-any', ['actions']],
      ['on-any-with-resolve', ['actions']],
      ['on-firing', ['actions']],
      ['on-firing-with-resolve', ['actions']],
    ]);
  });

  it('runs actions on resolved for resolved and any policies, and onResolved wherever it is set', async () => {
    expect(await phases('resolved')).toEqual([
      ['on-any', ['actions']],
      ['on-any-with-resolve', ['actions', 'onResolved']],
      ['on-firing-with-resolve', ['onResolved']],
      ['on-resolved', ['actions']],
    ]);
  });

  it('plans the resolved fixture of the bundled rules: only the page is resolved', async () => {
    const set = bundledPolicySet();
    const { decisions } = await simulate(set, [fixturePayload('kube-pod-crashlooping-resolved.json')], { now: NOW });
    expect(decisions.map((d) => [d.policy, d.phase, d.action, d.verdict])).toEqual([['notify-critical', 'onResolved', 'resolve-page', 'run']]);
  });
});

describe('a compiled policy set', () => {
  it('is frozen, lists its policies best first in a frozen list, and carries its revision', () => {
    const loaded = loadInline(LAYERED, { revision: '3f2c9e1' });
    const set = loaded.policySet!;
    expect(loaded.diagnostics).toEqual([]);
    expect(set.revision).toBe('3f2c9e1');
    expect(Object.isFrozen(set)).toBe(true);
    expect(Object.isFrozen(set.policies)).toBe(true);
    expect(Object.isFrozen(set.unindexed)).toBe(true);
    expect(Object.isFrozen(set.settings)).toBe(true);
    expect(set.policies.map((p) => p.name).slice(0, 3)).toEqual(['p100-critical', 'p90-instance-down-unreachable', 'p80-fleet']);
    expect(() => (set.policies as unknown as unknown[]).push(set.policies[0])).toThrow(TypeError);
    expect(() => {
      (set as unknown as { revision: string }).revision = 'other';
    }).toThrow(TypeError);
    expect(set.revision).toBe('3f2c9e1');
    expect(set.policies).toHaveLength(LAYERED.length);
  });

  it('is not changed by evaluating and deciding', async () => {
    const set = policySet(LAYERED, { revision: 'r1' });
    const before = set.policies.map((p) => [p.name, p.priority, [...p.statuses], JSON.stringify(ruleOf(p))]);
    await simulate(set, [fixturePayload('storm-first-408.json')], { now: NOW, enrichment: unevenEnrichment });
    expect(set.policies.map((p) => [p.name, p.priority, [...p.statuses], JSON.stringify(ruleOf(p))])).toEqual(before);
  });

  it('is not built when any policy has an error: a revision is used whole or not at all', () => {
    const loaded = loadInline([...LAYERED, policyYaml('broken', `match: { alertname: X }\nactions: []`)]);
    expect(loaded.policySet).toBeNull();
    expect(loaded.diagnostics.filter((d) => d.severity === 'error').map((d) => [d.file, d.code])).toEqual([[`rules/p${LAYERED.length}.yaml`, 'HST_SCHEMA_RANGE']]);
  });
});
