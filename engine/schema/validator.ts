/**
 * The JSON Schemas of schemas/ compiled once with ajv, and ajv's errors turned into
 * placed, coded problems. Owns no knowledge of policies beyond what the schemas say.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { Code } from '../diagnostics/codes.js';
import type { Problem } from '../diagnostics/diagnostic.js';
import { packageRoot } from '../util/package-root.js';

export const SCHEMA_ID_BASE = 'https://homeostat.dev/schemas/v1/';

export const SCHEMA_IDS = {
  Policy: `${SCHEMA_ID_BASE}policy.schema.json`,
  Settings: `${SCHEMA_ID_BASE}settings.schema.json`,
  PolicyTest: `${SCHEMA_ID_BASE}policy-test.schema.json`,
  Schedule: `${SCHEMA_ID_BASE}schedule.schema.json`,
  AlertmanagerWebhook: `${SCHEMA_ID_BASE}alertmanager-webhook.schema.json`,
  AuditEntry: `${SCHEMA_ID_BASE}audit-entry.schema.json`,
  ServeConfig: `${SCHEMA_ID_BASE}serve-config.schema.json`,
} as const;

export type SchemaName = keyof typeof SCHEMA_IDS;

const DURATION_PATTERN = '^([0-9]+(ms|s|m|h|d))+$';
const NAME_PATTERN = '^[a-z0-9]([a-z0-9-]*[a-z0-9])?$';

let ajv: Ajv2020 | undefined;

function listSchemaFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return listSchemaFiles(path);
    return entry.name.endsWith('.schema.json') ? [path] : [];
  });
}

function instance(): Ajv2020 {
  if (ajv) return ajv;
  const created = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, verbose: true });
  const addFormats = addFormatsModule as unknown as (a: Ajv2020) => void;
  addFormats(created);
  const dir = join(packageRoot(), 'schemas');
  for (const file of listSchemaFiles(dir)) created.addSchema(JSON.parse(readFileSync(file, 'utf8')));
  ajv = created;
  return created;
}

export function validatorFor(id: string): ValidateFunction {
  const validate = instance().getSchema(id);
  if (!validate) throw new Error(`no schema with $id ${id}`);
  return validate;
}

/** Every schema id known, with its file under schemas/ (for the registry test and docs). */
export function schemaFiles(): { id: string; file: string }[] {
  const root = packageRoot();
  return listSchemaFiles(join(root, 'schemas')).map((file) => ({
    id: JSON.parse(readFileSync(file, 'utf8')).$id as string,
    file: relative(root, file),
  }));
}

/** Validates a value; returns its problems, empty when valid. */
export function validate(name: SchemaName, value: unknown): Problem[] {
  const check = validatorFor(SCHEMA_IDS[name]);
  if (check(value)) return [];
  return toProblems(check.errors ?? []);
}

/**
 * ajv with allErrors reports every branch of an anyOf; keep the branch whose type fits the
 * value, so that `match: {name: {regx: x}}` says "unknown field regx", not three errors.
 */
export function toProblems(errors: ErrorObject[]): Problem[] {
  const dropped = new Set<ErrorObject>();
  for (const union of errors) {
    if (union.keyword !== 'anyOf' && union.keyword !== 'oneOf') continue;
    const prefix = union.schemaPath + '/';
    const branches = new Map<string, ErrorObject[]>();
    for (const e of errors) {
      if (e === union || !e.schemaPath.startsWith(prefix)) continue;
      const branch = e.schemaPath.slice(prefix.length).split('/')[0]!;
      branches.set(branch, [...(branches.get(branch) ?? []), e]);
    }
    if (branches.size === 0) continue; // branches behind a $ref: keep ajv's own words
    const wrongType = (list: ErrorObject[]) =>
      list.some((e) => e.keyword === 'type' && e.instancePath === union.instancePath);
    const fitting = [...branches.values()].filter((list) => !wrongType(list));
    for (const list of branches.values()) if (fitting.length !== 1 || list !== fitting[0]) list.forEach((e) => dropped.add(e));
    if (fitting.length === 1) dropped.add(union);
    else if (fitting.length === 0) {
      const types = [...branches.values()].flatMap((l) => l.filter((e) => e.keyword === 'type').map((e) => String(e.params.type)));
      union.keyword = 'type';
      union.message = `must be ${[...new Set(types)].join(' or ')}`;
    }
  }
  // A bad key is reported once, by its pattern error placed on the key itself.
  return errors.filter((e) => !dropped.has(e) && e.keyword !== 'propertyNames').map(problemOf);
}

function problemOf(error: ErrorObject): Problem {
  const named = (error as ErrorObject & { propertyName?: string }).propertyName;
  const pointer = named === undefined ? error.instancePath : `${error.instancePath}/${named.replace(/~/g, '~0').replace(/\//g, '~1')}`;
  const field = pointer.split('/').pop() || 'document';
  const onKey = named !== undefined ? { key: true } : {};
  switch (error.keyword) {
    case 'required': {
      const missing = String(error.params.missingProperty);
      return { pointer, code: 'HST_SCHEMA_REQUIRED', message: `missing required field '${missing}' in ${field}`, hint: `add '${missing}'` };
    }
    case 'additionalProperties': {
      const extra = String(error.params.additionalProperty);
      const known = Object.keys((error.parentSchema as { properties?: object })?.properties ?? {}).filter((k) => k !== '$schema');
      return {
        pointer: `${pointer}/${extra}`, key: true, code: 'HST_SCHEMA_UNKNOWN_FIELD',
        message: `unknown field '${extra}'`,
        hint: known.length ? `known fields here: ${known.join(', ')}` : 'remove it',
      };
    }
    case 'type': {
      const template = pointer.startsWith('/spec/') && error.params.type === 'string' && typeof error.data === 'object' && error.data !== null;
      return {
        pointer, code: 'HST_SCHEMA_TYPE', message: `${field} ${error.message}`,
        hint: template ? "if this is a template, quote it: '{{ labels.x }}' (unquoted, YAML reads { } as a mapping)" : 'change the value to the type the schema asks for',
      };
    }
    case 'oneOf': {
      const branches = ((error.schema as { required?: string[] }[] | undefined) ?? []).flatMap((b) => b.required ?? []);
      if (branches.length) return { pointer, code: 'HST_SCHEMA', message: `${field} takes exactly one of ${branches.join(', ')}`, hint: `keep one of ${branches.join(', ')}` };
      return { pointer, code: 'HST_SCHEMA', message: `${field} ${error.message ?? 'is invalid'}`, hint: 'see the schema under schemas/' };
    }
    case 'enum':
    case 'const': {
      const allowed = error.keyword === 'enum' ? (error.params.allowedValues as unknown[]) : [error.params.allowedValue];
      return { pointer, code: 'HST_SCHEMA_ENUM', message: `${field} is ${JSON.stringify(error.data)}, not one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`, hint: `use one of ${allowed.join(', ')}` };
    }
    case 'not': {
      const forbidden = (error.schema as { const?: unknown } | undefined)?.const;
      const said = (error.parentSchema as { description?: string } | undefined)?.description;
      if (forbidden === undefined) return { pointer, code: 'HST_SCHEMA', message: `${field} ${error.message ?? 'is invalid'}`, hint: said ?? 'see the schema under schemas/' };
      return { pointer, code: 'HST_SCHEMA', message: `${field} may not be ${JSON.stringify(forbidden)}`, hint: said ?? 'see the schema under schemas/' };
    }
    case 'pattern':
      return { ...patternProblem(pointer, field, String(error.params.pattern), named ?? error.data), ...onKey };
    case 'minItems': case 'maxItems': case 'minLength': case 'maxLength': case 'minimum': case 'maximum':
    case 'minProperties': case 'maxProperties': case 'exclusiveMinimum': case 'exclusiveMaximum':
      return { pointer, code: 'HST_SCHEMA_RANGE', message: `${field} ${error.message}`, hint: 'see the schema for the allowed range' };
    default:
      return { pointer, code: 'HST_SCHEMA', message: `${field} ${error.message ?? 'is invalid'}`, hint: 'see the schema under schemas/' };
  }
}

function patternProblem(pointer: string, field: string, pattern: string, data: unknown): Problem {
  const shown = JSON.stringify(data);
  const byPattern: Record<string, { code: Code; message: string; hint: string }> = {
    [DURATION_PATTERN]: { code: 'HST_DURATION_INVALID', message: `${field} ${shown} is not a duration`, hint: 'write a duration such as 30s, 5m, 1h30m or 2d' },
    [NAME_PATTERN]: { code: 'HST_NAME_INVALID', message: `${field} ${shown} is not a valid name`, hint: 'use lowercase letters, digits and dashes, starting and ending with a letter or digit' },
  };
  const known = byPattern[pattern];
  if (known) return { pointer, ...known };
  return { pointer, code: 'HST_SCHEMA_PATTERN', message: `${field} ${shown} does not match ${pattern}`, hint: 'change the value to the required form' };
}
