/**
 * The words both diff formats share: the one-line summary and how a change reads. Values
 * from alerts are not escaped here; each format escapes what it writes (terminal, Markdown).
 */
import type { ChangeKind, DecisionChange, DecisionState } from '../../pipeline/diff.js';
import { count } from '../../util/count.js';
import type { DiffReport } from '../commands/diff.js';

export const KIND_WORDS: Record<ChangeKind, string> = {
  'match-added': 'now matches',
  'match-removed': 'no longer matches',
  'action-added': 'action added',
  'action-removed': 'action removed',
  'action-changed': 'action changed',
};

/** "3 actions added, 1 changed, 2 alerts newly matched", the kinds that occur, in a fixed order. */
function kinds(changes: readonly DecisionChange[]): string {
  const n = (kind: ChangeKind) => changes.filter((c) => c.kind === kind).length;
  const parts = [
    [n('action-added'), (k: number) => `${count(k, 'action')} added`],
    [n('action-removed'), (k: number) => `${k} removed`],
    [n('action-changed'), (k: number) => `${k} changed`],
    [n('match-added'), (k: number) => `${count(k, 'alert')} newly matched`],
    [n('match-removed'), (k: number) => `${count(k, 'alert')} no longer matched`],
  ] as const;
  return parts.filter(([k]) => k > 0).map(([k, say]) => say(k)).join(', ');
}

/** The summary without revisions: what changed, lint and tests of the head. */
export function summary(report: DiffReport): string {
  const policies = new Set(report.changes.map((c) => c.policy)).size;
  const decisions = report.changes.length
    ? `${count(report.changes.length, 'change')} in ${count(policies, 'policy', 'policies')} (${kinds(report.changes)})`
    : 'no decision changes';
  const errors = report.head.errors.length;
  const lint = report.head.simulation === null ? `the head does not lint (${count(errors, 'problem')})` : report.introduced.length ? `${count(report.introduced.length, 'new lint warning')}` : 'lint clean';
  const tests = report.tests === null ? 'tests not run' : report.tests.failed.length ? `${count(report.tests.failed.length, 'test')} failed` : `${count(report.tests.passed, 'test')} passed`;
  const base = report.base.simulation === null ? `; the base does not lint (${count(report.base.errors.length, 'problem')}), so every decision of the head counts as new` : '';
  return `${count(report.alerts, 'alert')}: ${decisions}; ${lint}; ${tests}${base}`;
}

/** A verdict with its reason: `refused (cooldown: …)`. */
export function verdictText(s: DecisionState): string {
  return s.reason ? `${s.verdict} (${s.reason})` : s.verdict;
}

/** One changed field: `params/extraVars/service: "nginx" → "nginx.service"`. */
export function fieldChange(field: string, change: DecisionChange): string {
  const value = (s: DecisionState | undefined) => {
    if (!s) return 'none';
    if (field.startsWith('params')) {
      const leaf = field.slice('params'.length).split('/').slice(1).map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
      let v: unknown = s.params;
      for (const k of leaf) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
      return v === undefined ? 'absent' : JSON.stringify(v);
    }
    if (field === 'verdict') return verdictText(s);
    return JSON.stringify(s[field as keyof DecisionState]);
  };
  return `${field}: ${value(change.base)} → ${value(change.head)}`;
}

/**
 * The fields a change lists besides its verdicts: a changed verdict already says who refused,
 * so `refusedBy` is listed only when the verdict stayed (refused by another guard).
 */
export function listedFields(change: DecisionChange, verdictsShown: boolean): string[] {
  const fields = change.fields ?? [];
  const verdict = fields.includes('verdict');
  return fields.filter((f) => (f === 'verdict' ? !verdictsShown : f === 'refusedBy' ? !verdict && !verdictsShown : true));
}
