/**
 * `homeostat diff` as a pull-request comment: one summary line, then a table per changed
 * policy (collapsed when long), the lint problems the head introduces and its failing tests.
 * Every value that came from an alert or a file is a code span (format/markdown.ts).
 */
import type { DecisionChange, DecisionState } from '../../pipeline/diff.js';
import { changesByPolicy } from '../../pipeline/diff.js';
import type { DiffReport } from '../commands/diff.js';
import { failureLines } from '../../testing/run-tests.js';
import { fieldChange, KIND_WORDS, listedFields, summary } from './diff-summary.js';
import { cell, code, details } from './markdown.js';

/** Longer lists than this are collapsed under a <details>. */
export const COLLAPSE_OVER = 10;

function verdictCell(s: DecisionState | undefined): string {
  if (!s) return '—';
  return s.reason ? `**${s.verdict}**<br>${cell(s.reason)}` : `**${s.verdict}**`;
}

function row(c: DecisionChange): string {
  const alert = `${cell(c.alert.alertname)} ${cell(c.alert.fingerprint)} ${c.alert.status} (#${c.index + 1})`;
  if (!c.action) return `| ${KIND_WORDS[c.kind]} | ${alert} | — | — | ${c.kind === 'match-removed' ? 'matched' : '—'} | ${c.kind === 'match-added' ? 'matches' : '—'} | |\n`;
  const side = c.head ?? c.base!;
  const action = `${cell(c.action.name)} (${c.action.type}${c.action.phase === 'onResolved' ? ', onResolved' : ''})`;
  const changed = listedFields(c, true).map((f) => cell(fieldChange(f, c))).join('<br>');
  return `| ${KIND_WORDS[c.kind]} | ${alert} | ${action} | ${side.target === null ? '—' : cell(side.target)} | ${verdictCell(c.base)} | ${verdictCell(c.head)} | ${changed} |\n`;
}

function collapsible(n: number, what: string, body: string): string {
  return n > COLLAPSE_OVER ? details(`${n} ${what}`, body) : body;
}

export function diffMarkdown(report: DiffReport): string {
  let out = `**homeostat diff** ${code(report.base.label)} → ${code(report.head.label)}: ${summary(report)}\n`;
  for (const [policy, changes] of changesByPolicy(report.changes)) {
    const tag = report.policies.added.includes(policy) ? ' (new policy)' : report.policies.removed.includes(policy) ? ' (removed)' : '';
    let table = '| change | alert | action | target | base | head | what changed |\n|---|---|---|---|---|---|---|\n';
    for (const c of changes) table += row(c);
    out += `\n#### Policy ${code(policy)}${tag}\n\n${collapsible(changes.length, 'changes', table)}`;
  }
  if (report.introduced.length) {
    const list = report.introduced.map((d) => `- ${code(`${d.file}:${d.line}:${d.col}`)} ${d.severity} ${code(d.code)} ${code(d.message)}\n`).join('');
    out += `\n#### Lint problems the head introduces\n\n${collapsible(report.introduced.length, 'problems', list)}`;
  }
  const failed = report.tests?.failed ?? [];
  if (failed.length) {
    const list = failed.map((r) => `- ${code(`${r.file}:${r.line}`)} ${code(`${r.test} › ${r.name}`)}: ${failureLines(r).map((l) => code(l)).join('; ')}\n`).join('');
    out += `\n#### Failing policy tests\n\n${collapsible(failed.length, 'failing tests', list)}`;
  }
  out += `\n<sub>base ${code(report.base.revision)}, head ${code(report.head.revision)}</sub>\n`;
  return out;
}
