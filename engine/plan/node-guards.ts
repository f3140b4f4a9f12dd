/**
 * The node guards, pure: `protected` (targets no action that changes a system may touch) and
 * `min-healthy` (a node-disruptive action may not leave fewer healthy nodes than
 * homeostat.yaml's minHealthy). What they know of the nodes — which are healthy, which the
 * cluster protects, which actions are queued or running — is read before the decision
 * (engine/health/) and handed in as GuardFacts: the check itself does no I/O, in `serve` and
 * in `simulate` alike.
 */
import { ACTION_TYPES } from '../actions/registry.js';
import type { Match } from '../policy/evaluate.js';
import type { CompiledAction, ResolvedSettings } from '../policy/types.js';
import { requiredNodes } from '../policy/node-settings.js';
import { matchingPattern } from '../policy/target-pattern.js';
import { formatDuration } from '../util/duration.js';
import type { GuardLedger, LedgerEntry } from './ledger.js';

/** A node as a source reports it; `aliases` are every name a target may give it (its name, addresses, host without port). */
export interface HealthNode {
  name: string;
  healthy: boolean;
  aliases: readonly string[];
}

export interface NodeHealth {
  /** Where it was read, for reasons: 'the Kubernetes API', 'Prometheus query up{job="node"}', 'inventory inventory/hosts.ini'. */
  source: string;
  nodes: readonly HealthNode[];
  byAlias: ReadonlyMap<string, HealthNode>;
}

/** A node the cluster protects (control plane, protected.selector), and why. */
export interface ProtectedNode {
  name: string;
  aliases: readonly string[];
  why: string;
}

export type Reading<T> = { ok: true; value: T } | { ok: false; reason: string };

/** A node-disruptive action queued or running in the executor. */
export interface UnderAction {
  policy: string;
  action: string;
  target: string;
  /** Other names of its node (touchedNames of its parameters). */
  touches?: readonly string[];
  state: 'queued' | 'running';
}

/** What the node guards know of the world at a decision, read before it (engine/health/). */
export interface GuardFacts {
  /** Absent: not read (no minHealthy, or nothing node-disruptive to decide). */
  health?: Reading<NodeHealth>;
  /** Absent: no cluster to ask (none configured, or simulate without --kubeconfig). */
  protectedNodes?: Reading<ReadonlyMap<string, ProtectedNode>>;
  underAction?: readonly UnderAction[];
}

/** What the node guards read of a decision (a part of plan/guards.ts's GuardContext). */
export interface NodeGuardContext {
  policy: { name: string };
  target: string;
  disruptive: boolean;
  /** One of its actions takes its node out of service. */
  nodeDisruptive?: boolean;
  /** Other names its actions act on: a kubernetes node (name or address), an ansible limit. */
  touches?: readonly string[];
  facts?: GuardFacts;
  settings: ResolvedSettings;
  ledger: GuardLedger;
  now: number;
}

/** Holders listed in a refusal; more are counted. */
const HOLDERS_LISTED = 10;

/** An index of nodes by every alias. */
export function byAlias<T extends { aliases: readonly string[] }>(nodes: readonly T[]): Map<string, T> {
  const index = new Map<string, T>();
  for (const node of nodes) for (const alias of node.aliases) if (!index.has(alias)) index.set(alias, node);
  return index;
}

/** The names, besides the target, that rendered parameters act on: a kubernetes node, an ansible limit. */
export function touchedNames(type: string, params: Record<string, unknown>): string[] {
  if (type === 'ansible') return typeof params.limit === 'string' ? [params.limit] : [];
  if (type !== 'kubernetes') return [];
  const names: string[] = [];
  for (const operation of Object.values(params)) {
    const node = (operation as { node?: unknown } | null)?.node;
    if (typeof node === 'string') names.push(node);
    else if (node && typeof node === 'object' && typeof (node as { address?: unknown }).address === 'string') names.push((node as { address: string }).address);
  }
  return names;
}

/** What a ledger entry remembers of a node-disruptive decision: that it is one, and the other names of its node. */
export function nodeMark(nodeDisruptive: boolean, touches: readonly string[]): Pick<LedgerEntry, 'node' | 'touches'> {
  if (!nodeDisruptive) return {};
  return touches.length ? { node: true, touches: [...new Set(touches)] } : { node: true };
}

export function protectedRefusal(c: NodeGuardContext): string | null {
  if (!c.disruptive) return null;
  const names = [c.target, ...(c.touches ?? [])];
  for (const name of names) {
    const pattern = matchingPattern(c.settings.protected.targets, name);
    if (pattern) return `protected: ${name} matches protected target '${pattern.written}' of homeostat.yaml`;
  }
  const reading = c.facts?.protectedNodes;
  const selector = c.settings.protected.selector;
  if (!reading || !reading.ok) {
    // The control-plane default is also enforced by the kubernetes action when it runs; a
    // selector the operator wrote is only enforced here, so it fails closed.
    if (!selector) return null;
    return `protected: the nodes of protected.selector '${selector.text}' cannot be known: ${reading ? reading.reason : 'no cluster to read them from'}; actions that change a system are refused (fails closed)`;
  }
  for (const name of names) {
    const node = reading.value.get(name);
    if (node) return `protected: ${name === node.name ? `node ${name}` : `${name} is node ${node.name}, which`} ${node.why}`;
  }
  return null;
}

export function minHealthyRefusal(c: NodeGuardContext): string | null {
  const settings = c.settings.minHealthy;
  if (!settings || !c.nodeDisruptive) return null;
  const reading = c.facts?.health;
  if (!reading) return 'min-healthy: node health was not read for this decision; node-disruptive actions are refused (fails closed)';
  if (!reading.ok) return `min-healthy: ${reading.reason}; node-disruptive actions are refused until it can be read (fails closed)`;
  const health = reading.value;
  const healthy = health.nodes.filter((n) => n.healthy).length;
  const needed = requiredNodes(settings, health.nodes.length);
  // Each distinct node under action that the source still counts healthy (or does not know: a
  // target it cannot place is taken for one) leaves the budget once.
  const taken = new Map<string, string>();
  const take = (names: readonly string[], holder: string | null) => {
    const node = names.map((n) => health.byAlias.get(n)).find((n) => n !== undefined);
    if (node && !node.healthy) return;
    const key = node ? node.name : `\0${names[0]}`;
    if (!taken.has(key)) taken.set(key, holder ?? '');
  };
  const holders = holdersOf(c, settings.windowMs);
  for (const h of holders) take(h.names, h.label);
  take([c.target, ...(c.touches ?? [])], null);
  const stay = healthy - taken.size;
  if (stay >= needed) return null;
  const held = [...taken.values()].filter((label) => label !== '');
  const list = held.length === 0 ? 'no other action' : `${held.slice(0, HOLDERS_LISTED).join(', ')}${held.length > HOLDERS_LISTED ? ` and ${held.length - HOLDERS_LISTED} more` : ''}`;
  return `min-healthy: ${healthy} of ${health.nodes.length} nodes healthy (${health.source}), ${needed} must stay healthy (minHealthy ${settings.written}); with ${c.policy.name} on ${c.target} only ${stay} would stay healthy; the budget is held by ${list}`;
}

interface Holder {
  names: readonly string[];
  label: string;
}

/** The node-disruptive actions queued or running, then those decided within the window, newest first. */
function holdersOf(c: NodeGuardContext, windowMs: number): Holder[] {
  const holders: Holder[] = [];
  for (const u of c.facts?.underAction ?? []) holders.push({ names: [u.target, ...(u.touches ?? [])], label: `${u.policy}/${u.action} on ${u.target} (${u.state})` });
  const decided: readonly LedgerEntry[] = c.ledger.nodeDisruptions?.(c.now - windowMs) ?? [];
  for (let i = decided.length - 1; i >= 0; i--) {
    const e = decided[i]!;
    const ago = c.now - e.at;
    holders.push({ names: [e.target, ...(e.touches ?? [])], label: `${e.policy} on ${e.target} (decided ${ago <= 0 ? 'just now' : `${formatDuration(ago)} ago`})` });
  }
  return holders;
}

/**
 * What the node guards will need read for these matches: health when one of their phases has
 * a node-disruptive action and minHealthy is set, protection when one has an action that
 * changes a system. Nothing is read for a payload that needs neither.
 */
export function factsNeeded(settings: ResolvedSettings, matches: Iterable<readonly Match[]>): { health: boolean; protection: boolean } {
  const needs = { health: false, protection: false };
  for (const list of matches) {
    for (const { policy, phases } of list) {
      for (const phase of phases) {
        for (const action of phase === 'actions' ? policy.actions : policy.onResolved) {
          if (action.disruptsNode && settings.minHealthy) needs.health = true;
          if (ACTION_TYPES.get(action.type)!.disruptive) needs.protection = true;
        }
      }
      if (needs.health && needs.protection) return needs;
    }
  }
  return needs;
}

/** The same for routine jobs' runs (kind Schedule). */
export function scheduleFactsNeeded(settings: ResolvedSettings, schedules: readonly { actions: readonly CompiledAction[] }[]): { health: boolean; protection: boolean } {
  const actions = schedules.flatMap((s) => s.actions);
  return {
    health: settings.minHealthy !== null && actions.some((a) => a.disruptsNode),
    protection: actions.some((a) => ACTION_TYPES.get(a.type)!.disruptive),
  };
}
