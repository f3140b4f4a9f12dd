/**
 * What the guards are told of a cluster's nodes: healthy is Ready and schedulable, counted
 * among the nodes of the selector; protected are the control-plane nodes (unless allowed) and
 * those of protected.selector, each found by its name or any address. Selectors parse as
 * kubectl takes them. And what the ledger remembers of node-disruptive decisions survives a
 * restart (its export, as the journal keeps it).
 */
import { describe, expect, it } from 'vitest';
import { healthFromNodes, protectedFromNodes } from '../../../engine/health/kubernetes.js';
import type { V1Node } from '../../../engine/kube/index.js';
import { IndexedLedger } from '../../../engine/plan/ledger.js';
import { parseLabelSelector } from '../../../engine/policy/label-selector.js';
import type { LabelSelector } from '../../../engine/policy/label-selector.js';

function node(name: string, ip: string, o: { ready?: string; cordoned?: boolean; labels?: Record<string, string> } = {}): V1Node {
  return {
    metadata: { name, labels: o.labels ?? {} },
    spec: o.cordoned ? { unschedulable: true } : {},
    status: { addresses: [{ type: 'InternalIP', address: ip }, { type: 'Hostname', address: name }], conditions: [{ type: 'Ready', status: o.ready ?? 'True' }] },
  };
}

function selector(text: string): LabelSelector {
  const parsed = parseLabelSelector(text);
  if ('error' in parsed) throw new Error(parsed.error);
  return parsed;
}

const NODES = [
  node('cp-1', '10.0.0.100', { labels: { 'node-role.kubernetes.io/control-plane': '' } }),
  node('w-1', '10.0.0.1', { labels: { role: 'web' } }),
  node('w-2', '10.0.0.2', { labels: { role: 'web' }, cordoned: true }),
  node('w-3', '10.0.0.3', { labels: { role: 'db' }, ready: 'Unknown' }),
  node('w-4', '10.0.0.4', { labels: { role: 'db' } }),
];

describe('health from the Kubernetes API', () => {
  it('counts Ready and schedulable nodes among those of the selector, each known by name and address', () => {
    const health = healthFromNodes(NODES, selector('!node-role.kubernetes.io/control-plane'), 'https://api:6443');
    expect(health.nodes.map((n) => `${n.name}=${n.healthy}`)).toEqual(['w-1=true', 'w-2=false', 'w-3=false', 'w-4=true']);
    expect(health.byAlias.get('10.0.0.4')?.name).toBe('w-4');
    expect(health.source).toBe("the Kubernetes API at https://api:6443: Ready and schedulable, nodes of '!node-role.kubernetes.io/control-plane'");
    expect(healthFromNodes(NODES, null, 'https://api:6443').nodes.length).toBe(5);
  });
});

describe('protected nodes', () => {
  it('are the control-plane nodes and those of protected.selector, unless control planes are allowed', () => {
    const settings = { targets: [], selector: selector('role in (db)') };
    const found = protectedFromNodes(NODES, settings, false);
    expect([...new Set(found.values())].map((n) => `${n.name}: ${n.why}`)).toEqual([
      'cp-1: is a control-plane node (label node-role.kubernetes.io/control-plane); homeostat.yaml kubernetes.allowControlPlane is false',
      "w-3: matches protected.selector 'role in (db)' of homeostat.yaml",
      "w-4: matches protected.selector 'role in (db)' of homeostat.yaml",
    ]);
    expect(found.get('10.0.0.100')?.name).toBe('cp-1');
    expect([...new Set(protectedFromNodes(NODES, { targets: [], selector: null }, true).values())]).toEqual([]);
  });
});

describe('label selectors', () => {
  const labels = { role: 'db', zone: 'a', 'node-role.kubernetes.io/control-plane': '' };
  it.each([
    ['role=db', true], ['role==db', true], ['role!=db', false], ['role in (db,web)', true], ['role notin (db)', false],
    ['zone', true], ['!zone', false], ['role=db,zone=b', false], ['node-role.kubernetes.io/control-plane', true], ['missing notin (x)', true],
  ])('%s → %s', (text, expected) => {
    expect(selector(text).matches(labels)).toBe(expected);
  });

  it.each([['role in (db', "'role in (db' is not a requirement"], ['a,,b', 'an empty requirement'], ['role=$x', "'role=$x' is not a requirement"]])('refuses %s', (text, message) => {
    const parsed = parseLabelSelector(text);
    expect('error' in parsed && parsed.error).toContain(message);
  });
});

describe('the ledger across a restart', () => {
  it('keeps node-disruptive decisions, with the other names of their node', () => {
    const ledger = new IndexedLedger();
    ledger.record({ policy: 'cordon', phase: 'actions', target: 'f00d', disruptive: true, node: true, touches: ['10.0.0.1'], at: 1_000 });
    ledger.record({ policy: 'restart', phase: 'actions', target: 'w-2', disruptive: true, at: 2_000 });
    ledger.record({ policy: 'reboot', phase: 'actions', target: 'w-3', disruptive: true, node: true, at: 3_000 });
    const restored = IndexedLedger.restore(JSON.parse(JSON.stringify(ledger.export(4_000))));
    const since = (at: number) => {
      const { entries, from } = restored.nodeDisruptions(at);
      return entries.slice(from);
    };
    expect(since(0).map((e) => [e.target, e.touches ?? []])).toEqual([['f00d', ['10.0.0.1']], ['w-3', []]]);
    expect(since(2_000).map((e) => e.target)).toEqual(['w-3']);
  });
});
