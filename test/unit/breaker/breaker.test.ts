import { describe, expect, it } from 'vitest';
import type { Alert } from '../../../engine/alerts/payload.js';
import { StormBreaker } from '../../../engine/breaker/breaker.js';
import { transitionEntries } from '../../../engine/breaker/summary.js';
import { decide } from '../../../engine/plan/decide.js';
import { IndexedLedger } from '../../../engine/plan/ledger.js';
import { Evaluator } from '../../../engine/policy/evaluate.js';
import { nextOpening } from '../../../engine/policy/window.js';
import { noticeOf } from '../../../engine/actions/notice.js';
import { slackMessage } from '../../../engine/actions/slack/blocks.js';
import { messageOf } from '../../../engine/actions/email/message.js';
import type { RunContext } from '../../../engine/actions/types.js';
import { validate } from '../../../engine/schema/validator.js';
import { inlinePayload } from '../../helpers/alerts.js';
import { policySet, policyYaml, settingsYaml } from '../../helpers/policies.js';

const NOW = Date.parse('2026-11-21T07:05:00Z');
const SECOND = 1000;
const MINUTE = 60 * SECOND;

const SET = policySet(
  [
    policyYaml('restart', `
      match: { alertname: [InstanceDown, ServiceDown] }
      target: '{{ labels.instance }}'
      actions:
        - name: restart
          script: { path: scripts/restart.sh, args: ['{{ target }}'] }
      guards: { cooldown: 0s }
    `),
    policyYaml('tell', `
      match: { alertname: InstanceDown }
      actions:
        - name: say
          slack: { webhook: { env: SLACK_WEBHOOK_URL }, text: '{{ labels.instance }}' }
      guards: { cooldown: 0s }
    `),
  ],
  {
    settings: settingsYaml(`stormBreaker:
    alerts: 5
    targets: 3
    per: 1m
    quietFor: 2m
    notify:
      http: { url: 'https://hooks.example/storm', body: { text: '{{ storm.alerts }} since {{ storm.since }}: {{ storm.top }}' } }`),
  },
);
const BREAKER = SET.settings.stormBreaker!;

function alerts(n: number, alertname = 'InstanceDown', from = 0): Alert[] {
  return inlinePayload(Array.from({ length: n }, (_, i) => ({ labels: { alertname, instance: `node-${from + i}` } }))).alerts;
}

let ids = 0;
const breaker = () => new StormBreaker(null, () => `storm-${++ids}`);

describe('the storm breaker', () => {
  it('opens when more than `alerts` distinct alerts fire within the window; a re-send counts once', () => {
    const b = breaker();
    b.observe(alerts(5), BREAKER, NOW);
    b.observe(alerts(5), BREAKER, NOW + SECOND); // the same five, re-sent
    expect(b.state).toBeNull();
    b.observe(alerts(1, 'NodeDown', 5), BREAKER, NOW + 2 * SECOND);
    expect(b.state).toMatchObject({ openedAt: NOW + 2 * SECOND, trigger: 'alerts', alerts: 6, alertnames: [{ alertname: 'InstanceDown', count: 5 }, { alertname: 'NodeDown', count: 1 }] });
    expect(b.drain().transitions.map((t) => t.kind)).toEqual(['opened']);
  });

  it('forgets what arrived before the window', () => {
    const b = breaker();
    b.observe(alerts(5), BREAKER, NOW);
    b.observe(alerts(5, 'InstanceDown', 5), BREAKER, NOW + MINUTE); // the first five have left the window
    expect(b.state).toBeNull();
    expect(b.counts(NOW + MINUTE)).toEqual({ alerts: 5, targets: 0 });
  });

  it('opens on more than `targets` distinct targets decided for, and refuses the disruptive action that passes it, not the notification', async () => {
    const b = breaker();
    const ledger = new IndexedLedger(() => NOW);
    const evaluator = new Evaluator(SET);
    const decided = [];
    for (const alert of alerts(4)) decided.push(decide(SET, alert, await evaluator.evaluate(alert), { now: NOW, dryRun: false, ledger, storm: b.watch(BREAKER, NOW) }));
    expect(decided.map((ds) => ds.map((d) => `${d.policy}:${d.verdict}:${d.refusedBy ?? ''}`))).toEqual([
      ['restart:run:', 'tell:run:'],
      ['restart:run:', 'tell:run:'],
      ['restart:run:', 'tell:run:'],
      ['restart:refused:storm', 'tell:run:'],
    ]);
    const refused = decided[3]![0]!;
    expect(refused.reason).toBe(`storm breaker open since 2026-11-21T07:05:00.000Z (4 targets in 1m, more than 3): no new disruptive action until the storm has been quiet for 2m, at the earliest 2026-11-21T07:07:00.000Z`);
    expect(refused.until).toBe('2026-11-21T07:07:00.000Z');
  });

  it('closes once quiet for quietFor after the last loud moment; an alert over the threshold keeps it open', () => {
    const b = breaker();
    b.observe(alerts(6), BREAKER, NOW);
    b.observe(alerts(1, 'InstanceDown', 6), BREAKER, NOW + 30 * SECOND); // 7 in the window: still loud
    expect(b.closesAt(BREAKER)).toBe(NOW + 30 * SECOND + 2 * MINUTE);
    b.closeIfDue(BREAKER, NOW + 2 * MINUTE + 29 * SECOND);
    expect(b.state).not.toBeNull();
    b.closeIfDue(BREAKER, NOW + 2 * MINUTE + 30 * SECOND);
    expect(b.state).toBeNull();
    const { transitions } = b.drain();
    expect(transitions.map((t) => t.kind)).toEqual(['opened', 'closed']);
    // Counting starts again from nothing.
    expect(b.counts(NOW + 2 * MINUTE + 30 * SECOND)).toEqual({ alerts: 0, targets: 0 });
  });

  it('closes at once when homeostat.yaml no longer has a stormBreaker', () => {
    const b = breaker();
    b.observe(alerts(6), BREAKER, NOW);
    b.observe(alerts(1), null, NOW + SECOND);
    expect(b.state).toBeNull();
    const closed = b.drain().transitions[1]!;
    expect(closed).toMatchObject({ kind: 'closed', why: 'homeostat.yaml no longer has a stormBreaker' });
  });

  it('comes back open from its saved state, and says when the open state moved so that it is saved again', () => {
    const b = breaker();
    b.observe(alerts(6), BREAKER, NOW);
    expect(b.drain().moved).toBeNull(); // the opening itself carries the state
    const restarted = new StormBreaker(b.state, () => 'unused');
    expect(restarted.view(BREAKER)).toMatchObject({ openedAt: NOW, until: NOW + 2 * MINUTE });
    restarted.observe(alerts(6, 'InstanceDown', 10), BREAKER, NOW + MINUTE);
    expect(restarted.drain()).toMatchObject({ transitions: [], moved: { loudAt: NOW + MINUTE } });
    expect(restarted.drain().moved).toBeNull();
  });

  it('audits its opening, its one summary (valid entries, rendered with storm) and its closing', () => {
    const b = breaker();
    b.observe(alerts(6), BREAKER, NOW);
    b.closeIfDue(BREAKER, NOW + 3 * MINUTE);
    const [opened, closed] = b.drain().transitions;
    const options = { now: NOW, revision: SET.revision, dryRun: false, secrets: [] };
    const open = transitionEntries(opened!, SET.settings, options);
    expect(open.entries.map((e) => validate('AuditEntry', e))).toEqual([[], []]);
    expect(open.entries[0]!.event).toMatchObject({ name: 'breaker-opened', message: 'storm breaker opened: 6 alerts in 1m (more than 5), top InstanceDown (6); no new disruptive action until quiet for 2m' });
    expect(open.entries[1]).toMatchObject({
      kind: 'action', policy: 'homeostat.yaml', action: 'storm-summary', type: 'http', verdict: 'run', outcome: null,
      params: { url: 'https://hooks.example/storm', body: { text: '6 since 2026-11-21T07:05:00.000Z: InstanceDown (6)' } },
    });
    expect(open.job?.storm).toMatchObject({ alerts: 6, top: 'InstanceDown (6)', threshold: 5, per: '1m', quietFor: '2m' });
    const shut = transitionEntries(closed!, SET.settings, { ...options, now: NOW + 3 * MINUTE });
    expect(shut.job).toBeNull();
    expect(validate('AuditEntry', shut.entries[0])).toEqual([]);
    expect(shut.entries[0]!.event!.message).toBe('storm breaker closed: quiet for 2m: no alert arrived over the threshold since 2026-11-21T07:05:00.000Z; open since 2026-11-21T07:05:00.000Z');
  });
});

describe("the storm summary's notice", () => {
  it('says the storm, not an alert, to Slack and by e-mail, with the link to its audit entry', () => {
    const b = breaker();
    b.observe([...alerts(5), ...alerts(2, 'Node<Down>', 5)], BREAKER, NOW);
    const [opened] = b.drain().transitions;
    const { job } = transitionEntries(opened!, SET.settings, { now: NOW, revision: SET.revision, dryRun: false, secrets: [] });
    const context = { storm: job!.storm, alert: null, target: '', entry: { id: job!.entry.id, policy: 'homeostat.yaml', action: 'storm-summary', revision: SET.revision }, outbound: { allowHosts: [], pagerdutyEventsUrl: null, externalUrl: 'https://homeostat.example' } } as unknown as RunContext;
    const notice = noticeOf(context);
    expect(notice).toMatchObject({ kind: 'storm', policy: 'homeostat.yaml', link: `https://homeostat.example/api/v1/actions/${job!.entry.id}`, storm: { alerts: 7, top: 'InstanceDown (5), Node<Down> (2)' } });
    const line = '7 alerts in 1m (more than 5) since 2026-11-21T07:05:00.000Z; top: InstanceDown (5), Node<Down> (2); disruptive actions stop until quiet for 2m';
    const slack = slackMessage('storm', notice) as { blocks: { fields?: { text: string }[] }[] };
    expect(slack.blocks[1]!.fields!.map((f) => f.text)).toEqual([`Storm: ${line}`]);
    expect(messageOf({ from: 'homeostat@example.com', to: ['ops@example.com'], subject: 'storm' }, notice).text).toBe(`Storm breaker open: ${line}\n\nAudit entry: https://homeostat.example/api/v1/actions/${job!.entry.id}\n`);
  });
});

describe('nextOpening: when a policy window opens', () => {
  const window = (between: [number, number], days: string[], timezone = 'UTC') => ({ between, days, timezone });
  it('is the start on the next allowed day, in the zone, across a change of UTC offset', () => {
    // Saturday noon, a weekday window 06:00-22:00: Monday 06:00.
    expect(new Date(nextOpening(Date.parse('2026-11-21T12:00:00Z'), window([360, 1320], ['mon', 'tue', 'wed', 'thu', 'fri']))!).toISOString()).toBe('2026-11-23T06:00:00.000Z');
    // Monday 05:59:30 UTC: the same day's 06:00.
    expect(nextOpening(Date.parse('2026-11-23T05:59:30Z'), window([360, 1320], ['mon']))).toBe(Date.parse('2026-11-23T06:00:00Z'));
    // Europe/Berlin leaves summer time on 2026-10-25: Saturday 09:00 CEST is 07:00Z, Monday 09:00 CET is 08:00Z.
    expect(nextOpening(Date.parse('2026-10-24T12:00:00Z'), window([540, 1020], ['mon'], 'Europe/Berlin'))).toBe(Date.parse('2026-10-26T08:00:00Z'));
    // No day at all: never.
    expect(nextOpening(NOW, window([0, 60], []))).toBeNull();
  });
});
