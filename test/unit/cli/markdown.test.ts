/**
 * Markdown for pull-request comments: a label becomes a code span whatever it holds, and a
 * long list of changes is collapsed.
 */
import { describe, expect, it } from 'vitest';
import { cell, code } from '../../../engine/cli/format/markdown.js';
import { COLLAPSE_OVER, diffMarkdown } from '../../../engine/cli/format/diff-markdown.js';
import type { DiffReport } from '../../../engine/cli/commands/diff.js';
import type { DecisionChange } from '../../../engine/pipeline/diff.js';

describe('code spans', () => {
  it.each([
    ['plain', '`plain`'],
    ['[x](https://evil.example)', '`[x](https://evil.example)`'],
    ['a `tick` inside', '``a `tick` inside``'],
    ['``double`` and `one`', '``` ``double`` and `one` ```'],
    ['`leading', '`` `leading ``'],
    ['trailing ', '` trailing  `'],
    ['line\nbreak\u001b[2J', '`line\\nbreak\\u001b[2J`'],
    ['', '—'],
  ])('%j', (value, want) => {
    expect(code(value)).toBe(want);
  });

  it('a pipe in a table cell is escaped, so it opens no cell', () => {
    expect(cell('a | b')).toBe('`a \\| b`');
    expect(code('a | b')).toBe('`a | b`');
  });
});

describe('diff markdown', () => {
  const change = (i: number): DecisionChange => ({
    kind: 'match-added', policy: 'p', index: i, alert: { fingerprint: `f${i}`, alertname: 'A', status: 'firing', startsAt: '2026-11-20T09:00:00Z' },
  });
  const report = (n: number): DiffReport => ({
    base: { label: 'main', revision: 'b', simulation: null, errors: [], diagnostics: [] },
    head: { label: 'HEAD', revision: 'h', simulation: { revision: 'h', alerts: n, truncatedAlerts: 0, decisions: [], times: [], matched: [], decisionsByAlert: [] }, errors: [], diagnostics: [] },
    alerts: n,
    changes: Array.from({ length: n }, (_, i) => change(i)),
    introduced: [],
    tests: { passed: 0, failed: [] },
    policies: { added: ['p'], removed: [] },
  });

  it(`collapses a policy's table over ${COLLAPSE_OVER} rows, not at ${COLLAPSE_OVER}`, () => {
    expect(diffMarkdown(report(COLLAPSE_OVER))).not.toContain('<details>');
    const long = diffMarkdown(report(COLLAPSE_OVER + 1));
    expect(long).toContain(`#### Policy \`p\` (new policy)\n\n<details><summary>${COLLAPSE_OVER + 1} changes</summary>\n\n| change |`);
    expect(long.match(/^\| now matches /gm)).toHaveLength(COLLAPSE_OVER + 1);
  });
});
