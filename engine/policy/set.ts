import type { LabelMap } from '../alerts/labels.js';
import type { Matcher } from '../generated/schema-types.js';
import { labelValue } from '../alerts/labels.js';
import type { CompiledPolicy, PolicySet, ResolvedSettings } from './types.js';

/** Higher priority first; ties by name. */
export function comparePolicies(a: CompiledPolicy, b: CompiledPolicy): number {
  return b.priority - a.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/**
 * Freezes compiled policies into a set indexed by label value, so an alert is evaluated only
 * against the policies that can match it. A policy is indexed under the equality label
 * (alertname or another) whose values the fewest other policies share, so no bucket grows
 * with the size of the set; only a policy with no equality at all is tried for every alert.
 */
export function buildPolicySet(policies: readonly CompiledPolicy[], settings: ResolvedSettings, revision: string): PolicySet {
  const sorted = [...policies].sort(comparePolicies).map(freezePolicy);
  const shared = new Map<string, number>();
  const key = (label: string, value: string) => `${label}\0${value}`;
  for (const policy of sorted) {
    for (const [label, values] of equalitiesOf(policy)) for (const value of values) shared.set(key(label, value), (shared.get(key(label, value)) ?? 0) + 1);
  }
  const index = new Map<string, Map<string, CompiledPolicy[]>>();
  const unindexed: CompiledPolicy[] = [];
  for (const policy of sorted) {
    const chosen = chooseKey(policy, (label, value) => shared.get(key(label, value)) ?? 0);
    if (!chosen) {
      unindexed.push(policy);
      continue;
    }
    const [label, values] = chosen;
    if (!index.has(label)) index.set(label, new Map());
    const byValue = index.get(label)!;
    for (const value of values) {
      if (!byValue.has(value)) byValue.set(value, []);
      byValue.get(value)!.push(policy);
    }
  }
  for (const byValue of index.values()) for (const list of byValue.values()) Object.freeze(list);
  return Object.freeze({
    revision,
    policies: Object.freeze(sorted),
    settings: Object.freeze(settings),
    index,
    unindexed: Object.freeze(unindexed),
    rank: new Map(sorted.map((p, i) => [p, i])),
  });
}

/** Labels a policy requires to be one of a few values (equals, one of, in): what the index can key on. */
export function equalitiesOf(policy: CompiledPolicy): (readonly [string, readonly string[]])[] {
  return Object.entries(policy.match).flatMap(([label, m]) => {
    const values = valuesOf(m);
    return values ? [[label, values] as const] : [];
  });
}

function valuesOf(matcher: Matcher): readonly string[] | null {
  if (typeof matcher === 'string') return [matcher];
  if (Array.isArray(matcher)) return [...new Set(matcher)];
  if ('in' in matcher && matcher.in) return [...new Set(matcher.in)];
  return null;
}

function chooseKey(policy: CompiledPolicy, shared: (label: string, value: string) => number): readonly [string, readonly string[]] | null {
  let best: readonly [string, readonly string[]] | null = null;
  let bestCost = Infinity;
  for (const equality of equalitiesOf(policy)) {
    const cost = [...equality[1]].reduce((sum, value) => sum + shared(equality[0], value), 0);
    if (cost < bestCost) [best, bestCost] = [equality, cost];
  }
  return best;
}

function freezePolicy(policy: CompiledPolicy): CompiledPolicy {
  for (const action of [...policy.actions, ...policy.onResolved]) Object.freeze(action);
  Object.freeze(policy.actions);
  Object.freeze(policy.onResolved);
  Object.freeze(policy.matchers);
  Object.freeze(policy.guards);
  return Object.freeze(policy);
}

/** The policies an alert can match, best first: one look-up per indexed label. */
export function candidatesFor(set: PolicySet, labels: LabelMap): readonly CompiledPolicy[] {
  const lists: (readonly CompiledPolicy[])[] = [];
  for (const [label, byValue] of set.index) {
    const list = byValue.get(labelValue(labels, label));
    if (list) lists.push(list);
  }
  if (set.unindexed.length) lists.push(set.unindexed);
  if (lists.length <= 1) return lists[0] ?? [];
  return lists.flat().sort((a, b) => set.rank.get(a)! - set.rank.get(b)!);
}
