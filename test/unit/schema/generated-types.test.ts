// The TypeScript types are generated from schemas/; this fails when someone edits one side only.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
// @ts-expect-error: a plain ESM script without type declarations
import { generate } from '../../../scripts/gen-types.mjs';

it('engine/generated/schema-types.ts matches schemas/ (run `npm run gen:types`)', async () => {
  const committed = readFileSync(new URL('../../../engine/generated/schema-types.ts', import.meta.url), 'utf8');
  expect(committed).toBe(await generate());
});
