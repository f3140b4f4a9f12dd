import type { Io } from '../io.js';
import { loadDirectory } from '../load.js';
import { diagnosticText, githubAnnotation } from '../format/diagnostics.js';
import { EXIT } from '../errors.js';
import { line } from '../format/terminal.js';
import { count } from '../../util/count.js';
import { failureLines, runTests } from '../../testing/run-tests.js';

export async function testCommand(dir: string, format: string, io: Io, rev?: string): Promise<number> {
  const { result, rulesLabel, readFile } = await loadDirectory(dir, io.cwd, rev);
  if (!result.policySet) {
    const errors = result.diagnostics.filter((d) => d.severity === 'error');
    if (format === 'json') io.stdout(JSON.stringify({ ok: false, passed: 0, failed: 0, problems: errors, cases: [] }, null, 2) + '\n');
    else if (format === 'github') for (const d of errors) io.stdout(githubAnnotation('error', { file: d.file, line: d.line, col: d.col, title: d.code }, d.message) + '\n');
    else {
      for (const d of errors) io.stdout(diagnosticText(d) + '\n');
      io.stdout(`the policies have ${count(errors.length, 'problem')}; no test ran\n`);
    }
    return EXIT.problems;
  }
  const results = await runTests(result.policySet, result.tests, readFile);
  const passed = results.filter((r) => r.passed).length;
  const failed = results.length - passed;
  if (format === 'json') {
    io.stdout(JSON.stringify({ ok: failed === 0, passed, failed, cases: results }, null, 2) + '\n');
  } else if (format === 'github') {
    for (const r of results.filter((x) => !x.passed)) {
      io.stdout(githubAnnotation('error', { file: r.file, line: r.line, title: `${r.test}: ${r.name}` }, failureLines(r)) + '\n');
    }
    io.stdout(`${passed} passed, ${failed} failed\n`);
  } else {
    for (const r of results) {
      io.stdout(line`${r.passed ? 'pass' : 'FAIL'} ${r.file}:${r.line} ${r.test} › ${r.name}\n`);
      if (!r.passed) for (const failure of failureLines(r)) io.stdout(line`    ${failure}\n`);
    }
    if (results.length === 0) io.stdout(line`no test cases found under ${rulesLabel} (*.test.yaml, kind: PolicyTest)\n`);
    io.stdout(`${passed} passed, ${failed} failed\n`);
  }
  return failed === 0 && results.length > 0 ? EXIT.ok : EXIT.problems;
}
