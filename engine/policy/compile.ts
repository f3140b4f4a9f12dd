/**
 * Compiles a valid Policy document into its json-rules-engine rule and the pre-filter the
 * index uses. Pure: no I/O. Callers run the schema and the checks first.
 */
import { Rule } from 'json-rules-engine';
import type { NestedCondition, RuleProperties, TopLevelCondition } from 'json-rules-engine';
import type { Action, Condition, Guards, Matcher, Policy, SettingsSpec } from '../generated/schema-types.js';
import { ACTION_TYPES, actionTypeOf } from '../actions/registry.js';
import { fullMatcher } from '../regex/re2.js';
import { compileTemplate, hasTemplateSyntax } from '../template/template.js';
import type { CompiledTemplate } from '../template/template.js';
import { parseDuration } from '../util/duration.js';
import { forEachTemplate } from './checks.js';
import { pointerOf } from '../diagnostics/diagnostic.js';
import type { AlertStatus, CompiledAction, CompiledNotify, CompiledPolicy, LabelPredicate, NotifyOn, ResolvedGuards, ResolvedSettings, StormBreakerSettings } from './types.js';
import { parseBetween } from './window.js';
import type { CompiledEnrichment } from './enrichment.js';
import { compilePromql } from '../template/promql.js';
import { resolveMinHealthy, resolveProtected } from './node-settings.js';
import { compileCondition } from './conditions.js';

export const DEFAULT_PRIORITY = 50;
export const DEFAULT_ACTION_TIMEOUT_MS = 10 * 60_000;
/** How long the enrichment queries for one webhook may take in all. */
export const DEFAULT_ENRICHMENT_TIMEOUT_MS = 2_000;

/** The safe defaults that hold without a homeostat.yaml. */
export const DEFAULT_GUARDS: Guards = { cooldown: '5m', concurrency: 1, approval: { required: false, ttl: '30m' } };
export const DEFAULT_BLAST_RADIUS = { max: 20, per: '10m' } as const;

export function resolveSettings(spec: SettingsSpec | undefined): ResolvedSettings {
  const blast = spec?.blastRadius ?? DEFAULT_BLAST_RADIUS;
  return {
    paused: spec?.paused ?? false,
    dryRun: spec?.dryRun ?? false,
    blastRadius: { max: blast.max, perMs: ms(blast.per) },
    stormBreaker: spec?.stormBreaker ? resolveStormBreaker(spec.stormBreaker, spec) : null,
    maintenanceWindows: (spec?.maintenanceWindows ?? []).map((w) => ({ start: Date.parse(w.start), end: Date.parse(w.end), reason: w.reason ?? '' })),
    prometheus: spec?.prometheus
      ? {
          url: spec.prometheus.url,
          timeoutMs: spec.prometheus.timeout ? ms(spec.prometheus.timeout) : DEFAULT_ENRICHMENT_TIMEOUT_MS,
          bearerToken: spec.prometheus.bearerToken ?? null,
          basicAuth: spec.prometheus.basicAuth ?? null,
        }
      : null,
    outbound: { allowHosts: Object.freeze([...(spec?.outbound?.allowHosts ?? [])]), pagerdutyEventsUrl: spec?.pagerduty?.eventsUrl ?? null },
    kubernetes: { allowControlPlane: spec?.kubernetes?.allowControlPlane ?? false, namespaces: spec?.kubernetes?.namespaces ?? null },
    minHealthy: resolveMinHealthy(spec?.minHealthy),
    protected: resolveProtected(spec?.protected),
  };
}

/** The name of the storm breaker's notification when homeostat.yaml gives none. */
export const STORM_NOTIFY_NAME = 'storm-summary';

function resolveStormBreaker(breaker: NonNullable<SettingsSpec['stormBreaker']>, spec: SettingsSpec): StormBreakerSettings {
  const { name, ...notify } = breaker.notify;
  return {
    alerts: breaker.alerts ?? null,
    targets: breaker.targets ?? null,
    perMs: ms(breaker.per),
    quietForMs: ms(breaker.quietFor),
    per: breaker.per,
    quietFor: breaker.quietFor,
    notify: compileAction({ name: name ?? STORM_NOTIFY_NAME, ...notify }, spec),
  };
}

export function ms(duration: string): number {
  const value = parseDuration(duration);
  if (value === null) throw new Error(`invalid duration ${duration} reached the compiler`);
  return value;
}

export function resolveGuards(own: Guards | undefined, defaults: Guards | undefined): ResolvedGuards {
  const g = { ...DEFAULT_GUARDS, ...defaults, ...own };
  const approval = { ...DEFAULT_GUARDS.approval, ...defaults?.approval, ...own?.approval };
  const window = g.window;
  return {
    cooldownMs: ms(g.cooldown ?? '0s'),
    rateLimit: g.rateLimit ? { max: g.rateLimit.max, perMs: ms(g.rateLimit.per) } : null,
    concurrency: g.concurrency ?? 1,
    approval: { required: approval.required ?? false, ttlMs: ms(approval.ttl ?? '30m') },
    window: window
      ? { days: window.days ?? ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], between: parseBetween(window.between ?? '00:00-24:00')!, timezone: window.timezone ?? 'UTC' }
      : null,
  };
}

function matcherCondition(label: string, matcher: Matcher): NestedCondition {
  const fact = { fact: 'labels', path: label };
  if (typeof matcher === 'string') return { ...fact, operator: 'equal', value: matcher };
  if (Array.isArray(matcher)) return { ...fact, operator: 'in', value: [...matcher] };
  const [operator, value] = Object.entries(matcher)[0] as [string, unknown];
  return { ...fact, operator, value } as NestedCondition;
}

function matcherTest(matcher: Matcher): LabelPredicate {
  if (typeof matcher === 'string') return (v) => v === matcher;
  if (Array.isArray(matcher)) return oneOf(matcher);
  const [operator, value] = Object.entries(matcher)[0] as [string, unknown];
  switch (operator) {
    case 'regex': return fullMatcher(value as string);
    case 'notRegex': { const test = fullMatcher(value as string); return (v) => !test(v); }
    case 'in': return oneOf(value as string[]);
    case 'notIn': { const test = oneOf(value as string[]); return (v) => !test(v); }
    case 'notEqual': return (v) => v !== value;
    case 'exists': return (v) => (v !== '') === value;
    default: throw new Error(`matcher operator ${operator} reached the compiler`);
  }
}

/** A few values are looked up faster, and kept smaller, in an array than in a Set. */
function oneOf(values: readonly string[]): LabelPredicate {
  if (values.length <= 8) return (v) => values.includes(v);
  const set = new Set(values);
  return (v) => set.has(v);
}

function isCostly(matcher: Matcher): boolean {
  return typeof matcher === 'object' && !Array.isArray(matcher) && ('regex' in matcher || 'notRegex' in matcher);
}

/** The queries of `prometheus` conditions written in `when` itself (params.query), each once. */
function conditionQueries(condition: Condition | undefined, found: Set<string>): Set<string> {
  if (!condition) return found;
  const query = (condition.params as { query?: unknown } | undefined)?.query;
  if (condition.fact === 'prometheus' && typeof query === 'string') found.add(query);
  for (const c of [...(condition.all ?? []), ...(condition.any ?? []), ...(condition.not ? [condition.not] : [])]) conditionQueries(c, found);
  return found;
}

function compileEnrichment(name: string | null, source: string): CompiledEnrichment {
  const { template } = compilePromql(source);
  if (!template) throw new Error(`query ${source} with problems reached the compiler`);
  return { name, source, query: template };
}

function enrichmentOf(spec: Policy['spec']): CompiledEnrichment[] {
  const named = (spec.enrich ?? []).map((e) => compileEnrichment(e.name, e.query));
  const inline = [...conditionQueries(spec.when, new Set())].map((q) => compileEnrichment(null, q));
  return [...named, ...inline];
}

/** A notify action runs after these outcomes of its parent unless its `on` says otherwise. */
export const DEFAULT_NOTIFY_ON: readonly NotifyOn[] = Object.freeze(['succeeded', 'failed', 'timed_out'] as const);
const NO_NOTIFY: readonly CompiledNotify[] = Object.freeze([]);

export function compileAction(action: Action, settings: SettingsSpec | undefined): CompiledAction {
  const fields = action as unknown as Record<string, unknown>;
  const type = actionTypeOf(fields)[0]!;
  const written = fields[type] as Record<string, unknown>;
  const inventory = settings?.defaults?.ansible?.inventory;
  const raw = type === 'ansible' && written.inventory === undefined && inventory ? { ...written, inventory } : written;
  const templates = new Map<string, CompiledTemplate>();
  forEachTemplate(raw, ACTION_TYPES.get(type)!.literalFields, (value, at) => {
    if (hasTemplateSyntax(value)) templates.set(pointerOf(at), compileTemplate(value).template);
  });
  return {
    name: action.name,
    type,
    raw,
    templates,
    timeoutMs: action.timeout ? ms(action.timeout) : DEFAULT_ACTION_TIMEOUT_MS,
    dryRun: action.dryRun ?? false,
    disruptsNode: action.disruptsNode ?? (type === 'kubernetes' && ('cordon' in written || 'drain' in written)),
    notify: action.notify?.length ? action.notify.map((n) => ({ ...compileAction(n, settings), on: n.on ?? DEFAULT_NOTIFY_ON })) : NO_NOTIFY,
  };
}

/**
 * A copy of a parsed document whose strings are its own. The YAML parser's strings are slices
 * of the file's text, and V8 keeps the whole text alive for as long as one slice lives: a
 * compiled policy would hold its source file for as long as it is active.
 */
function ownStrings<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** The statuses a policy acts on, shared: a policy set holds one of three. */
const STATUSES = {
  firing: Object.freeze(['firing'] as const),
  resolved: Object.freeze(['resolved'] as const),
  any: Object.freeze(['firing', 'resolved'] as const),
};

export function compilePolicy(parsed: Policy, source: { file: string; line: number }, settings: SettingsSpec | undefined): CompiledPolicy {
  const policy = ownStrings(parsed);
  const spec = policy.spec;
  const on = spec.on ?? 'firing';
  const onResolved = spec.onResolved ?? [];
  const statuses = onResolved.length && on === 'firing' ? STATUSES.any : STATUSES[on];
  const priority = spec.priority ?? DEFAULT_PRIORITY;
  const name = policy.metadata.name;
  const match = Object.freeze(spec.match);
  const when = (spec.when as NestedCondition | undefined) ?? null;
  new Rule(wholeRule(name, priority, statuses, match, when)); // json-rules-engine's own shape checks, now rather than at the first alert
  // The pre-filter tries cheap tests first: equality and sets before regexes.
  const byCost = Object.entries(match).sort(([, a], [, b]) => Number(isCostly(a)) - Number(isCostly(b)));
  return {
    name,
    priority,
    on,
    source,
    statuses,
    match,
    matchers: byCost.map(([label, m]) => [label, matcherTest(m)] as const),
    whenRule: when ? { name, priority, conditions: { all: [when] }, event: { type: 'policy', params: { policy: name } } } : null,
    whenTest: when ? compileCondition(when) : null,
    enrich: enrichmentOf(spec),
    target: spec.target ? compileTemplate(spec.target).template : null,
    actions: spec.actions.map((a) => compileAction(a, settings)),
    onResolved: onResolved.map((a) => compileAction(a, settings)),
    guards: resolveGuards(spec.guards, settings?.defaults?.guards),
    dryRun: spec.dryRun ?? false,
  };
}

function wholeRule(name: string, priority: number, statuses: readonly AlertStatus[], match: Readonly<Record<string, Matcher>>, when: NestedCondition | null): RuleProperties {
  const all: NestedCondition[] = [
    { fact: 'alert', path: 'status', operator: 'in', value: [...statuses] },
    ...Object.entries(match).map(([label, m]) => matcherCondition(label, m)),
  ];
  if (when) all.push(when);
  return { name, priority, conditions: { all } as TopLevelCondition, event: { type: 'policy', params: { policy: name } } };
}

const rules = new WeakMap<CompiledPolicy, RuleProperties>();

/**
 * A policy's whole json-rules-engine rule: status + match + when (what `explain` runs). Built
 * when first asked for, not at compile time: the pre-filter and `whenRule` decide alerts, and
 * a large set would otherwise hold a rule per policy that only `explain` reads.
 */
export function ruleOf(policy: CompiledPolicy): RuleProperties {
  let rule = rules.get(policy);
  if (!rule) {
    const when = policy.whenRule ? (policy.whenRule.conditions as { all: NestedCondition[] }).all[0]! : null;
    rule = wholeRule(policy.name, policy.priority, policy.statuses, policy.match, when);
    rules.set(policy, rule);
  }
  return rule;
}
