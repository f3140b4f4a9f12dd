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
import type { GuardLedger, LedgerEntry, NodeDisruptions } from './ledger.js';

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
  /**
   * Policy tests (`homeostat test`, and the tests a revision must pass to be activated): there
   * is no fleet to read, and the guards that need one pass, as every node healthy and none
   * protected by the cluster would; protected target patterns are still checked.
   */
  offline?: true;
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
  if (!reading && c.facts?.offline) return null;
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
  if (!reading && c.facts?.offline) return null;
  if (!reading) return 'min-healthy: node health was not read for this decision; node-disruptive actions are refused (fails closed)';
  if (!reading.ok) return `min-healthy: ${reading.reason}; node-disruptive actions are refused until it can be read (fails closed)`;
  const health = reading.value;
  const healthy = healthyCount(health);
  const needed = requiredNodes(settings, health.nodes.length);
  const under = c.facts!.underAction ?? [];
  const decided = c.ledger.nodeDisruptions?.(c.now - settings.windowMs) ?? { entries: [], from: 0 };
  // Were every holder a node of its own, still healthy, the budget would hold: no need to look closer.
  if (healthy - under.length - (decided.entries.length - decided.from) - 1 >= needed) return null;
  const taken = budgetOf(c.facts!, health, under, decided);
  const own = nodeKey(health, c.target, c.touches);
  const stay = healthy - taken.size - (own === null || taken.has(own) ? 0 : 1);
  if (stay >= needed) return null;
  const held = [...taken.values()];
  const named = held.slice(0, HOLDERS_LISTED).map((h) => holderLabel(h, c.now)).join(', ');
  const list = held.length === 0 ? 'no other action' : `${named}${held.length > HOLDERS_LISTED ? ` and ${held.length - HOLDERS_LISTED} more` : ''}`;
  return `min-healthy: ${healthy} of ${health.nodes.length} nodes healthy (${health.source}), ${needed} must stay healthy (minHealthy ${settings.written}); with ${c.policy.name} on ${c.target} only ${stay} would stay healthy; the budget is held by ${list}`;
}

/**
 * The node a target (or the other names of its node) is, as a key: its name, or the target
 * itself when the source does not know it (taken for one healthy node, the safe guess); null
 * when the source counts it unhealthy already, so that acting on it takes nothing more.
 */
function nodeKey(health: NodeHealth, target: string, touches: readonly string[] | undefined): string | null {
  let node = health.byAlias.get(target);
  for (let i = 0; node === undefined && touches && i < touches.length; i++) node = health.byAlias.get(touches[i]!);
  if (node && !node.healthy) return null;
  return node ? node.name : `\0${target}`;
}

/** The nodes held out of the budget, by key, with the first action holding each. */
interface Budget {
  health: NodeHealth;
  entries: readonly LedgerEntry[];
  from: number;
  /** How many entries are counted, and the last of them (an entry put before it invalidates the count). */
  to: number;
  last: LedgerEntry | undefined;
  taken: Map<string, Holder>;
}

/**
 * One budget per reading of the facts (the engine gives each payload its own): the decisions
 * of a storm add what they decide to it instead of going over every holder again, so a
 * refusal costs a lookup, not a pass over the fleet.
 */
const budgets = new WeakMap<GuardFacts, Budget>();

function budgetOf(facts: GuardFacts, health: NodeHealth, under: readonly UnderAction[], decided: NodeDisruptions): Map<string, Holder> {
  let budget = budgets.get(facts);
  const valid = budget && budget.health === health && budget.entries === decided.entries && budget.from === decided.from && budget.to <= decided.entries.length && decided.entries[budget.to - 1] === budget.last;
  if (!valid) {
    budget = { health, entries: decided.entries, from: decided.from, to: decided.from, last: undefined, taken: new Map() };
    for (const u of under) take(budget, u.target, u.touches, u);
    budgets.set(facts, budget);
  }
  for (let i = budget!.to; i < decided.entries.length; i++) take(budget!, decided.entries[i]!.target, decided.entries[i]!.touches, decided.entries[i]!);
  budget!.to = decided.entries.length;
  budget!.last = decided.entries[decided.entries.length - 1];
  return budget!.taken;
}

function take(budget: Budget, target: string, touches: readonly string[] | undefined, holder: Holder): void {
  const key = nodeKey(budget.health, target, touches);
  if (key !== null && !budget.taken.has(key)) budget.taken.set(key, holder);
}

const counted = new WeakMap<NodeHealth, number>();

/** A reading's healthy nodes, counted once: every decision of a storm reads the same reading. */
function healthyCount(health: NodeHealth): number {
  let n = counted.get(health);
  if (n === undefined) counted.set(health, (n = health.nodes.filter((node) => node.healthy).length));
  return n;
}

/** An action holding a node out of the budget: queued or running (the executor's), or decided within the window (the ledger's). */
type Holder = UnderAction | LedgerEntry;

function holderLabel(h: Holder, now: number): string {
  if ('state' in h) return `${h.policy}/${h.action} on ${h.target} (${h.state})`;
  const ago = now - h.at;
  return `${h.policy} on ${h.target} (decided ${ago <= 0 ? 'just now' : `${formatDuration(ago)} ago`})`;
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
