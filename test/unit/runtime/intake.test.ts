import { describe, expect, it } from 'vitest';
import { entryMatches } from '../../../engine/audit/filter.js';
import { evaluateAll } from '../../../engine/pipeline/simulate.js';
import { Evaluator } from '../../../engine/policy/evaluate.js';
import { decidePayload, REFUSALS_APART_MAX, REFUSALS_PER_ENTRY } from '../../../engine/runtime/intake.js';
import { IndexedLedger } from '../../../engine/plan/ledger.js';
import { entryMessage } from '../../../engine/runtime/messages.js';
import { RecentActions } from '../../../engine/runtime/recent.js';
import { validate } from '../../../engine/schema/validator.js';
import { inlinePayload } from '../../helpers/alerts.js';
import { policySet, policyYaml, settingsYaml } from '../../helpers/policies.js';

const NOW = Date.parse('2026-11-21T07:05:00Z');

// Two policies; the blast radius lets 2 actions through, so a storm is refused by it.
const SET = policySet(
  ['a', 'b'].map((name) =>
    policyYaml(
      `restart-${name}`,
      `
      match:
        alertname: Down${name.toUpperCase()}
      target: '{{ labels.instance }}'
      actions:
        - name: restart
          script:
            path: scripts/restart.sh
            args: ['{{ target }}']
      guards:
        cooldown: 0s
      `,
    ),
  ),
  { settings: settingsYaml('blastRadius: { max: 2, per: 10m }') },
);

/** `policies`: 2, the alerts alternate between the two policies; 1, every alert is restart-a's. */
async function intake(alerts: number, policies: 1 | 2 = 2) {
  const payload = inlinePayload(Array.from({ length: alerts }, (_, i) => ({ labels: { alertname: i % policies ? 'DownB' : 'DownA', instance: `web-${i}` } })));
  const matches = await evaluateAll(new Evaluator(SET), payload.alerts);
  return decidePayload(SET, payload, matches, { now: NOW, dryRun: true, ledger: new IndexedLedger(() => NOW), secrets: [] });
}

describe('intake: refusals of a storm', () => {
  it('audits up to REFUSALS_APART_MAX refusals of one guard one entry each', async () => {
    const result = await intake(2 + REFUSALS_APART_MAX);
    expect(result.decisions).toBe(2 + REFUSALS_APART_MAX);
    expect(result.jobs).toHaveLength(2);
    const refused = result.entries.filter((e) => e.outcome === 'refused');
    expect(refused).toHaveLength(REFUSALS_APART_MAX);
    expect(refused.every((e) => e.kind === 'action' && e.guards?.refusedBy === 'blast-radius')).toBe(true);
  });

  it('audits more than that in one "refusals" entry listing every refused action, its alert and reason', async () => {
    const result = await intake(2 + REFUSALS_APART_MAX + 1, 1);
    expect(result.jobs).toHaveLength(2);
    const entries = result.entries.filter((e) => e.outcome === 'refused');
    expect(entries).toHaveLength(1);
    const [storm] = entries;
    expect(validate('AuditEntry', storm)).toEqual([]);
    expect(storm).toMatchObject({ kind: 'refusals', policy: 'restart-a', guard: 'blast-radius', count: REFUSALS_APART_MAX + 1, verdict: 'refused', outcome: 'refused', revision: SET.revision });
    expect(storm!.refusals!.map((r) => r.target)).toEqual(Array.from({ length: REFUSALS_APART_MAX + 1 }, (_, i) => `web-${i + 2}`));
    expect(storm!.refusals![0]).toMatchObject({ policy: 'restart-a', action: 'restart', type: 'script', phase: 'actions', alert: { alertname: 'DownA', labels: { instance: 'web-2' } } });
    expect(storm!.refusals!.every((r) => r.reason.startsWith('blast radius: 2 disruptive actions'))).toBe(true);
    expect(storm!.reason).toBe('blast radius: 2 disruptive actions in 10m across all policies, until 2026-11-21T07:15:00.001Z');
    expect(storm!.refusals!.every((r) => r.until === '2026-11-21T07:15:00.001Z')).toBe(true);
  });

  it('aggregates per policy: a storm refused by one guard across two policies is one entry each', async () => {
    const result = await intake(40);
    const storms = result.entries.filter((e) => e.kind === 'refusals');
    expect(storms.map((e) => [e.policy, e.guard, e.count])).toEqual([['restart-a', 'blast-radius', 19], ['restart-b', 'blast-radius', 19]]);
    for (const storm of storms) expect(storm.refusals!.every((r) => r.policy === storm.policy)).toBe(true);
    // Up to REFUSALS_APART_MAX of a policy stay one entry each, whatever the other policy's count.
    const few = await intake(2 + 2 * REFUSALS_APART_MAX);
    expect(few.entries.filter((e) => e.kind === 'refusals')).toEqual([]);
    expect(few.entries.filter((e) => e.outcome === 'refused').map((e) => e.guards)).toEqual(Array.from({ length: 2 * REFUSALS_APART_MAX }, () => ({
      passed: ['duplicate', 'resolved', 'paused', 'maintenance', 'protected', 'storm', 'window', 'cooldown', 'rate-limit'], refusedBy: 'blast-radius', until: '2026-11-21T07:15:00.001Z',
    })));
  });

  it('reads as one commit line, and is found by the policy and target of any action it lists', async () => {
    const [, storm] = (await intake(40)).entries.filter((e) => e.kind === 'refusals');
    const { message, trailers } = entryMessage(storm!);
    expect(message).toMatch(/^refused: 19 actions of restart-b by blast-radius — blast radius: 2 disruptive actions/);
    expect(trailers).toMatchObject({ 'Homeostat-Guard': 'blast-radius', 'Homeostat-Count': '19', 'Homeostat-Outcome': 'refused' });
    expect(entryMatches(storm!, { kind: ['action', 'refusals'], policy: 'restart-b', target: 'web-39', outcome: 'refused' })).toBe(true);
    expect(entryMatches(storm!, { policy: 'restart-b', target: 'web-2' })).toBe(false); // web-2 is restart-a's
    expect(entryMatches(storm!, { kind: 'action' })).toBe(false);
  });

  it('counts a refusals entry by the actions it lists in the recent list', async () => {
    const result = await intake(40, 1);
    const recent = new RecentActions(50);
    for (const entry of result.entries) recent.put(entry);
    const [storm] = result.entries.filter((e) => e.kind === 'refusals');
    expect(recent.list({ limit: 100 }).map((e) => e.id)).toContain(storm!.id);
    // A second storm outweighs the capacity: the older one goes, the newer one stays.
    const next = (await intake(40, 1)).entries.filter((e) => e.kind === 'refusals');
    recent.put(next[0]!);
    expect(recent.list({ limit: 100 }).map((e) => e.id)).toEqual([next[0]!.id]);
  });

  it('cuts a storm larger than REFUSALS_PER_ENTRY into several entries that list every refused action once', async () => {
    const alerts = 2 * REFUSALS_PER_ENTRY + 7;
    const result = await intake(alerts, 1);
    const storm = result.entries.filter((e) => e.kind === 'refusals');
    expect(storm.map((e) => e.count)).toEqual([REFUSALS_PER_ENTRY, REFUSALS_PER_ENTRY, alerts - 2 - 2 * REFUSALS_PER_ENTRY]);
    expect(new Set(storm.map((e) => e.id)).size).toBe(3);
    for (const entry of storm) {
      expect(entry).toMatchObject({ guard: 'blast-radius', verdict: 'refused', outcome: 'refused', count: entry.refusals!.length });
      expect(validate('AuditEntry', entry)).toEqual([]);
    }
    // Together, in the order the alerts came: every alert but the two that ran, once each.
    const listed = storm.flatMap((e) => e.refusals!.map((r) => r.target));
    expect(listed).toEqual(Array.from({ length: alerts - 2 }, (_, i) => `web-${i + 2}`));
  });
});
