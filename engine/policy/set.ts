import type { LabelMap } from '../alerts/labels.js';
import type { Matcher } from '../generated/schema-types.js';
import { labelValue } from '../alerts/labels.js';
import type { CompiledPolicy, CompiledSchedule, PolicySet, ResolvedSettings } from './types.js';

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
export function buildPolicySet(policies: readonly CompiledPolicy[], settings: ResolvedSettings, revision: string, schedules: readonly CompiledSchedule[] = []): PolicySet {
  const sorted = [...policies].sort(comparePolicies).map(freezePolicy);
  const equalities = sorted.map(equalitiesOf);
  // label → value → how many policies require it
  const shared = new Map<string, Map<string, number>>();
  for (const list of equalities) {
    for (const [label, values] of list) {
      let byValue = shared.get(label);
      if (!byValue) shared.set(label, (byValue = new Map()));
      for (const value of values) byValue.set(value, (byValue.get(value) ?? 0) + 1);
    }
  }
  const index = new Map<string, Map<string, CompiledPolicy[]>>();
  const unindexed: CompiledPolicy[] = [];
  sorted.forEach((policy, i) => {
    const chosen = chooseKey(equalities[i]!, (label, value) => shared.get(label)?.get(value) ?? 0);
    if (!chosen) {
      unindexed.push(policy);
      return;
    }
    const [label, values] = chosen;
    let byValue = index.get(label);
    if (!byValue) index.set(label, (byValue = new Map()));
    for (const value of values) {
      const list = byValue.get(value);
      if (list) list.push(policy);
      else byValue.set(value, [policy]);
    }
  });
  for (const byValue of index.values()) for (const list of byValue.values()) Object.freeze(list);
  return Object.freeze({
    revision,
    policies: Object.freeze(sorted),
    settings: Object.freeze(settings),
    schedules: Object.freeze([...schedules].sort((a, b) => (a.name < b.name ? -1 : 1)).map((s) => Object.freeze(s))),
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

function chooseKey(equalities: readonly (readonly [string, readonly string[]])[], shared: (label: string, value: string) => number): readonly [string, readonly string[]] | null {
  let best: readonly [string, readonly string[]] | null = null;
  let bestCost = Infinity;
  for (const equality of equalities) {
    let cost = 0;
    for (const value of equality[1]) cost += shared(equality[0], value);
    if (cost < bestCost) [best, bestCost] = [equality, cost];
  }
  return best;
}

function freezePolicy(policy: CompiledPolicy): CompiledPolicy {
  if (Object.isFrozen(policy)) return policy; // shared with the set of an earlier revision
  for (const action of [...policy.actions, ...policy.onResolved]) {
    for (const notify of action.notify) Object.freeze(notify);
    Object.freeze(action.notify);
    Object.freeze(action);
  }
  Object.freeze(policy.actions);
  Object.freeze(policy.onResolved);
  Object.freeze(policy.enrich);
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
