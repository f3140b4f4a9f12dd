/**
 * The decision diff: the same alerts, through the same pipeline, under two policy sets (a
 * pull request's base and head), compared alert by alert. Pure over the two simulations;
 * loading the revisions and running the simulations is the caller's (`homeostat diff`).
 *
 * Alerts are compared by their place in the timeline, not by fingerprint: a timeline holds the
 * same alert more than once (firing, then resolved, then firing again), and both sides saw the
 * same alerts in the same order.
 */
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { pointerOf } from '../diagnostics/diagnostic.js';
import type { Decision } from '../plan/decide.js';
import type { Phase } from '../policy/evaluate.js';
import type { Simulation } from './simulate.js';

export const CHANGE_KINDS = ['match-added', 'match-removed', 'action-added', 'action-removed', 'action-changed'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

/** What a decision says, on one side. */
export interface DecisionState {
  target: string | null;
  params: Record<string, unknown> | null;
  verdict: Decision['verdict'];
  reason: string | null;
  refusedBy: string | null;
}

export interface DecisionChange {
  kind: ChangeKind;
  policy: string;
  /** The alert's place in the alerts given (0-based), the same on both sides. */
  index: number;
  alert: Decision['alert'];
  /** The action, for action-* changes. */
  action?: { name: string; type: string; phase: Phase };
  base?: DecisionState;
  head?: DecisionState;
  /** For action-changed: what differs: target, verdict, refusedBy, and `params/…` pointers. */
  fields?: string[];
}

/** The fields of a decision compared; `reason` is shown, but its words (times, counts) are not compared. */
const COMPARED = ['target', 'verdict', 'refusedBy'] as const;

function stateOf(d: Decision): DecisionState {
  return { target: d.target, params: d.params, verdict: d.verdict, reason: d.reason, refusedBy: d.refusedBy };
}

/** Every leaf of a JSON value by its pointer, its value as JSON text. */
function leaves(value: unknown, path: (string | number)[] = [], into = new Map<string, string>()): Map<string, string> {
  if (value !== null && typeof value === 'object' && Object.keys(value).length > 0) {
    for (const [key, child] of Object.entries(value)) leaves(child, [...path, key], into);
  } else {
    into.set(pointerOf(path), JSON.stringify(value));
  }
  return into;
}

/** Deep equality of JSON values; most paired decisions have equal parameters, found without flattening them. */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) if (!Object.hasOwn(b, k) || !sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  return true;
}

/** The pointers (under `params`) at which two parameter maps differ, in order. */
export function paramChanges(base: Record<string, unknown> | null, head: Record<string, unknown> | null): string[] {
  if (sameJson(base, head)) return [];
  const a = leaves(base);
  const b = leaves(head);
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  return keys.filter((k) => a.get(k) !== b.get(k)).map((k) => `params${k}`);
}

function changedFields(a: Decision, b: Decision): string[] {
  return [...COMPARED.filter((f) => a[f] !== b[f]), ...paramChanges(a.params, b.params)];
}

function keyOf(d: Decision): string {
  return `${d.policy}\u0000${d.phase}\u0000${d.action}`;
}

/** Decisions of one alert by policy, phase and action; a repeated key gets its occurrence number. */
function byKey(decisions: readonly Decision[]): Map<string, Decision> {
  const map = new Map<string, Decision>();
  for (const d of decisions) {
    let key = keyOf(d);
    for (let n = 2; map.has(key); n++) key = `${keyOf(d)}\u0000${n}`;
    map.set(key, d);
  }
  return map;
}

function alertChanges(index: number, alert: Decision['alert'], base: readonly string[], head: readonly string[], baseDecisions: readonly Decision[], headDecisions: readonly Decision[]): DecisionChange[] {
  const changes: DecisionChange[] = [];
  const before = new Set(base);
  const after = new Set(head);
  for (const policy of head) if (!before.has(policy)) changes.push({ kind: 'match-added', policy, index, alert });
  for (const policy of base) if (!after.has(policy)) changes.push({ kind: 'match-removed', policy, index, alert });
  const a = byKey(baseDecisions);
  const b = byKey(headDecisions);
  const action = (d: Decision) => ({ name: d.action, type: d.type, phase: d.phase });
  for (const [key, d] of b) {
    const old = a.get(key);
    if (!old) {
      changes.push({ kind: 'action-added', policy: d.policy, index, alert: d.alert, action: action(d), head: stateOf(d) });
      continue;
    }
    const fields = changedFields(old, d);
    if (fields.length) changes.push({ kind: 'action-changed', policy: d.policy, index, alert: d.alert, action: action(d), base: stateOf(old), head: stateOf(d), fields });
  }
  for (const [key, d] of a) if (!b.has(key)) changes.push({ kind: 'action-removed', policy: d.policy, index, alert: d.alert, action: action(d), base: stateOf(d) });
  return changes;
}

/** The alert as decisions name it, for an alert that matched on neither side's decisions. */
export interface DiffAlert {
  fingerprint: string;
  alertname: string;
  status: string;
  startsAt: string;
}

/**
 * Every decision that differs between two simulations of the same alerts, in alert order.
 * `base` is null when the base revision has no policy set (it does not load): every decision
 * of the head is then new.
 */
export function diffSimulations(alerts: readonly DiffAlert[], base: Simulation | null, head: Simulation): DecisionChange[] {
  const changes: DecisionChange[] = [];
  alerts.forEach((alert, i) => {
    const about = { fingerprint: alert.fingerprint, alertname: alert.alertname, status: alert.status, startsAt: alert.startsAt };
    changes.push(...alertChanges(i, about, base?.matched[i] ?? [], head.matched[i]!, base?.decisionsByAlert[i] ?? [], head.decisionsByAlert[i]!));
  });
  return changes;
}

/** The changes grouped by policy, policies by name. */
export function changesByPolicy(changes: readonly DecisionChange[]): Map<string, DecisionChange[]> {
  const groups = new Map<string, DecisionChange[]>();
  for (const c of changes) {
    const group = groups.get(c.policy);
    if (group) group.push(c);
    else groups.set(c.policy, [c]);
  }
  return new Map([...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Diagnostics of the head that the base does not have at the same file, code, severity and
 * place in the document. Lines move with unrelated edits, and some messages count things
 * across the repository (a warning's "3 actions in 2 policies"), so neither is compared.
 */
export function introducedProblems(base: readonly Diagnostic[], head: readonly Diagnostic[]): Diagnostic[] {
  const key = (d: Diagnostic) => `${d.file}\u0000${d.code}\u0000${d.severity}\u0000${d.pointer}`;
  const known = new Map<string, number>();
  for (const d of base) known.set(key(d), (known.get(key(d)) ?? 0) + 1);
  return head.filter((d) => {
    const n = known.get(key(d)) ?? 0;
    if (n > 0) known.set(key(d), n - 1);
    return n === 0;
  });
}
