/**
 * A storm being decided does not keep the engine from answering: its decisions are made in
 * slices with turns of the event loop between them. A payload that touches nothing the guards
 * remember is answered meanwhile; one that may touch it waits for the storm's decisions and
 * finds them (one at a time, as in one pass). A real engine: journal, git audit, executor.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SplitPayload } from '../../engine/alerts/payload.js';
import { IndexedLedger } from '../../engine/plan/ledger.js';
import { simulate } from '../../engine/pipeline/simulate.js';
import { inlinePayload } from '../helpers/alerts.js';
import { removeTestEngine, startTestEngine } from '../helpers/engine.js';
import type { TestEngine } from '../helpers/engine.js';
import { policySet, policyYaml, settingsYaml } from '../helpers/policies.js';

const NOW = Date.parse('2026-11-21T07:05:00Z');

const POLICY = policyYaml('notify', `
  match:
    alertname: StormDown
  actions:
    - name: tell
      http:
        url: http://hooks.example/alert
        body: '{{ labels.alertname }}{% if labels.instance %} on {{ labels.instance }}{% endif %}'
  guards:
    rateLimit: { max: 40, per: 10m }
`);
const SETTINGS = settingsYaml('blastRadius: { max: 20, per: 10m }');

function storm(from: number, to: number): SplitPayload {
  return inlinePayload(Array.from({ length: to - from }, (_, i) => ({ labels: { alertname: 'StormDown', instance: `node-${from + i}:9100` } })));
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

let t: TestEngine | null = null;

afterEach(async () => {
  if (!t) return;
  await t.close();
  removeTestEngine(t);
  t = null;
});

/** A storm's size unit: a storm of a few of them is decided over several slices of time. */
const DECIDE_SLICE = 500;

async function start(): Promise<TestEngine> {
  t = await startTestEngine({ files: { 'rules/notify.yaml': POLICY, 'homeostat.yaml': SETTINGS }, config: { dryRun: true }, clock: () => NOW });
  return t;
}

describe('intake while a storm is decided', () => {
  it('answers a payload that matches nothing while a storm is decided; a re-send of a storm alert is decided once', async () => {
    const { engine } = await start();
    const big = storm(0, 3 * DECIDE_SLICE);
    const order: string[] = [];
    const large = engine.receive(big).then((r) => (order.push('storm'), r));
    await nextTurn(); // the storm is under way: evaluated and decided a slice at a time
    const probe = engine.receive(inlinePayload([{ labels: { alertname: 'NothingMatches', instance: 'probe:9100' } }])).then((r) => (order.push('probe'), r));
    // The storm's first alert (which runs whichever payload decides it first: a rate-limited one
    // is not final, and is decided again when re-sent).
    const resend = engine.receive(storm(0, 1)).then((r) => (order.push('re-send'), r));
    const [stormResult, probeResult, resendResult] = await Promise.all([large, probe, resend]);
    expect(order[0]).toBe('probe');
    expect(probeResult).toMatchObject({ alerts: 1, decisions: 0 });
    expect(stormResult).toMatchObject({ alerts: 3 * DECIDE_SLICE, decisions: 3 * DECIDE_SLICE });
    // The storm's first alert, in two payloads: decided by one of them; the other finds it decided.
    expect(resendResult.decisions).toBe(1);
    expect(stormResult.duplicates + resendResult.duplicates).toBe(1);
    expect(stormResult.actions + resendResult.actions).toBe(40);
  });

  it('decides overlapping payloads sent at once as one pass decides them, one payload after the other', async () => {
    const { engine } = await start();
    const a = storm(0, 2 * DECIDE_SLICE + 50);
    const b = storm(DECIDE_SLICE, 3 * DECIDE_SLICE);
    const [ra, rb] = await Promise.all([engine.receive(a), engine.receive(b)]);
    const got = { a: counts(ra), b: counts(rb) };

    const set = policySet([POLICY], { settings: SETTINGS });
    const onePass = async (first: SplitPayload, second: SplitPayload) => {
      const ledger = new IndexedLedger(() => NOW);
      const results = [];
      for (const payload of [first, second]) {
        const { decisions } = await simulate(set, [payload], { now: NOW, dryRun: true, ledger });
        results.push({ decisions: decisions.length, duplicates: decisions.filter((d) => d.refusedBy === 'duplicate').length, actions: decisions.filter((d) => d.verdict === 'dry-run').length });
      }
      return results;
    };
    const [aFirst, bFirst] = [await onePass(a, b), await onePass(b, a)];
    // Whichever was decided first (the one evaluated first), the other was decided after it, whole.
    expect([{ a: aFirst[0], b: aFirst[1] }, { a: bFirst[1], b: bFirst[0] }]).toContainEqual(got);
  });
});

function counts({ decisions, duplicates, actions }: { decisions: number; duplicates: number; actions: number }) {
  return { decisions, duplicates, actions };
}
