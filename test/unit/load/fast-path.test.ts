// The fast path (js-yaml) may only ever give what the exact path (yaml, with positions)
// gives: same documents, values, lines and diagnostics; and it must refuse hostile input.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeExact, analyzeFast, analyzeFile } from '../../../engine/load/analyze.js';
import type { FileAnalysis, RepoFile } from '../../../engine/load/analyze.js';
// @ts-expect-error: the benchmark's generator is plain ESM without declarations
import { writeRepository } from '../../../bench/generate.mjs';

const root = new URL('../../..', import.meta.url).pathname;

function yamlFilesUnder(dir: string): RepoFile[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return yamlFilesUnder(path);
    return /\.ya?ml$/.test(name) ? [{ path: relative(root, path), text: readFileSync(path, 'utf8') }] : [];
  });
}

/** What must not differ between the paths (places are the exact path's alone). */
function comparable(analysis: FileAnalysis) {
  return {
    diagnostics: analysis.diagnostics,
    docs: analysis.docs.map((d) => ({ kind: d.kind, value: d.value, file: d.file, line: d.line, references: d.references.map((r) => [r.pointer, r.path, r.what]) })),
  };
}

const generated = mkdtempSync(join(tmpdir(), 'homeostat-fast-path-'));
writeRepository(generated, 300);
afterAll(() => rmSync(generated, { recursive: true, force: true }));

const corpora = {
  'the bundled rules/': () => [...yamlFilesUnder(join(root, 'rules')), { path: 'homeostat.yaml', text: readFileSync(join(root, 'homeostat.yaml'), 'utf8') }],
  'the broken policy fixtures': () => yamlFilesUnder(join(root, 'test/fixtures/broken')),
  'the CLI fixture repositories': () => yamlFilesUnder(join(root, 'test/fixtures/cli')),
  '300 generated policies': () => yamlFilesUnder(join(generated, 'rules')).map((f) => ({ ...f, path: relative(generated, join(root, f.path)) })),
};

describe.each(Object.entries(corpora))('%s', (_, files) => {
  it('analyse the same on both paths', () => {
    const list = files();
    expect(list.length).toBeGreaterThan(0);
    for (const file of list) expect(comparable(analyzeFile(file)), file.path).toEqual(comparable(analyzeExact(file)));
  });
});

it('takes the fast path for plain valid policies, and only for them', () => {
  const fast = (files: RepoFile[]) => files.filter((f) => analyzeFast(f) !== null).length;
  expect(fast(corpora['300 generated policies']())).toBe(300);
  expect(fast(corpora['the bundled rules/']().filter((f) => !f.path.endsWith('.test.yaml')))).toBeGreaterThanOrEqual(11);
  const broken = corpora['the broken policy fixtures']();
  const withProblems = broken.filter((f) => analyzeExact(f).diagnostics.length > 0);
  expect(withProblems.length).toBeGreaterThan(20);
  for (const file of withProblems) expect(analyzeFast(file), file.path).toBeNull();
});

it('leaves hostile and ambiguous YAML to the exact path', () => {
  const policy = (extra: string) => `apiVersion: homeostat/v1\nkind: Policy\nmetadata: { name: x }\nspec:\n  match: { alertname: X }\n  actions:\n    - name: s\n      slack: { webhook: { env: X }, text: hi }\n${extra}`;
  const cases = {
    anchor: policy('  target: &t web\n'),
    'merge key': policy('  guards: { <<: { cooldown: 5m } }\n'),
    tag: policy('  target: !!str web\n'),
    directive: '%YAML 1.1\n---\n' + policy(''),
    'binary number': policy('  priority: 0b11\n'),
    'two documents': policy('') + '---\n' + policy(''),
    'duplicate key': policy('  target: a\n  target: b\n'),
  };
  for (const [name, text] of Object.entries(cases)) expect(analyzeFast({ path: 'rules/x.yaml', text }), name).toBeNull();
});
