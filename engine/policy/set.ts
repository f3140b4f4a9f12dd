import type { CompiledPolicy, PolicySet, ResolvedSettings } from './types.js';

/** Higher priority first; ties by name. */
export function comparePolicies(a: CompiledPolicy, b: CompiledPolicy): number {
  return b.priority - a.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/**
 * Freezes compiled policies into a set indexed by alertname, so an alert is evaluated only
 * against the policies that can match it.
 */
export function buildPolicySet(policies: readonly CompiledPolicy[], settings: ResolvedSettings, revision: string): PolicySet {
  const sorted = [...policies].sort(comparePolicies).map(freezePolicy);
  const anyAlertname = sorted.filter((p) => p.alertnames === null);
  const byAlertname = new Map<string, CompiledPolicy[]>();
  for (const policy of sorted) {
    for (const name of policy.alertnames ?? []) {
      if (!byAlertname.has(name)) byAlertname.set(name, []);
      byAlertname.get(name)!.push(policy);
    }
  }
  for (const [name, list] of byAlertname) {
    byAlertname.set(name, Object.freeze([...list, ...anyAlertname].sort(comparePolicies)) as CompiledPolicy[]);
  }
  return Object.freeze({
    revision,
    policies: Object.freeze(sorted),
    settings: Object.freeze(settings),
    byAlertname,
    anyAlertname: Object.freeze(anyAlertname),
  });
}

function freezePolicy(policy: CompiledPolicy): CompiledPolicy {
  for (const action of [...policy.actions, ...policy.onResolved]) Object.freeze(action);
  Object.freeze(policy.actions);
  Object.freeze(policy.onResolved);
  Object.freeze(policy.matchers);
  Object.freeze(policy.guards);
  return Object.freeze(policy);
}

/** The policies an alert with this alertname can match, best first. */
export function candidatesFor(set: PolicySet, alertname: string): readonly CompiledPolicy[] {
  return set.byAlertname.get(alertname) ?? set.anyAlertname;
}
