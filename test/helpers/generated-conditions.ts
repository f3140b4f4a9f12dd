/**
 * Seeded generators for the differential test of compiled conditions: policies whose `match`
 * and `when` use every operator, every fact, paths that lead nowhere, values of every JSON type,
 * fact references and all/any/not nesting (empty lists too); alerts drawn from the same small
 * pools of names and values, so that conditions hold about as often as not, with labels
 * absent, empty, numeric, hostile; and the Prometheus values a policy's queries returned.
 * `raw` trees may be what lint refuses (json-rules-engine quirks); `lintable` ones load.
 */
// @ts-expect-error: the benchmark's generator is plain ESM without declarations
import { prng } from '../../bench/generate.mjs';
import type { EnrichmentResult, EnrichmentValue } from '../../engine/policy/enrichment.js';
import type { CompiledPolicy } from '../../engine/policy/types.js';

export type Rand = () => number;

export function seeded(seed: number): Rand {
  return prng(seed) as Rand;
}

function pick<T>(rand: Rand, list: readonly T[]): T {
  return list[Math.floor(rand() * list.length)]!;
}

function chance(rand: Rand, p: number): boolean {
  return rand() < p;
}

const ALERTNAMES = ['NodeDown', 'DiskFull', 'HighLoad', 'PodCrash', '__proto__'];
/** Values per label: small pools, so that equality holds often; '' and numbers on purpose. */
const VALUES: Record<string, readonly string[]> = {
  alertname: ALERTNAMES,
  instance: ['web-1:9100', 'web-2:9100', 'db-1:9100', 'node-10:9100', ''],
  job: ['node', 'fleet', 'blackbox-http', 'node-exporter'],
  severity: ['critical', 'warning', 'page', 'info'],
  env: ['prod', 'dev', 'staging', ''],
  team: ['sre', 'web', 'db'],
  heal: ['true', 'false'],
  n: ['0', '7', '10', '3.5', '-2', '1e3', ' 12', '0x10', 'NaN', 'Infinity', 'abc'],
  zone: ['eu-1', 'us-2', 'ünïcode-3'],
  constructor: ['x', 'constructor'],
};
const LABELS = Object.keys(VALUES);
/** Names no alert carries: a path there reads '' on a label map, undefined elsewhere. */
const ABSENT = ['nowhere', 'toString', 'hasOwnProperty'];
const ANNOTATIONS: Record<string, readonly string[]> = {
  summary: ['node is down', 'disk failed', 'all good', '42', ''],
  runbook: ['http://runbooks/x', 'none'],
  score: ['1', '5', '9.5', 'high'],
};
const PATTERNS = ['web-[0-9]+:9100', '.*', '', 'node|fleet', '(crit|warn).*', '[0-9]+', '-?[0-9]+(\\.[0-9]+)?', 'ü.*', '(a+)+b', 'prod|staging', '.*down.*'];
const NUMBERS = [0, 1, 3.5, 7, 10, -2, 1000, 42];

const STRING_OPERATORS = ['equal', 'notEqual', 'in', 'notIn', 'contains', 'doesNotContain', 'regex', 'notRegex', 'exists'] as const;
const NUMERIC_OPERATORS = ['lessThan', 'lessThanInclusive', 'greaterThan', 'greaterThanInclusive'] as const;
export const ALL_OPERATORS = [...STRING_OPERATORS, ...NUMERIC_OPERATORS] as const;

type Node = Record<string, unknown>;

/** A fact and its path; lintable facts only unless `raw`. */
function factAndPath(rand: Rand, raw: boolean, prometheus: boolean): Node {
  const r = rand();
  if (r < 0.45) {
    const label = chance(rand, 0.85) ? pick(rand, LABELS) : pick(rand, ABSENT);
    if (chance(rand, 0.05)) return { fact: 'labels' }; // the label map itself
    return { fact: 'labels', path: chance(rand, 0.06) ? `${label}.length` : label };
  }
  if (r < 0.6) return chance(rand, 0.05) ? { fact: 'annotations' } : { fact: 'annotations', path: pick(rand, [...Object.keys(ANNOTATIONS), 'nowhere']) };
  if (r < 0.7) return chance(rand, 0.1) ? { fact: 'alert' } : { fact: 'alert', path: pick(rand, ['status', 'startsAt', 'fingerprint', 'endsAt', 'generatorURL', 'nowhere', 'status.length']) };
  if (r < 0.8) {
    const path = pick(rand, ['receiver', 'status', 'truncatedAlerts', 'groupKey', 'commonLabels.team', 'commonLabels.severity', 'groupLabels.alertname', 'commonAnnotations.summary', 'commonLabels', 'nowhere', '']);
    return path ? { fact: 'group', path } : { fact: 'group' };
  }
  if (r < 0.92 && prometheus) {
    const params = chance(rand, 0.5) ? { name: 'load' } : { query: 'up{instance="{{ labels.instance }}"}' };
    return chance(rand, 0.15) ? { fact: 'prometheus', params, path: 'value' } : { fact: 'prometheus', params };
  }
  if (raw && chance(rand, 0.3)) return { fact: pick(rand, ['unknown', 'constructor', '__proto__']), path: 'x' };
  return { fact: 'labels', path: pick(rand, LABELS) };
}

function stringValue(rand: Rand): unknown {
  const label = pick(rand, LABELS);
  return pick(rand, VALUES[label]!);
}

/** A value for the operator: mostly what it is meant for, sometimes not. */
function valueFor(rand: Rand, operator: string, raw: boolean): unknown {
  if (chance(rand, 0.07)) return { fact: 'labels', path: pick(rand, [...LABELS, 'nowhere']) };
  if (raw && chance(rand, 0.03)) return { fact: 'group', path: 'commonLabels' };
  const odd = chance(rand, 0.1);
  switch (operator) {
    case 'equal':
    case 'notEqual':
      return odd ? pick(rand, [7, true, null, '', 'critical']) : stringValue(rand);
    case 'in':
    case 'notIn':
      if (odd) return pick<unknown>(rand, ['web-1:9100 node', 'critical,warning', raw ? 7 : ['7', 7], raw ? null : []]);
      return Array.from({ length: 1 + Math.floor(rand() * 4) }, () => stringValue(rand));
    case 'contains':
    case 'doesNotContain':
      return odd ? pick(rand, [7, null]) : stringValue(rand);
    case 'regex':
    case 'notRegex':
      return odd ? pick(rand, [7, null, true]) : pick(rand, PATTERNS);
    case 'exists':
      return odd ? pick(rand, ['yes', 1, null]) : chance(rand, 0.5);
    default:
      return odd ? pick(rand, ['7', '3.5', 'abc', null, true]) : pick(rand, NUMBERS);
  }
}

function leaf(rand: Rand, raw: boolean, prometheus: boolean): Node {
  const operator = raw && chance(rand, 0.01) ? pick(rand, ['startsWith', 'not:equal']) : pick(rand, ALL_OPERATORS);
  return { ...factAndPath(rand, raw, prometheus), operator, value: valueFor(rand, operator, raw) };
}

/** A condition tree of any/all/not nesting; `raw` adds what only json-rules-engine takes. */
export function conditionTree(rand: Rand, depth: number, raw: boolean, prometheus: boolean): Node {
  const r = rand();
  if (depth <= 0 || r < 0.35) return leaf(rand, raw, prometheus);
  if (r < 0.5) return { not: conditionTree(rand, depth - 1, raw, prometheus) };
  const kind = r < 0.75 ? 'all' : 'any';
  const size = chance(rand, 0.06) ? 0 : 1 + Math.floor(rand() * 4);
  const node: Node = { [kind]: Array.from({ length: size }, () => conditionTree(rand, depth - 1, raw, prometheus)) };
  // Several boolean keys in one node: json-rules-engine reads any, then all, then not.
  if (raw && chance(rand, 0.05)) node[kind === 'all' ? 'any' : 'all'] = [leaf(rand, raw, prometheus)];
  if (raw && chance(rand, 0.03)) node.not = leaf(rand, raw, prometheus);
  return node;
}

/** One label matcher, of any kind. */
function matcher(rand: Rand, label: string): unknown {
  const values = VALUES[label] ?? ['x'];
  switch (Math.floor(rand() * 8)) {
    case 0: return pick(rand, values);
    case 1: return [pick(rand, values), pick(rand, values)];
    case 2: return { regex: pick(rand, PATTERNS) };
    case 3: return { notRegex: pick(rand, PATTERNS) };
    case 4: return { in: [pick(rand, values), pick(rand, values)] };
    case 5: return { notIn: [pick(rand, values)] };
    case 6: return { notEqual: pick(rand, values) };
    default: return { exists: chance(rand, 0.7) };
  }
}

/** A Policy document (as JSON, which is YAML) that lint accepts. */
export function policyDocument(rand: Rand, name: string): string {
  const match: Record<string, unknown> = {};
  if (chance(rand, 0.75)) match.alertname = chance(rand, 0.8) ? pick(rand, ALERTNAMES) : [pick(rand, ALERTNAMES), pick(rand, ALERTNAMES)];
  const extra = Math.floor(rand() * 3);
  for (let i = 0; i < extra || Object.keys(match).length === 0; i++) {
    const label = pick(rand, LABELS);
    match[label] = matcher(rand, label);
  }
  const prometheus = chance(rand, 0.2);
  const spec: Record<string, unknown> = { on: pick(rand, ['firing', 'firing', 'resolved', 'any']), priority: 1 + Math.floor(rand() * 100), match };
  if (prometheus) spec.enrich = [{ name: 'load', query: 'node_load1{instance="{{ labels.instance }}"}' }];
  if (chance(rand, 0.85)) spec.when = conditionTree(rand, 3, false, prometheus);
  spec.actions = [{ name: 'say', slack: { webhook: { env: 'SLACK_WEBHOOK_URL' }, text: 'x' } }];
  if (chance(rand, 0.2)) spec.onResolved = [{ name: 'resolved', slack: { webhook: { env: 'SLACK_WEBHOOK_URL' }, text: 'y' } }];
  return JSON.stringify({ apiVersion: 'homeostat/v1', kind: 'Policy', metadata: { name }, spec });
}

function labelSet(rand: Rand): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const label of LABELS) {
    const p = label === 'alertname' ? 0.92 : label === 'constructor' ? 0.05 : 0.55;
    if (chance(rand, p)) labels[label] = pick(rand, VALUES[label]!);
  }
  return labels;
}

/** A webhook payload (version 4) of `count` alerts. */
export function payloadBody(rand: Rand, count: number): Record<string, unknown> {
  const alerts = Array.from({ length: count }, () => {
    const annotations: Record<string, string> = {};
    for (const [name, values] of Object.entries(ANNOTATIONS)) if (chance(rand, 0.6)) annotations[name] = pick(rand, values);
    const status = chance(rand, 0.7) ? 'firing' : 'resolved';
    return { status, labels: labelSet(rand), annotations, startsAt: '2026-11-21T07:00:00Z', endsAt: status === 'resolved' ? '2026-11-21T07:05:00Z' : '0001-01-01T00:00:00Z', generatorURL: chance(rand, 0.5) ? 'http://prometheus/graph' : '' };
  });
  const common = labelSet(rand);
  return {
    version: '4',
    status: 'firing',
    receiver: pick(rand, ['heal', 'critical', '']),
    groupKey: '{}:{alertname="x"}',
    truncatedAlerts: Math.floor(rand() * 3),
    groupLabels: { alertname: pick(rand, ALERTNAMES) },
    commonLabels: common,
    commonAnnotations: chance(rand, 0.5) ? { summary: pick(rand, ANNOTATIONS.summary!) } : {},
    externalURL: 'http://alertmanager:9093',
    alerts,
  };
}

const ANSWERS: readonly EnrichmentValue[] = [0, 3.5, 7, 20, -1, Number.NaN, Number.POSITIVE_INFINITY, '5', 'down', null];

/** What a policy's queries returned for one alert: values of every kind, sometimes a failure. */
export function enrichmentFor(rand: Rand, policy: CompiledPolicy): EnrichmentResult | null {
  if (policy.enrich.length === 0) return null;
  const result: EnrichmentResult = { values: {}, bySource: new Map(), records: [], error: null };
  const bySource = result.bySource as Map<string, EnrichmentValue>;
  for (const q of policy.enrich) {
    if (chance(rand, 0.08)) {
      result.records.push({ name: q.name, query: q.source, error: 'timed out' });
      result.error ??= 'timed out';
      continue;
    }
    const value = pick(rand, ANSWERS);
    result.records.push({ name: q.name, query: q.source, value });
    bySource.set(q.source, value);
    if (q.name !== null && value !== null) result.values[q.name] = value;
  }
  return result;
}
