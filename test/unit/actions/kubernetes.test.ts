/** The kubernetes action's pure parts: what is refused before any call, the scale bounds, the one-line description. */
import { describe, expect, it } from 'vitest';
import { kubernetes } from '../../../engine/actions/kubernetes/index.js';
import { controlPlaneLabel, refuseOperation } from '../../../engine/actions/kubernetes/safety.js';
import { scaleTarget } from '../../../engine/actions/kubernetes/workload-ops.js';
import { toProblems, validatorFor } from '../../../engine/schema/validator.js';

function validate(_id: string, value: unknown) {
  const check = validatorFor(kubernetes.schemaId);
  return check(value) ? [] : toProblems(check.errors ?? []);
}

const defaults = { allowControlPlane: false, namespaces: null };

describe('refused before any call', () => {
  it.each([
    [{ cordon: { node: 'heal-worker' } }, null],
    [{ cordon: { node: { address: '172.18.0.3' } } }, null],
    [{ cordon: { node: { address: 'fd00::3' } } }, null],
    [{ cordon: { node: { address: 'ip-10-0-0-3.ec2.internal' } } }, null],
    [{ cordon: { node: { address: '10.0.0.3 --all' } } }, "node.address '10.0.0.3 --all' is not an IP address or a host name"],
    [{ drain: { node: '-A' } }, "node '-A' is not a valid Kubernetes name"],
    [{ deletePod: { namespace: 'kube-public', pod: 'x' } }, 'namespace kube-public is protected: homeostat.yaml lists no kubernetes.namespaces, so kube-system and kube-public are refused; list the namespaces actions may touch to allow it'],
    [{ rolloutRestart: { namespace: 'Shop', deployment: 'x' } }, "namespace 'Shop' is not a valid Kubernetes namespace"],
  ])('%j: %s', (params, reason) => {
    expect(refuseOperation(params, defaults)).toBe(reason);
  });

  it('takes the allowlist of homeostat.yaml, which may list kube-system on purpose', () => {
    const settings = { allowControlPlane: false, namespaces: ['kube-system', 'shop'] };
    expect(refuseOperation({ deletePod: { namespace: 'kube-system', pod: 'coredns-1' } }, settings)).toBeNull();
    expect(refuseOperation({ scale: { namespace: 'customer', deployment: 'x', by: 1, max: 2 } }, settings)).toBe('namespace customer is not in homeostat.yaml kubernetes.namespaces (kube-system, shop)');
    expect(kubernetes.refuse!({ deletePod: { namespace: 'customer', pod: 'p' } }, {}, 't', { kubernetes: settings })).toBe('namespace customer is not in homeostat.yaml kubernetes.namespaces (kube-system, shop)');
  });

  it('reads control-plane labels from the node object', () => {
    expect(controlPlaneLabel({ metadata: { labels: { 'node-role.kubernetes.io/control-plane': '' } } })).toBe('node-role.kubernetes.io/control-plane');
    expect(controlPlaneLabel({ metadata: { labels: { 'node-role.kubernetes.io/master': 'true' } } })).toBe('node-role.kubernetes.io/master');
    expect(controlPlaneLabel({ metadata: { labels: { role: 'control-plane' } } })).toBeNull();
  });
});

describe('scaleTarget', () => {
  it.each([
    [2, { by: 1, max: 10 }, { replicas: 3 }],
    [10, { by: 1, max: 10 }, { replicas: 10, note: 'bounded by max 10 (asked for 11)' }],
    [12, { by: 1, max: 10 }, { replicas: 12, note: 'bounded by max 10 (asked for 13)' }],
    [3, { replicas: 20, max: 5 }, { replicas: 5, note: 'bounded by max 5 (asked for 20)' }],
    [2, { by: -5, max: 5 }, { replicas: 0, note: 'bounded by 0 (asked for -3)' }],
    [4, { replicas: 0, max: 5 }, { replicas: 0 }],
  ])('from %i with %j: %j', (current, args, expected) => {
    expect(scaleTarget(current, args)).toEqual(expected);
  });
});

describe('the schema and the description', () => {
  it('takes a node by name or by address, and no step of 0', () => {
    expect(validate('https://homeostat.dev/schemas/v1/actions/kubernetes.schema.json', { cordon: { node: { address: '{{ labels.instance | host }}' } } })).toEqual([]);
    expect(validate('https://homeostat.dev/schemas/v1/actions/kubernetes.schema.json', { drain: { node: 'n1', gracePeriod: '30s' } })).toEqual([]);
    expect(validate('https://homeostat.dev/schemas/v1/actions/kubernetes.schema.json', { scale: { namespace: 'a', deployment: 'b', by: 0, max: 3 } }).map((p) => p.message)).toEqual(['by may not be 0']);
  });

  it('says what would be done, and in a dry run that the server checks it', () => {
    expect(kubernetes.describe({ cordon: { node: { address: '10.0.0.3' } } }, 't', false)).toBe('cordon the node with address 10.0.0.3');
    expect(kubernetes.describe({ drain: { node: 'n1', gracePeriod: '30s' } }, 't', true)).toBe('drain node/n1 with a grace period of 30s (server-side dry run: dryRun=All)');
    expect(kubernetes.describe({ scale: { namespace: 'shop', deployment: 'cart', by: 1, max: 10 } }, 't', false)).toBe('scale deployment shop/cart by 1 (at most 10)');
  });
});
