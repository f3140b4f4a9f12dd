/**
 * minHealthy with the inventory source: the hosts of a static inventory and of an executable
 * one, listed by the real ansible-inventory, are the nodes; all count healthy, and the targets
 * under action are taken away from them, so the fourth reboot of ten at 70% is refused.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GuardFactsReader } from '../../../engine/health/index.js';
import { simulate } from '../../../engine/pipeline/simulate.js';
import { factsNeeded } from '../../../engine/plan/node-guards.js';
import type { PolicySet } from '../../../engine/policy/types.js';
import { inlinePayload } from '../../helpers/alerts.js';
import { policySet, policyYaml, settingsYaml } from '../../helpers/policies.js';
import { requireCommand } from '../../helpers/processes.js';

const HOSTS = Array.from({ length: 10 }, (_, i) => `node-${i + 1}`);
const REBOOT = policyYaml('reboot-node', `
  match: { alertname: NodeHung }
  target: '{{ labels.node }}'
  actions:
    - name: reboot
      disruptsNode: true
      ansible: { playbook: playbooks/reboot.yml, limit: '{{ target }}' }
  guards: { cooldown: 0s }
`);

let root = '';
beforeAll(() => {
  requireCommand('ansible-inventory', 'ansible-core');
  root = mkdtempSync(join(tmpdir(), 'homeostat-inventory-health-'));
  mkdirSync(join(root, 'inventory'));
  writeFileSync(join(root, 'inventory', 'hosts.ini'), `[workers]\n${HOSTS.join('\n')}\n[db]\ndb-1\n`);
  const script = join(root, 'inventory', 'cloud.py');
  writeFileSync(script, `#!/usr/bin/env python3\nimport json, sys\nif '--list' in sys.argv:\n    print(json.dumps({'workers': {'hosts': ${JSON.stringify(HOSTS)}}, '_meta': {'hostvars': {}}}))\nelse:\n    print('{}')\n`);
  chmodSync(script, 0o755);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function reader(): GuardFactsReader {
  return new GuardFactsReader({ kube: null, prometheus: () => null, missing: { kubernetes: 'k', prometheus: 'p', inventory: 'i' }, workRoot: root, secrets: () => [] });
}

async function run(set: PolicySet, nodes: string[]) {
  const payload = inlinePayload(nodes.map((node) => ({ labels: { alertname: 'NodeHung', node } })));
  const r = reader();
  return simulate(set, [payload], { now: Date.parse('2026-11-23T12:00:00Z'), facts: (matches) => r.read(set, root, factsNeeded(set.settings, matches)) });
}

describe('minHealthy from an inventory', () => {
  for (const [what, source] of [['a static inventory group', '{ path: inventory/hosts.ini, group: workers }'], ['an executable inventory', '{ path: inventory/cloud.py }']] as const) {
    it(`counts the hosts of ${what}, and refuses the fourth of four reboots at 70%`, async () => {
      const set = policySet(REBOOT, { settings: settingsYaml(`minHealthy: { nodes: 70%, source: { inventory: ${source} } }`) });
      const s = await run(set, ['node-1', 'node-2', 'node-3', 'node-4']);
      expect(s.decisions.map((d) => `${d.target} ${d.verdict}`)).toEqual(['node-1 run', 'node-2 run', 'node-3 run', 'node-4 refused']);
      const inventory = source.includes('cloud') ? 'inventory inventory/cloud.py' : 'inventory inventory/hosts.ini group workers';
      expect(s.decisions[3]!.reason).toBe(`min-healthy: 10 of 10 nodes healthy (${inventory}), 7 must stay healthy (minHealthy 70%); with reboot-node on node-4 only 6 would stay healthy; the budget is held by reboot-node on node-1 (decided just now), reboot-node on node-2 (decided just now), reboot-node on node-3 (decided just now)`);
    });
  }

  it('fails closed, naming the group, when the inventory has no such group', async () => {
    const set = policySet(REBOOT, { settings: settingsYaml('minHealthy: { nodes: 70%, source: { inventory: { path: inventory/hosts.ini, group: nodes } } }') });
    const s = await run(set, ['node-1']);
    expect(s.decisions[0]).toMatchObject({ verdict: 'refused', refusedBy: 'min-healthy', reason: "min-healthy: cannot read node health: inventory inventory/hosts.ini has no group 'nodes'; node-disruptive actions are refused until it can be read (fails closed)" });
  });
});
