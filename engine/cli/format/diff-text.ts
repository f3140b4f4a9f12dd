/** `homeostat diff` as text: a summary line, then each changed policy with its changes. */
import type { DecisionChange } from '../../pipeline/diff.js';
import { changesByPolicy } from '../../pipeline/diff.js';
import type { DiffReport } from '../commands/diff.js';
import { diagnosticText } from './diagnostics.js';
import { failureLines } from '../../testing/run-tests.js';
import { fieldChange, KIND_WORDS, listedFields, summary, verdictText } from './diff-summary.js';
import { line } from './terminal.js';

const MARK = { 'match-added': '+', 'match-removed': '-', 'action-added': '+', 'action-removed': '-', 'action-changed': '~' } as const;

function changeLines(c: DecisionChange): string {
  const alert = line`${c.alert.alertname}[${c.alert.fingerprint}] ${c.alert.status} (alert ${c.index + 1})`;
  const head = line`  ${MARK[c.kind]} ${KIND_WORDS[c.kind].padEnd(17)} `;
  if (!c.action) return `${head}${alert}\n`;
  const side = c.head ?? c.base!;
  let out = `${head}${line`${c.action.name} (${c.action.type}${c.action.phase === 'onResolved' ? ', onResolved' : ''}) target=${side.target ?? '-'}`} for ${alert}\n`;
  if (c.kind === 'action-added') out += line`      ${verdictText(c.head!)}\n`;
  if (c.kind === 'action-removed') out += line`      was ${verdictText(c.base!)}\n`;
  for (const field of listedFields(c, false)) out += line`      ${fieldChange(field, c)}\n`;
  return out;
}

export function diffText(report: DiffReport): string {
  const name = (s: DiffReport['base']) => (s.revision === s.label ? s.label : `${s.label} (${s.revision})`);
  let out = line`diff ${name(report.base)} → ${name(report.head)}: ${summary(report)}\n`;
  for (const [policy, changes] of changesByPolicy(report.changes)) {
    const tag = report.policies.added.includes(policy) ? ', a new policy' : report.policies.removed.includes(policy) ? ', removed' : '';
    out += line`policy ${policy} (${changes.length} ${changes.length === 1 ? 'change' : 'changes'}${tag})\n`;
    for (const c of changes) out += changeLines(c);
  }
  if (report.introduced.length) {
    out += `lint problems the head introduces:\n`;
    for (const d of report.introduced) out += `  ${diagnosticText(d).replace(/\n/g, '\n  ')}\n`;
  }
  if (report.head.simulation === null && report.head.errors.length > report.introduced.filter((d) => d.severity === 'error').length) {
    out += `the head's other lint problems (also in the base): run homeostat lint\n`;
  }
  for (const r of report.tests?.failed ?? []) {
    out += line`FAIL ${r.file}:${r.line} ${r.test} › ${r.name}\n`;
    for (const failure of failureLines(r)) out += line`    ${failure}\n`;
  }
  return out;
}
