// Walks the action registry: every type has a parameter schema, a docs entry and an example
// policy that lints. Adding a type without these fails here.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ACTION_TYPES } from '../../../engine/actions/registry.js';
import { loadRepository } from '../../../engine/load/repository.js';
import { schemaFiles } from '../../../engine/schema/validator.js';

const actionsDoc = readFileSync(new URL('../../../docs/actions.md', import.meta.url), 'utf8');
const policySchema = JSON.parse(readFileSync(new URL('../../../schemas/policy.schema.json', import.meta.url), 'utf8'));

describe.each([...ACTION_TYPES.values()])('action type $type', (type) => {
  it('has a parameter schema under schemas/actions/, referenced by the Policy schema', () => {
    expect(schemaFiles().map((s) => s.id)).toContain(type.schemaId);
    expect(policySchema.$defs.Action.properties[type.type]).toEqual({ $ref: `actions/${type.type}.schema.json` });
  });

  it('has a section in docs/actions.md', () => {
    expect(actionsDoc).toMatch(new RegExp(`^## \`${type.type}\`$`, 'm'));
  });

  it('has an example that lints clean', () => {
    const policy = {
      apiVersion: 'homeostat/v1',
      kind: 'Policy',
      metadata: { name: `example-${type.type}` },
      spec: { match: { alertname: 'Example' }, actions: [{ name: 'act', [type.type]: type.example }] },
    };
    const files = type.files.map((f) => type.example[f.field]).filter((p): p is string => typeof p === 'string');
    const result = loadRepository({ files: [{ path: 'rules/example.yaml', text: stringify(policy) }], exists: (p) => files.includes(p), revision: 'test' });
    expect(result.diagnostics.map((d) => [d.severity, d.code])).toEqual([]);
    expect(result.policySet?.policies.map((p) => p.actions[0]!.type)).toEqual([type.type]);
  });
});

it('lists exactly the types the Policy schema knows', () => {
  const schemaTypes = Object.keys(policySchema.$defs.Action.properties).filter((k) => !['name', 'timeout', 'dryRun', 'disruptsNode', 'notify', 'on'].includes(k));
  expect([...ACTION_TYPES.keys()].sort()).toEqual(schemaTypes.sort());
});
