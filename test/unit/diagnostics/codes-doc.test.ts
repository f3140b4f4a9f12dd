import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { CODES } from '../../../engine/diagnostics/codes.js';

it('docs/diagnostics.md documents exactly the codes of engine/diagnostics/codes.ts', () => {
  const doc = readFileSync(new URL('../../../docs/diagnostics.md', import.meta.url), 'utf8');
  const documented = [...doc.matchAll(/^### (HST_[A-Z_]+)$/gm)].map((m) => m[1]);
  expect(documented.sort()).toEqual(Object.keys(CODES).sort());
});
