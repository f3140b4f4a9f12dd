/**
 * The kubernetes action: one operation on one object (cordon, uncordon, drain, deletePod,
 * rolloutRestart, scale), carried out through engine/kube. Names, node addresses and the
 * namespace allowlist are checked when the action is decided; control-plane nodes are
 * refused by the run, from the labels the API reports.
 */
import type { ActionType } from '../types.js';
import { SCHEMA_ID_BASE } from '../../schema/validator.js';
import { describeNodeRef } from './nodes.js';
import { runKubernetes } from './run.js';
import { DEFAULT_KUBERNETES_SETTINGS, refuseOperation } from './safety.js';

export const kubernetes: ActionType = {
  type: 'kubernetes',
  disruptive: true,
  schemaId: `${SCHEMA_ID_BASE}actions/kubernetes.schema.json`,
  literalFields: [],
  files: [],
  refuse(rendered, _raw, _target, settings) {
    return refuseOperation(rendered, settings?.kubernetes ?? DEFAULT_KUBERNETES_SETTINGS);
  },
  describe(rendered, _target, dryRun) {
    const [operation, args] = Object.entries(rendered)[0] ?? ['?', {}];
    const a = (args ?? {}) as Record<string, unknown>;
    const object = a.node !== undefined ? describeNodeRef(a.node) : a.pod ? `pod ${String(a.namespace)}/${String(a.pod)}` : `deployment ${String(a.namespace)}/${String(a.deployment)}`;
    const extra = operation === 'scale' ? (a.by !== undefined ? ` by ${String(a.by)} (at most ${String(a.max)})` : ` to ${String(a.replicas)} (at most ${String(a.max)})`) : '';
    const grace = operation === 'drain' && a.gracePeriod !== undefined ? ` with a grace period of ${String(a.gracePeriod)}` : '';
    return `${operation} ${object}${extra}${grace}${dryRun ? ' (server-side dry run: dryRun=All)' : ''}`;
  },
  example: { cordon: { node: { address: '{{ labels.instance | host }}' } } },
  run: runKubernetes,
};
