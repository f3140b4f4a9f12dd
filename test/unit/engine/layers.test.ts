/**
 * The house's layers: a folder of engine/ may import from its own layer or a lower one,
 * never from a higher one (cli → server → runtime → … → git/exec). A new folder gets a rank
 * here, chosen by what it imports and who imports it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const ENGINE = resolve(import.meta.dirname, '../../../engine');

const RANK: Record<string, number> = {
  cli: 100,
  server: 90,
  web: 90,
  runtime: 80,
  approvals: 70,
  review: 60,
  replay: 60,
  testing: 60,
  pipeline: 60,
  load: 55,
  schedule: 50,
  breaker: 50,
  state: 45,
  audit: 40,
  health: 42,
  plan: 40,
  enrichment: 35,
  policy: 30,
  actions: 25,
  config: 20,
  template: 20,
  kube: 15,
  http: 15,
  alerts: 12,
  schema: 10,
  git: 8,
  exec: 5,
  regex: 5,
  diagnostics: 2,
  generated: 0,
  util: 0,
};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? sources(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : []));
}

/** The engine folder a file belongs to. */
function folderOf(file: string): string {
  return relative(ENGINE, file).split(sep)[0]!;
}

describe('engine layers', () => {
  const files = sources(ENGINE);

  it('ranks every folder of engine/', () => {
    const folders = new Set(files.map(folderOf).filter((f) => !f.endsWith('.ts')));
    expect([...folders].filter((f) => !(f in RANK))).toEqual([]);
  });

  it('has no import that runs upward', () => {
    const upward: string[] = [];
    for (const file of files) {
      const from = folderOf(file);
      const text = readFileSync(file, 'utf8');
      for (const [, spec] of text.matchAll(/(?:from|import\()\s*'(\.{1,2}\/[^']+)'/g)) {
        const to = folderOf(resolve(dirname(file), spec!));
        if (to !== from && (RANK[to] ?? Infinity) > (RANK[from] ?? -Infinity)) upward.push(`${relative(ENGINE, file)} imports ${spec} (${from} ${RANK[from]} < ${to} ${RANK[to]})`);
      }
    }
    expect(upward).toEqual([]);
  });
});
