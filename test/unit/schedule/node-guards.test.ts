/**
 * A routine job's run over a group goes through the node guards as an alert's actions do:
 * a nightly reboot of ten hosts marked disruptsNode, under minHealthy 70%, reboots three and
 * refuses the rest with the reason; a protected host of the list is refused.
 */
import { describe, expect, it } from 'vitest';
import { IndexedLedger } from '../../../engine/plan/ledger.js';
import type { GuardFacts, HealthNode } from '../../../engine/plan/node-guards.js';
import { byAlias } from '../../../engine/plan/node-guards.js';
import { planRun } from '../../../engine/schedule/plan.js';
import { policySet, settingsYaml } from '../../helpers/policies.js';

const HOSTS = Array.from({ length: 10 }, (_, i) => `node-${i + 1}`);
const NOW = Date.parse('2026-11-24T03:00:00Z');

const SCHEDULE = `apiVersion: homeostat/v1
kind: Schedule
metadata: { name: patch-reboot }
spec:
  cron: '0 3 * * *'
  timezone: UTC
  targets: { hosts: [${[...HOSTS, 'db-1'].join(', ')}] }
  actions:
    - name: reboot
      disruptsNode: true
      script: { path: scripts/reboot.sh, args: ['{{ target }}'] }
  guards: { cooldown: 0s }
`;

describe('a schedule under the node guards', () => {
  it('reboots three of ten at 70%, refuses the rest and the protected host, each saying why', () => {
    const set = policySet(SCHEDULE, { settings: settingsYaml(`
      minHealthy: { nodes: 70%, source: { inventory: { path: inventory/hosts.ini } } }
      protected: { targets: ['db-*'] }
    `) });
    const nodes: HealthNode[] = HOSTS.map((name) => ({ name, healthy: true, aliases: [name] }));
    const facts: GuardFacts = { health: { ok: true, value: { source: 'a test', nodes, byAlias: byAlias(nodes) } } };
    const schedule = set.schedules[0]!;
    const { entries, jobs } = planRun(
      { schedule, revision: set.revision, trigger: 'cron', due: NOW, by: null, targets: [...HOSTS, 'db-1'] },
      { now: NOW, settings: set.settings, dryRun: false, ledger: new IndexedLedger(), secrets: [], facts, busy: () => false },
    );
    expect(jobs.map((j) => j.entry.target)).toEqual(['node-1', 'node-2', 'node-3']);
    expect(entries.map((e) => `${e.target} ${e.verdict}${e.guards?.refusedBy ? ` ${e.guards.refusedBy}` : ''}`)).toEqual([
      'node-1 run', 'node-2 run', 'node-3 run',
      ...HOSTS.slice(3).map((h) => `${h} refused min-healthy`),
      'db-1 refused protected',
    ]);
    expect(entries[3]!.reason).toBe('min-healthy: 10 of 10 nodes healthy (a test), 7 must stay healthy (minHealthy 70%); with patch-reboot on node-4 only 6 would stay healthy; the budget is held by patch-reboot on node-1 (decided just now), patch-reboot on node-2 (decided just now), patch-reboot on node-3 (decided just now)');
    expect(entries[10]!.reason).toBe("protected: db-1 matches protected target 'db-*' of homeostat.yaml");
  });
});
