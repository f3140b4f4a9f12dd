import { describe, expect, it } from 'vitest';
import { diagnosticText, githubAnnotation } from '../../../engine/cli/format/diagnostics.js';
import { escapeControl, escapeLines, line } from '../../../engine/cli/format/terminal.js';

const HOSTILE = 'a\u001b[31mb\nc\rd\te\u007ff\u0085g\u009bh\u202ei\u2066j\u2028k\u2029l\u200fm\u0000n';

describe('escapeControl', () => {
  it('writes every C0, DEL, C1, bidi and separator character as a JSON escape', () => {
    expect(escapeControl(HOSTILE)).toBe('a\\u001b[31mb\\nc\\rd\\te\\u007ff\\u0085g\\u009bh\\u202ei\\u2066j\\u2028k\\u2029l\\u200fm\\u0000n');
  });

  it('leaves printable text alone, other scripts and emoji included', () => {
    const text = 'web-1:9100 Über 東京 🚨 \\x1b is text';
    expect(escapeControl(text)).toBe(text);
  });

  it('keeps a JSON document the same JSON', () => {
    const json = `${JSON.stringify({ label: HOSTILE }, null, 2)}\n`;
    const escaped = escapeLines(json);
    expect(escaped.split('\n')).toHaveLength(json.split('\n').length);
    expect(JSON.parse(escaped)).toEqual({ label: HOSTILE });
  });
});

describe('line', () => {
  it('escapes what is interpolated and keeps the literal line breaks', () => {
    const value = 'x\ny';
    expect(line`${value} ${3}\n  ${'\u001b'}\n`).toBe('x\\ny 3\n  \\u001b\n');
  });
});

describe('diagnostics', () => {
  const d = { file: 'rules/a\nb.yaml', line: 1, col: 2, pointer: '/x', code: 'HST_SCHEMA' as const, severity: 'error' as const, message: `bad ${HOSTILE}`, hint: 'fix\u001b[2J' };

  it('text: two lines whatever the message holds', () => {
    expect(diagnosticText(d).split('\n')).toHaveLength(2);
    expect(diagnosticText(d)).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e\u2028]/);
  });

  it('github: one workflow command whose message keeps its own line breaks as %0A', () => {
    const annotation = githubAnnotation('error', { file: d.file, line: 1 }, [`first ${HOSTILE}`, 'second 100%']);
    expect(annotation.split('\n')).toHaveLength(1);
    expect(annotation).toMatch(/^::error file=rules\/a\\nb\.yaml,line=1::first a\\u001b\[31mb\\nc\\r[^%]*%0Asecond 100%25$/);
  });
});
