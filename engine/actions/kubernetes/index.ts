/**
 * The kubernetes action: one operation on one object. Not executed by this version (no run()):
 * it is planned, guarded and audited, and lint and simulate say that it does not run.
 */
import type { ActionType } from '../types.js';
import { refuseKubernetesName } from '../checks.js';
import { SCHEMA_ID_BASE } from '../../schema/validator.js';

const NAME_FIELDS = ['node', 'namespace', 'pod', 'deployment'] as const;

export const kubernetes: ActionType = {
  type: 'kubernetes',
  disruptive: true,
  schemaId: `${SCHEMA_ID_BASE}actions/kubernetes.schema.json`,
  literalFields: [],
  files: [],
  refuse(rendered) {
    for (const operation of Object.values(rendered)) {
      if (!operation || typeof operation !== 'object') continue;
      for (const field of NAME_FIELDS) {
        const value = (operation as Record<string, unknown>)[field];
        if (typeof value !== 'string') continue;
        const reason = refuseKubernetesName(field, value);
        if (reason) return reason;
      }
    }
    return null;
  },
  describe(rendered) {
    const [operation, args] = Object.entries(rendered)[0] ?? ['?', {}];
    const a = (args ?? {}) as Record<string, unknown>;
    const object = a.node ? `node/${String(a.node)}` : a.pod ? `pod ${String(a.namespace)}/${String(a.pod)}` : `deployment ${String(a.namespace)}/${String(a.deployment)}`;
    const extra = operation === 'scale' ? (a.by !== undefined ? ` by ${String(a.by)} up to ${String(a.max)}` : ` to ${String(a.replicas)} (max ${String(a.max)})`) : '';
    return `${operation} ${object}${extra}`;
  },
  example: { cordon: { node: '{{ labels.node }}' } },
};
