/**
 * What the resolution of an alert means to later decisions (issue 10, items 4 and 5):
 * - a firing that arrives after its resolution (same fingerprint and startsAt: a lagging HA
 *   peer, an old group re-sent) is never remediated again;
 * - the onResolved that answers actions that ran for the alert is not held by cooldown, rate
 *   limit, window or blast radius (Alertmanager never re-sends a resolved alert).
 * Decided as the engine decides a webhook (decidePayload, a ledger, a clock), no process.
 */
import { describe, expect, it } from 'vitest';
import type { SplitPayload } from '../../../engine/alerts/payload.js';
import type { JournalRecord } from '../../../engine/audit/journal.js';
import { evaluateAll, simulate } from '../../../engine/pipeline/simulate.js';
import { ranKey, resolvedKey } from '../../../engine/plan/decide.js';
import type { Decision } from '../../../engine/plan/decide.js';
import { IndexedLedger } from '../../../engine/plan/ledger.js';
import { Evaluator } from '../../../engine/policy/evaluate.js';
import type { PolicySet } from '../../../engine/policy/types.js';
import { decidePayload } from '../../../engine/runtime/intake.js';
import type { Intake } from '../../../engine/runtime/intake.js';
import { replay } from '../../../engine/runtime/recovery.js';
import { validate } from '../../../engine/schema/validator.js';
import { inlinePayload } from '../../helpers/alerts.js';
import { policySet, policyYaml, settingsYaml } from '../../helpers/policies.js';

const T0 = Date.parse('2026-11-23T12:00:00Z'); // a Monday
const MINUTE = 60_000;
const OUTAGE_A = '2026-11-23T11:58:00Z';
const OUTAGE_B = '2026-11-23T12:29:00Z';

/** The bundled cordon-hot-worker, as far as guards go: cordon on firing, uncordon on resolution, cooldown 30m. */
function cordonPolicy(guards = '{ cooldown: 30m }', name = 'cordon-hot-worker'): string {
  return policyYaml(name, `
    match: { alertname: NodeHighCPU }
    target: '{{ labels.node }}'
    actions:
      - name: cordon
        kubernetes: { cordon: { node: '{{ labels.node }}' } }
    onResolved:
      - name: uncordon
        kubernetes: { uncordon: { node: '{{ labels.node }}' } }
    guards: ${guards}
  `);
}

const CORDON = policySet(cordonPolicy());
const OUTAGES: Record<string, string> = { A: OUTAGE_A, B: OUTAGE_B };

/**
 * A webhook on the timeline: "MINUTE STATUS OUTAGE [NODE]" (one alert of NodeHighCPU), or
 * that with the policy set it meets when it is not the timeline's.
 */
type Step = string | readonly [string, PolicySet];

/** One line per decision, what an operator reads: "status phase:action verdict[/refusedBy]". */
function line(d: Decision): string {
  return `${d.alert.status} ${d.phase}:${d.action} ${d.verdict}${d.refusedBy ? `/${d.refusedBy}` : ''}`;
}

function parse(step: Step, set: PolicySet): { at: number; payload: SplitPayload; set: PolicySet } {
  const [text, own] = typeof step === 'string' ? [step, set] : step;
  const [minute, status, outage, node = 'worker-1'] = text.split(' ') as [string, 'firing' | 'resolved', string, string?];
  const payload = inlinePayload([{ status, labels: { alertname: 'NodeHighCPU', node } }], OUTAGES[outage]!);
  return { at: T0 + Number(minute) * MINUTE, payload, set: own };
}

/** Decides each step as the webhook does, sharing one ledger (the engine's memory). */
async function timeline(steps: readonly Step[], options: { set?: PolicySet; ledger?: IndexedLedger } = {}): Promise<{ lines: string[]; intakes: Intake[] }> {
  const ledger = options.ledger ?? new IndexedLedger(() => T0);
  const intakes: Intake[] = [];
  const lines: string[] = [];
  for (const step of steps) {
    const { at, payload, set } = parse(step, options.set ?? CORDON);
    const matches = await evaluateAll(new Evaluator(set), payload.alerts);
    intakes.push(await decidePayload(set, payload, matches, { now: at, dryRun: false, ledger, secrets: [], onDecision: (d) => lines.push(line(d)) }));
  }
  return { lines, intakes };
}

/** What the journal's guard records of these intakes give back at start-up. */
function restored(intakes: readonly Intake[]): IndexedLedger {
  const records: JournalRecord[] = intakes.map((i, seq) => ({ t: 'guard', seq: seq + 1, at: T0 + seq * MINUTE, ...i.guard }));
  const state = replay(records);
  return IndexedLedger.restore({ seen: state.seen, ledger: state.ledger }, () => T0);
}

const paused = policySet(cordonPolicy(), { settings: settingsYaml('paused: true') });

describe('a firing that arrives after its resolution is never remediated again', () => {
  // The kill switch was on while A fired; it is off again when A resolves (the uncordon of a
  // node nobody cordoned is harmless); then a lagging peer delivers A's firing, twice.
  const lateAfterPause: Step[] = [['0 firing A', paused], '5 resolved A', '40 firing A', '41 firing A'];

  it('refuses the late firing as resolved, audits it once, and counts its re-sends as duplicates', async () => {
    const { lines, intakes } = await timeline(lateAfterPause);
    expect(lines).toEqual([
      'firing actions:cordon refused/paused',
      'resolved onResolved:uncordon run',
      'firing actions:cordon refused/resolved',
      'firing actions:cordon refused/duplicate',
    ]);
    const late = intakes[2]!;
    expect(late.jobs).toEqual([]);
    expect(late.entries).toHaveLength(1);
    const [entry] = late.entries;
    expect(validate('AuditEntry', entry)).toEqual([]);
    expect(entry).toMatchObject({
      kind: 'action', policy: 'cordon-hot-worker', action: 'cordon', phase: 'actions', target: 'worker-1',
      alert: { status: 'firing', startsAt: OUTAGE_A },
      verdict: 'refused', outcome: 'refused', guards: { passed: ['duplicate'], refusedBy: 'resolved' },
    });
    expect(entry!.reason).toBe(
      `resolved: alert ${entry!.alert!.fingerprint} (startsAt ${OUTAGE_A}) was already seen resolved; a firing that arrives after its resolution (a lagging Alertmanager peer, an old group re-sent) is never remediated again`,
    );
    expect(intakes[3]!.entries).toEqual([]); // a re-send of the late firing is counted, not audited again
  });

  it('refuses a firing that arrives after a resolution seen alone (the peer that sent the firing lagged behind)', async () => {
    const { lines } = await timeline(['0 resolved A', '1 firing A']);
    expect(lines).toEqual(['resolved onResolved:uncordon run', 'firing actions:cordon refused/resolved']);
  });

  it('remembers the resolution of an alert that matched no policy: a policy added since does not act on its late firing', async () => {
    const other = policySet(policyYaml('other', `
      match: { alertname: SomethingElse }
      actions:
        - name: say
          slack: { webhook: { env: SLACK_WEBHOOK_URL }, text: hi }
    `));
    const { lines, intakes } = await timeline([['0 resolved A', other], '10 firing A']);
    expect(lines).toEqual(['firing actions:cordon refused/resolved']);
    const [alert] = parse('0 resolved A', other).payload.alerts;
    expect(intakes[0]!.guard.seen).toEqual([resolvedKey(alert!)]); // what the journal gets
  });

  it('leaves alone what worked before: a firing that ran is a duplicate after its resolution, and a new startsAt is a new outage (control)', async () => {
    const { lines } = await timeline(['0 firing A', '5 resolved A', '6 firing A', '35 firing B']);
    expect(lines).toEqual([
      'firing actions:cordon run',
      'resolved onResolved:uncordon run',
      'firing actions:cordon refused/duplicate',
      'firing actions:cordon run',
    ]);
  });

  it('applies to every policy the late firing matches, also an `on: any` one', async () => {
    const set = policySet([
      cordonPolicy(),
      policyYaml('say-any', `
        on: any
        match: { alertname: NodeHighCPU }
        actions:
          - name: say
            slack: { webhook: { env: SLACK_WEBHOOK_URL }, text: '{{ alert.status }}' }
      `),
    ]);
    const { lines } = await timeline(['0 resolved A', '1 firing A'], { set });
    expect(lines).toEqual([
      'resolved onResolved:uncordon run',
      'resolved actions:say run',
      'firing actions:cordon refused/resolved',
      'firing actions:say refused/resolved',
    ]);
  });

  it('is remembered across a restart: the journal\'s guard records restore it', async () => {
    const { intakes } = await timeline(lateAfterPause.slice(0, 2));
    const { lines } = await timeline(lateAfterPause.slice(2, 3), { ledger: restored(intakes) });
    expect(lines).toEqual(['firing actions:cordon refused/resolved']);
  });
});

describe('the onResolved that answers actions that ran is not lost on a flap', () => {
  // Cooldowns are per policy, phase and target: the second cordon is measured from the first
  // cordon (31m > 30m: it runs), the second uncordon from the first uncordon (15m < 30m: it was
  // refused, and Alertmanager never re-sends a resolution: the node stayed cordoned for good).
  // This happens whenever the second outage starts 30m or more after the first and ends less
  // than 30m after the first ended.
  const flap: Step[] = ['0 firing A', '25 resolved A', '31 firing B', '40 resolved B'];
  const twice = ['firing actions:cordon run', 'resolved onResolved:uncordon run', 'firing actions:cordon run', 'resolved onResolved:uncordon run'];

  it('uncordons after the second outage of a flap within the cooldown', async () => {
    const { lines, intakes } = await timeline(flap);
    expect(lines).toEqual(twice);
    const [entry] = intakes[3]!.entries;
    expect(validate('AuditEntry', entry)).toEqual([]);
    // Only the checks that hold an answer were made.
    expect(entry!.guards).toEqual({ passed: ['duplicate', 'resolved', 'paused', 'maintenance'], refusedBy: null });
    expect(intakes[0]!.entries[0]!.guards).toEqual({ passed: ['duplicate', 'resolved', 'paused', 'maintenance', 'protected', 'storm', 'window', 'cooldown', 'rate-limit', 'blast-radius', 'min-healthy'], refusedBy: null });
    expect(intakes[3]!.jobs.map((j) => j.action.name)).toEqual(['uncordon']);
  });

  it('uncordons after a firing refused by the cooldown ran when Alertmanager re-sent it', async () => {
    const { lines } = await timeline(['0 firing A', '10 firing B', '25 resolved A', '35 firing B', '40 resolved B']);
    expect(lines).toEqual([
      'firing actions:cordon run',
      'firing actions:cordon refused/cooldown',
      'resolved onResolved:uncordon run',
      'firing actions:cordon run',
      'resolved onResolved:uncordon run',
    ]);
  });

  it('still holds an onResolved that answers nothing by the cooldown (its firing was refused: the node is not cordoned) (control)', async () => {
    const { lines, intakes } = await timeline(['0 firing A', '25 resolved A', '28 firing B', '29 resolved B']);
    expect(lines).toEqual([
      'firing actions:cordon run',
      'resolved onResolved:uncordon run',
      'firing actions:cordon refused/cooldown',
      'resolved onResolved:uncordon refused/cooldown',
    ]);
    expect(intakes[3]!.entries[0]!.reason).toBe('cooldown: cordon-hot-worker decided an action for worker-1 4m ago (cooldown 30m, until 2026-11-23T12:55:00.000Z)');
  });

  it('is not held by the rate limit', async () => {
    const set = policySet(cordonPolicy('{ cooldown: 0s, rateLimit: { max: 1, per: 1h } }'));
    const { lines } = await timeline(['0 firing A worker-1', '2 resolved A worker-1', '61 firing B worker-2', '62 resolved B worker-2'], { set });
    expect(lines).toEqual(twice);
  });

  it('is not held by the blast radius, and still counts in it', async () => {
    const set = policySet(cordonPolicy('{ cooldown: 0s }'), { settings: settingsYaml('blastRadius: { max: 1, per: 10m }') });
    const { lines } = await timeline(['0 firing A worker-1', '1 resolved A worker-1', '12 firing B worker-2'], { set });
    expect(lines).toEqual(['firing actions:cordon run', 'resolved onResolved:uncordon run', 'firing actions:cordon run']);
    const { lines: held } = await timeline(['0 firing A worker-1', '1 resolved A worker-1', '10.5 firing B worker-2'], { set });
    expect(held[2]).toBe('firing actions:cordon refused/blast-radius');
  });

  it('is not held by the policy window: a cordon at the end of the window is undone after it closes', async () => {
    const set = policySet(cordonPolicy("{ cooldown: 30m, window: { days: [mon, tue, wed, thu, fri], between: '06:00-12:30', timezone: UTC } }"));
    const { lines } = await timeline(['25 firing A', '40 resolved A', '41 firing B'], { set });
    expect(lines).toEqual(['firing actions:cordon run', 'resolved onResolved:uncordon run', 'firing actions:cordon refused/window']);
  });

  it('is held by the kill switch and a maintenance window, and says it will not be decided again', async () => {
    const maintenance = policySet(cordonPolicy(), { settings: settingsYaml("maintenanceWindows: [{ start: '2026-11-23T12:20:00Z', end: '2026-11-23T13:00:00Z', reason: kernel upgrades }]") });
    const { lines, intakes } = await timeline(['0 firing A worker-1', '0 firing A worker-2', ['25 resolved A worker-1', paused], ['25 resolved A worker-2', maintenance]]);
    expect(lines).toEqual([
      'firing actions:cordon run',
      'firing actions:cordon run',
      'resolved onResolved:uncordon refused/paused',
      'resolved onResolved:uncordon refused/maintenance',
    ]);
    const hand = '; this onResolved answers actions that ran and a resolved alert is not re-sent: do it by hand';
    expect(intakes[2]!.entries[0]).toMatchObject({ reason: `paused: homeostat.yaml sets paused: true${hand}`, guards: { passed: ['duplicate', 'resolved'], refusedBy: 'paused' } });
    expect(intakes[3]!.entries[0]).toMatchObject({ reason: `maintenance window open until 2026-11-23T13:00:00.000Z: kernel upgrades${hand}`, guards: { passed: ['duplicate', 'resolved', 'paused'], refusedBy: 'maintenance' } });
  });

  it('remembers that the actions ran across a restart', async () => {
    const { intakes } = await timeline(flap.slice(0, 3));
    const [alert] = parse('31 firing B', CORDON).payload.alerts;
    expect(intakes[2]!.guard.seen).toContain(ranKey(alert!, 'cordon-hot-worker'));
    const { lines } = await timeline(flap.slice(3), { ledger: restored(intakes) });
    expect(lines).toEqual(['resolved onResolved:uncordon run']);
  });
});

describe('simulate decides a timeline as the engine does', () => {
  it('gives the same verdicts, payload by payload, as the webhook', async () => {
    const steps = ['0 firing A', '25 resolved A', '26 firing A', '31 firing B', '40 resolved B', '41 firing B'];
    const engine = await timeline(steps);
    const ledger = new IndexedLedger(() => T0);
    const simulated: string[] = [];
    for (const step of steps) {
      const { at, payload } = parse(step, CORDON);
      simulated.push(...(await simulate(CORDON, [payload], { now: at, ledger })).decisions.map(line));
    }
    expect(simulated).toEqual(engine.lines);
    expect(simulated).toEqual([
      'firing actions:cordon run',
      'resolved onResolved:uncordon run',
      'firing actions:cordon refused/duplicate',
      'firing actions:cordon run',
      'resolved onResolved:uncordon run',
      'firing actions:cordon refused/duplicate',
    ]);
  });

  it('refuses the late firing of payloads given in one call (one clock)', async () => {
    const payloads = ['0 resolved A', '0 firing A'].map((step) => parse(step, CORDON).payload);
    const { decisions } = await simulate(CORDON, payloads, { now: T0 });
    expect(decisions.map(line)).toEqual(['resolved onResolved:uncordon run', 'firing actions:cordon refused/resolved']);
  });
});
