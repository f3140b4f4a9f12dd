/**
 * A payload is decided in slices of time, with turns of the event loop between slices: the
 * decisions, the dedup and the guards' counting are those of one pass. Here every alert is a
 * slice of its own (sliceMs 0), the most turns there can be.
 */
import { describe, expect, it } from 'vitest';
import type { Decision } from '../../../engine/plan/decide.js';
import { IndexedLedger } from '../../../engine/plan/ledger.js';
import { evaluateAll, simulate } from '../../../engine/pipeline/simulate.js';
import { Evaluator } from '../../../engine/policy/evaluate.js';
import { decidePayload } from '../../../engine/runtime/intake.js';
import { inlinePayload } from '../../helpers/alerts.js';
import { policySet, policyYaml, settingsYaml } from '../../helpers/policies.js';

const NOW = Date.parse('2026-11-21T07:05:00Z');
const DECIDE_SLICE = 500;

// A rate limit and a blast radius that the storm runs into part-way, a cooldown per target.
const SET = policySet(
  [
    policyYaml('restart', `
      match:
        alertname: Down
      target: '{{ labels.instance }}'
      actions:
        - name: restart
          script:
            path: scripts/restart.sh
            args: ['{{ target }}']
      guards:
        cooldown: 10m
    `),
    policyYaml('notify', `
      match:
        severity: critical
      actions:
        - name: tell
          http:
            url: http://hooks.example/alert
            body: '{{ labels.alertname }}{% if labels.instance %} on {{ labels.instance }}{% endif %}'
      guards:
        rateLimit: { max: 700, per: 10m }
    `),
  ],
  { settings: settingsYaml('blastRadius: { max: 900, per: 10m }') },
);

/** Alerts of a storm: some twice in the payload, some resolved, some on the same target. */
function storm(n: number) {
  return inlinePayload(
    Array.from({ length: n }, (_, i) => ({
      status: i % 11 === 0 ? ('resolved' as const) : ('firing' as const),
      labels: { alertname: i % 3 ? 'Down' : 'Other', severity: i % 2 ? 'critical' : 'info', instance: `web-${i % 7 === 0 ? i - 1 : i}`, n: String(i % 1000) },
    })),
  );
}

const line = (d: Decision) => `${d.alert.fingerprint} ${d.policy}/${d.action} ${d.target} ${d.verdict} ${d.refusedBy ?? ''} ${d.reason ?? ''}`;

describe('deciding a payload in slices', () => {
  it('gives the decisions, dedup and guard counts of one pass', async () => {
    const payload = storm(4 * DECIDE_SLICE + 123);
    const oneLedger = new IndexedLedger(() => NOW);
    const onePass = (await simulate(SET, [payload, payload], { now: NOW, dryRun: true, ledger: oneLedger })).decisions.map(line);

    const ledger = new IndexedLedger(() => NOW);
    const sliced: string[] = [];
    const matches = await evaluateAll(new Evaluator(SET), payload.alerts);
    let turns = 0;
    const counting = setInterval(() => turns++, 0);
    const options = { now: NOW, dryRun: true, ledger, secrets: [], sliceMs: 0, onDecision: (d: Decision) => sliced.push(line(d)) };
    const first = await decidePayload(SET, payload, matches, options);
    const again = await decidePayload(SET, payload, matches, options);
    clearInterval(counting);
    expect(turns).toBeGreaterThan(0); // the event loop ran timers between slices

    expect(sliced).toEqual(onePass);
    expect(first.decisions + again.decisions).toBe(onePass.length);
    // Each verdict appears, so every path was taken across slices.
    expect([...first.verdicts.keys()].sort()).toEqual(['dry-run', 'refused']);
    expect(again.verdicts.get('duplicate')).toBeGreaterThan(0);
    expect(ledger.export(NOW)).toEqual(oneLedger.export(NOW));
  });
});
