/** engine/kube is the only importer of @kubernetes/client-node: every Kubernetes call goes through it. */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect, it } from 'vitest';

const ENGINE = join(import.meta.dirname, '..', '..', '..', 'engine');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

it('no file outside engine/kube imports @kubernetes/client-node', () => {
  const importers = files(ENGINE).filter((f) => /from '@kubernetes\/client-node'/.test(readFileSync(f, 'utf8'))).map((f) => relative(ENGINE, f));
  expect(importers.length).toBeGreaterThan(0);
  expect(importers.filter((f) => !f.startsWith('kube/'))).toEqual([]);
});
