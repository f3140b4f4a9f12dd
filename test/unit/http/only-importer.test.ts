import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

describe('outbound HTTP', () => {
  it('goes through engine/http alone: nothing else imports undici or calls fetch', () => {
    const root = join(import.meta.dirname, '../../..');
    const offenders = sources(join(root, 'engine'))
      .filter((file) => !relative(root, file).startsWith('engine/http/'))
      .filter((file) => /^import (?!type ).*from ['"](undici|node:https?)['"]|(?<![.\w])(?<!async )fetch\(/m.test(readFileSync(file, 'utf8')))
      .map((file) => relative(root, file));
    expect(offenders).toEqual([]);
  });
});
