import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { schemaFiles, validate } from '../../../engine/schema/validator.js';

describe('schemas/', () => {
  it('every schema is JSON Schema 2020-12 with an $id under the project base', () => {
    for (const { file, id } of schemaFiles()) {
      const schema = JSON.parse(readFileSync(new URL(`../../../${file}`, import.meta.url), 'utf8'));
      expect(schema.$schema, file).toBe('https://json-schema.org/draft/2020-12/schema');
      expect(id, file).toBe(`https://homeostat.dev/schemas/v1/${file.replace(/^schemas\//, '')}`);
    }
  });

  it('accepts every captured Alertmanager payload, unknown fields included', () => {
    const dir = new URL('../../fixtures/alertmanager/', import.meta.url);
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThanOrEqual(16);
    for (const f of files) {
      const payload = JSON.parse(readFileSync(new URL(f, dir), 'utf8'));
      expect(validate('AlertmanagerWebhook', { ...payload, someFutureField: 1 }), f).toEqual([]);
    }
  });

  it('refuses a payload of another version', () => {
    const problems = validate('AlertmanagerWebhook', { version: '3', status: 'firing', alerts: [] });
    expect(problems.map((p) => [p.code, p.pointer])).toEqual([['HST_SCHEMA_ENUM', '/version']]);
  });
});
