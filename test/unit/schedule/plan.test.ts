/**
 * A routine job's run decided against the guards' ledger the alerts' actions share: the
 * cooldown one way and the other (a schedule with a cooldown holds a policy off its target, and
 * is held off a target an alert's action was decided for; a check without one does neither),
 * through a restart of the ledger; and missed due times recorded per target.
 */
import { describe, expect, it } from 'vitest';
import { decide } from '../../../engine/plan/decide.js';
import type { Decision } from '../../../engine/plan/decide.js';
import { IndexedLedger } from '../../../engine/plan/ledger.js';
import { Evaluator } from '../../../engine/policy/evaluate.js';
import type { CompiledSchedule, PolicySet } from '../../../engine/policy/types.js';
import { missedEntries, planRun } from '../../../engine/schedule/plan.js';
import { inlineAlert } from '../../helpers/alerts.js';
import { policySet, policyYaml } from '../../helpers/policies.js';

const NOW = Date.parse('2026-11-23T12:00:00Z');
const MINUTE = 60_000;

function scheduleYaml(name: string, guards: string, actions = "[{ name: restart, script: { path: scripts/restart.sh, args: ['{{ target }}'] } }]"): string {
  return `apiVersion: homeostat/v1
kind: Schedule
metadata: { name: ${name} }
spec:
  cron: '0 4 * * *'
  targets: { hosts: [web-1, web-2] }
  actions: ${actions}
  guards: ${guards}
`;
}

const set: PolicySet = policySet([
  policyYaml('restart-web', `
    match: { alertname: WebDown }
    target: '{{ labels.host }}'
    actions: [{ name: restart, script: { path: scripts/restart.sh, args: ['{{ target }}'] } }]
    guards: { cooldown: 15m }
  `),
  scheduleYaml('restart-nightly', '{ cooldown: 1h }'),
  scheduleYaml('check-web', '{}'),
]);
const schedule = (name: string): CompiledSchedule => set.schedules.find((s) => s.name === name)!;

function run(ledger: IndexedLedger, name: string, at: number, targets: string[] = ['web-1']) {
  return planRun({ schedule: schedule(name), revision: 'r', trigger: 'manual', due: at, by: 'test', targets }, { now: at, settings: set.settings, dryRun: false, ledger, secrets: [], busy: () => false });
}

async function alertOn(ledger: IndexedLedger, host: string, at: number): Promise<Pick<Decision, 'verdict' | 'refusedBy' | 'reason'>> {
  const alert = inlineAlert({ labels: { alertname: 'WebDown', host }, startsAt: new Date(at).toISOString() });
  const [d] = decide(set, alert, await new Evaluator(set).evaluate(alert), { now: at, dryRun: false, ledger });
  return { verdict: d!.verdict, refusedBy: d!.refusedBy, reason: d!.reason };
}

describe('a run and an alert action share the target\'s cooldown', () => {
  it('a run of a schedule with a cooldown holds a policy off its target for the policy\'s cooldown; other targets are free', async () => {
    const ledger = new IndexedLedger();
    expect(run(ledger, 'restart-nightly', NOW).jobs).toHaveLength(1);
    expect(await alertOn(ledger, 'web-1', NOW + 5 * MINUTE)).toEqual({
      verdict: 'refused', refusedBy: 'cooldown', reason: 'cooldown: schedule restart-nightly decided a run on web-1 5m ago (cooldown of restart-web: 15m)',
    });
    expect(await alertOn(ledger, 'web-2', NOW + 5 * MINUTE)).toMatchObject({ verdict: 'run' });
    // Past the policy's own cooldown (15m), not the schedule's (1h).
    expect(await alertOn(ledger, 'web-1', NOW + 16 * MINUTE)).toMatchObject({ verdict: 'run' });
  });

  it('still holds after a restart: the ledger rebuilt from what the journal keeps', async () => {
    const ledger = new IndexedLedger();
    run(ledger, 'restart-nightly', NOW);
    const restored = IndexedLedger.restore(JSON.parse(JSON.stringify(ledger.export(NOW))) as ReturnType<IndexedLedger['export']>);
    expect(await alertOn(restored, 'web-1', NOW + MINUTE)).toMatchObject({ verdict: 'refused', refusedBy: 'cooldown' });
  });

  it('a read-only check (a schedule without a cooldown) neither holds a remediation back nor a schedule with a cooldown', async () => {
    const ledger = new IndexedLedger();
    expect(run(ledger, 'check-web', NOW).jobs).toHaveLength(1);
    expect(await alertOn(ledger, 'web-1', NOW + MINUTE)).toMatchObject({ verdict: 'run' });
    const ledger2 = new IndexedLedger();
    run(ledger2, 'check-web', NOW);
    expect(run(ledger2, 'restart-nightly', NOW + MINUTE).jobs).toHaveLength(1);
  });

  it('an alert action holds a schedule with a cooldown off the target, not a check', async () => {
    const ledger = new IndexedLedger();
    expect(await alertOn(ledger, 'web-1', NOW)).toMatchObject({ verdict: 'run' });
    const held = run(ledger, 'restart-nightly', NOW + 10 * MINUTE, ['web-1', 'web-2']);
    expect(held.entries.map((e) => [e.target, e.outcome, e.reason])).toEqual([
      ['web-1', 'refused', 'cooldown: an action was decided for web-1 10m ago (cooldown of restart-nightly: 1h)'],
      ['web-2', null, null],
    ]);
    expect(run(ledger, 'check-web', NOW + 10 * MINUTE).entries.map((e) => e.verdict)).toEqual(['run']);
  });
});

describe('missed due times', () => {
  const missed = { count: 3, more: false, first: NOW - 3 * 3600_000, last: NOW - 3600_000 };
  const twoActions = "[{ name: restart, script: { path: scripts/restart.sh } }, { name: say, script: { path: scripts/say.sh } }]";
  const both = policySet([scheduleYaml('nightly', '{}', twoActions)]).schedules[0]!;

  it('are recorded per target and action, like runs, each with the count and the first and last due time', () => {
    const entries = missedEntries({ schedule: both, revision: 'r', trigger: 'cron', due: missed.last, targets: ['web-1', 'web-2'] }, missed, NOW);
    expect(entries.map((e) => [e.target, e.action, e.outcome, e.verdict, e.guards?.refusedBy])).toEqual([
      ['web-1', 'restart', 'missed', 'refused', 'starting-deadline'],
      ['web-1', 'say', 'missed', 'refused', 'starting-deadline'],
      ['web-2', 'restart', 'missed', 'refused', 'starting-deadline'],
      ['web-2', 'say', 'missed', 'refused', 'starting-deadline'],
    ]);
    expect(new Set(entries.map((e) => e.id)).size).toBe(4);
    expect(entries[0]!.schedule).toMatchObject({ name: 'nightly', trigger: 'cron', due: '2026-11-23T11:00:00.000Z', missed: { count: 3, first: '2026-11-23T09:00:00.000Z', last: '2026-11-23T11:00:00.000Z' } });
    expect(entries[0]!.reason).toBe('missed: 3 runs due from 2026-11-23T09:00:00.000Z to 2026-11-23T11:00:00.000Z (UTC) came due more than startingDeadline 10m before the engine could start them; not run');
  });

  it('without targets when they could not be listed, one per action, saying why', () => {
    const entries = missedEntries({ schedule: both, revision: 'r', trigger: 'cron', due: missed.last, targets: { error: 'ansible-inventory failed' } }, { ...missed, count: 1, first: missed.last }, NOW);
    expect(entries.map((e) => [e.target, e.action, e.outcome])).toEqual([[null, 'restart', 'missed'], [null, 'say', 'missed']]);
    expect(entries[0]!.reason).toMatch(/; not run; its targets could not be listed: ansible-inventory failed$/);
  });
});
