/**
 * Compiles a valid Policy document into its json-rules-engine rule and the pre-filter the
 * index uses. Pure: no I/O. Callers run the schema and the checks first.
 */
import { Rule } from 'json-rules-engine';
import type { NestedCondition, RuleProperties, TopLevelCondition } from 'json-rules-engine';
import type { Action, Condition, Guards, Matcher, Policy, SettingsSpec } from '../generated/schema-types.js';
import { ACTION_TYPES, actionTypeOf } from '../actions/registry.js';
import { fullMatch } from '../regex/re2.js';
import { compileTemplate } from '../template/template.js';
import type { CompiledTemplate } from '../template/template.js';
import { parseDuration } from '../util/duration.js';
import { forEachTemplate } from './checks.js';
import { pointerOf } from '../diagnostics/diagnostic.js';
import type { AlertStatus, CompiledAction, CompiledPolicy, LabelPredicate, ResolvedGuards, ResolvedSettings } from './types.js';
import { parseBetween } from './window.js';

export const DEFAULT_PRIORITY = 50;
export const DEFAULT_ACTION_TIMEOUT_MS = 10 * 60_000;

/** The safe defaults that hold without a homeostat.yaml. */
export const DEFAULT_GUARDS: Guards = { cooldown: '5m', concurrency: 1, approval: { required: false, ttl: '30m' } };
export const DEFAULT_BLAST_RADIUS = { max: 20, per: '10m' } as const;

export function resolveSettings(spec: SettingsSpec | undefined): ResolvedSettings {
  const blast = spec?.blastRadius ?? DEFAULT_BLAST_RADIUS;
  return {
    paused: spec?.paused ?? false,
    dryRun: spec?.dryRun ?? false,
    blastRadius: { max: blast.max, perMs: ms(blast.per) },
    maintenanceWindows: (spec?.maintenanceWindows ?? []).map((w) => ({ start: Date.parse(w.start), end: Date.parse(w.end), reason: w.reason ?? '' })),
  };
}

function ms(duration: string): number {
  const value = parseDuration(duration);
  if (value === null) throw new Error(`invalid duration ${duration} reached the compiler`);
  return value;
}

function resolveGuards(own: Guards | undefined, defaults: Guards | undefined): ResolvedGuards {
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

function matcherCondition(label: string, matcher: Matcher): { condition: NestedCondition; test: LabelPredicate } {
  const fact = { fact: 'labels', path: label };
  if (typeof matcher === 'string') return { condition: { ...fact, operator: 'equal', value: matcher }, test: (v) => v === matcher };
  if (Array.isArray(matcher)) {
    const set = new Set(matcher);
    return { condition: { ...fact, operator: 'in', value: [...matcher] }, test: (v) => set.has(v) };
  }
  const [operator, value] = Object.entries(matcher)[0] as [string, unknown];
  const condition = { ...fact, operator, value } as NestedCondition;
  switch (operator) {
    case 'regex': return { condition, test: (v) => fullMatch(value as string, v) };
    case 'notRegex': return { condition, test: (v) => !fullMatch(value as string, v) };
    case 'in': { const set = new Set(value as string[]); return { condition, test: (v) => set.has(v) }; }
    case 'notIn': { const set = new Set(value as string[]); return { condition, test: (v) => !set.has(v) }; }
    case 'notEqual': return { condition, test: (v) => v !== value };
    case 'exists': return { condition, test: (v) => (v !== '') === value };
    default: throw new Error(`matcher operator ${operator} reached the compiler`);
  }
}

function cost(condition: NestedCondition): number {
  const operator = (condition as { operator?: string }).operator;
  return operator === 'regex' || operator === 'notRegex' ? 1 : 0;
}

function valuesOf(matcher: Matcher): ReadonlySet<string> | null {
  if (typeof matcher === 'string') return new Set([matcher]);
  if (Array.isArray(matcher)) return new Set(matcher);
  if ('in' in matcher && matcher.in) return new Set(matcher.in);
  return null;
}

function usesFact(condition: Condition | undefined, fact: string): boolean {
  if (!condition) return false;
  if (condition.fact === fact) return true;
  return [...(condition.all ?? []), ...(condition.any ?? []), ...(condition.not ? [condition.not] : [])].some((c) => usesFact(c, fact));
}

function compileAction(action: Action, settings: SettingsSpec | undefined): CompiledAction {
  const fields = action as unknown as Record<string, unknown>;
  const type = actionTypeOf(fields)[0]!;
  const written = fields[type] as Record<string, unknown>;
  const inventory = settings?.defaults?.ansible?.inventory;
  const raw = type === 'ansible' && written.inventory === undefined && inventory ? { ...written, inventory } : written;
  const templates = new Map<string, CompiledTemplate>();
  forEachTemplate(raw, ACTION_TYPES.get(type)!.literalFields, (value, at) => {
    templates.set(pointerOf(at), compileTemplate(value).template);
  });
  return {
    name: action.name,
    type,
    raw,
    templates,
    timeoutMs: action.timeout ? ms(action.timeout) : DEFAULT_ACTION_TIMEOUT_MS,
    dryRun: action.dryRun ?? false,
  };
}

export function compilePolicy(policy: Policy, source: { file: string; line: number }, settings: SettingsSpec | undefined): CompiledPolicy {
  const spec = policy.spec;
  const on = spec.on ?? 'firing';
  const onResolved = spec.onResolved ?? [];
  const statuses = new Set<AlertStatus>(on === 'any' ? ['firing', 'resolved'] : [on]);
  if (onResolved.length) statuses.add('resolved');
  const compiledMatchers = Object.entries(spec.match).map(([label, m]) => [label, matcherCondition(label, m)] as const);
  // The pre-filter tries cheap tests first: equality and sets before regexes.
  const byCost = [...compiledMatchers].sort(([, a], [, b]) => cost(a.condition) - cost(b.condition));
  const all: NestedCondition[] = [
    { fact: 'alert', path: 'status', operator: 'in', value: [...statuses] },
    ...compiledMatchers.map(([, m]) => m.condition),
  ];
  if (spec.when) all.push(spec.when as NestedCondition);
  const priority = spec.priority ?? DEFAULT_PRIORITY;
  const conditions: TopLevelCondition = { all };
  const rule: RuleProperties = { name: policy.metadata.name, priority, conditions, event: { type: 'policy', params: { policy: policy.metadata.name } } };
  new Rule(rule); // json-rules-engine's own shape checks, now rather than at the first alert
  const whenRule: RuleProperties | null = spec.when
    ? { name: policy.metadata.name, priority, conditions: { all: [spec.when as NestedCondition] }, event: rule.event }
    : null;
  const actions = spec.actions.map((a) => compileAction(a, settings));
  const resolvedActions = onResolved.map((a) => compileAction(a, settings));
  return {
    name: policy.metadata.name,
    priority,
    on,
    source,
    statuses,
    matchers: byCost.map(([label, m]) => [label, m.test] as const),
    equalities: Object.entries(spec.match).flatMap(([label, m]) => {
      const values = valuesOf(m);
      return values ? [[label, values] as const] : [];
    }),
    rule,
    whenRule,
    usesEnrichment: usesFact(spec.when, 'prometheus'),
    target: spec.target ? compileTemplate(spec.target).template : null,
    actions,
    onResolved: resolvedActions,
    guards: resolveGuards(spec.guards, settings?.defaults?.guards),
    dryRun: spec.dryRun ?? false,
  };
}
