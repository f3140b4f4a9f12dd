/** deploy/rbac.yaml's ClusterRole holds exactly the rules the operations use (KUBE_PERMISSIONS). */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { KUBE_PERMISSIONS } from '../../../engine/kube/index.js';
import { deployedRules, RBAC_FILE } from '../../kube-api/rbac-file.js';

const rule = (apiGroup: string, resource: string, verbs: readonly string[]) => `${apiGroup}|${resource}|${[...verbs].sort().join(',')}`;

describe('deploy/rbac.yaml', () => {
  it('grants exactly KUBE_PERMISSIONS, one resource a rule, no wildcard, no resourceNames', () => {
    const rules = deployedRules();
    for (const r of rules) {
      expect(r.apiGroups).toHaveLength(1);
      expect(r.resources).toHaveLength(1);
      expect(r.resourceNames).toBeUndefined();
      expect([...r.apiGroups, ...r.resources, ...r.verbs]).not.toContain('*');
    }
    expect(rules.map((r) => rule(r.apiGroups[0]!, r.resources[0]!, r.verbs)).sort()).toEqual(KUBE_PERMISSIONS.map((p) => rule(p.apiGroup, p.resource, p.verbs)).sort());
  });

  it('binds the ClusterRole to the homeostat service account of the homeostat namespace', () => {
    const docs = parseAllDocuments(readFileSync(RBAC_FILE, 'utf8')).map((d) => d.toJS() as Record<string, any>);
    expect(docs.map((d) => d.kind)).toEqual(['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding']);
    expect(docs[0]!.metadata).toEqual({ name: 'homeostat', namespace: 'homeostat' });
    expect(docs[2]).toMatchObject({ roleRef: { kind: 'ClusterRole', name: 'homeostat' }, subjects: [{ kind: 'ServiceAccount', name: 'homeostat', namespace: 'homeostat' }] });
  });
});
