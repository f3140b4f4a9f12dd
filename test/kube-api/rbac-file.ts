/** The ClusterRole of deploy/rbac.yaml, read as the tests enforce it on the Kubernetes API test server. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { PolicyRule } from './rbac.js';

export const RBAC_FILE = join(import.meta.dirname, '..', '..', 'deploy', 'rbac.yaml');

export function deployedRules(): PolicyRule[] {
  const docs = parseAllDocuments(readFileSync(RBAC_FILE, 'utf8')).map((d) => d.toJS() as { kind?: string; rules?: PolicyRule[] });
  const role = docs.find((d) => d.kind === 'ClusterRole');
  if (!role?.rules) throw new Error(`${RBAC_FILE}: no ClusterRole with rules`);
  return role.rules;
}
