import type { Io } from '../io.js';
import { loadDirectory } from '../load.js';
import { diagnosticText, githubAnnotation } from '../format/diagnostics.js';
import { EXIT, UserError } from '../errors.js';
import { inventoryProblems } from '../../load/inventory-check.js';
import { compareDiagnostics } from '../../diagnostics/diagnostic.js';
import { count } from '../../util/count.js';

export async function lintCommand(dir: string, format: string, io: Io, rev?: string, inventoryCheck = false): Promise<number> {
  if (inventoryCheck && rev !== undefined) throw new UserError('--inventory-check runs the inventories on disk: it cannot be used with --rev');
  const { result, root } = await loadDirectory(dir, io.cwd, rev);
  const problems = inventoryCheck && root ? [...result.diagnostics, ...(await inventoryProblems(result, root))].sort(compareDiagnostics) : result.diagnostics;
  const ok = !problems.some((d) => d.severity === 'error');
  if (format === 'json') {
    io.stdout(JSON.stringify({ ok, files: result.files, policies: result.policies.length, schedules: result.schedules.length, problems }, null, 2) + '\n');
  } else if (format === 'github') {
    for (const d of problems) io.stdout(githubAnnotation(d.severity, { file: d.file, line: d.line, col: d.col, title: d.code }, `${d.message} (${d.hint})`) + '\n');
  } else {
    for (const d of problems) io.stdout(diagnosticText(d) + '\n');
    const schedules = result.schedules.length ? [count(result.schedules.length, 'schedule')] : [];
    const summary = [count(result.files, 'file'), count(result.policies.length, 'policy', 'policies'), ...schedules, count(result.tests.length, 'test file')].join(', ');
    const warnings = problems.filter((d) => d.severity === 'warning').length;
    const errors = problems.length - warnings;
    if (ok) io.stdout(`ok: ${summary}${warnings ? `; ${count(warnings, 'warning')}` : ''}\n`);
    else io.stdout(`${count(errors, 'problem')}${warnings ? ` and ${count(warnings, 'warning')}` : ''} in ${summary}\n`);
  }
  return ok ? EXIT.ok : EXIT.problems;
}
