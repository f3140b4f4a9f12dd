#!/usr/bin/env node
// Generates engine/generated/schema-types.ts from schemas/*.json, so the TypeScript types
// are never written twice. `node scripts/gen-types.mjs --check` exits 1 when the committed
// file has drifted from the schemas (a test runs it).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compile } from 'json-schema-to-typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const schemaDir = join(root, 'schemas');
const out = join(root, 'engine/generated/schema-types.ts');
const ID_BASE = 'https://homeostat.dev/schemas/v1/';

const entries = [
  'policy',
  'settings',
  'policy-test',
  'schedule',
  'alertmanager-webhook',
  'audit-entry',
  'serve-config',
  'actions/ansible',
  'actions/script',
  'actions/kubernetes',
  'actions/http',
  'actions/slack',
  'actions/pagerduty',
  'actions/email',
];

export async function generate() {
  const bundle = {
    title: 'SchemaBundle',
    type: 'object',
    additionalProperties: false,
    properties: Object.fromEntries(entries.map((e) => [e, { $ref: `${ID_BASE}${e}.schema.json` }])),
  };
  const body = await compile(bundle, 'SchemaBundle', {
    bannerComment: '',
    additionalProperties: false,
    declareExternallyReferenced: true,
    unreachableDefinitions: false,
    format: true,
    $refOptions: {
      resolve: {
        http: false,
        homeostat: {
          order: 1,
          canRead: (file) => file.url.startsWith(ID_BASE),
          read: (file) => readFileSync(join(schemaDir, file.url.slice(ID_BASE.length)), 'utf8'),
        },
      },
    },
  });
  const withoutBundle = body.replace(/export interface SchemaBundle \{[\s\S]*?\n\}\n/, '');
  return (
    '// GENERATED FILE: do not edit. Source: schemas/*.schema.json; regenerate with `npm run gen:types`.\n' +
    '/* eslint-disable */\n\n' +
    withoutBundle.trim() +
    '\n'
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = await generate();
  if (process.argv.includes('--check')) {
    const current = readFileSync(out, 'utf8');
    if (current !== text) {
      console.error('engine/generated/schema-types.ts is out of date with schemas/: run `npm run gen:types`');
      process.exit(1);
    }
  } else {
    writeFileSync(out, text);
  }
}
