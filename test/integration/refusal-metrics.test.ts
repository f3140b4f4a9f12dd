/**
 * homeostat_refusals_total{guard,policy} through the real engine: a cooldown's refusal is counted by
 * its guard, a re-sent alert (a duplicate) is not a refusal.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { closeTestEngine, payload, startTestEngine, waitFor } from '../helpers/engine.js';
import type { TestEngine } from '../helpers/engine.js';
import { REFUSALS_APART_MAX } from '../../engine/runtime/intake.js';

let t: TestEngine | undefined;
afterEach(async () => (t = await closeTestEngine(t)));

const FILES = {
  'scripts/ok.sh': '#!/bin/sh\nexit 0\n',
  'rules/restart.yaml': `apiVersion: homeostat/v1
kind: Policy
metadata: { name: restart }
spec:
  match: { alertname: ServiceDown }
  target: '{{ labels.host }}'
  actions:
    - name: restart
      script: { path: scripts/ok.sh }
  guards: { cooldown: 1h }
`,
};

async function metric(engine: TestEngine, line: string): Promise<number> {
  const text = (await engine.app.inject({ method: 'GET', url: '/metrics' })).body;
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found ? Number(found.split(' ').at(-1)) : 0;
}

describe('refusals by guard', () => {
  it('counts a cooldown refusal under its guard and a re-send as a duplicate only', async () => {
    t = await startTestEngine({ files: FILES });
    const first = payload({ alertname: 'ServiceDown', host: 'web-1', name: 'a.service' });
    expect((await t.post(first)).statusCode).toBe(202);
    expect((await t.post(first)).statusCode).toBe(202); // re-sent
    // Another alert on the same target within the cooldown.
    expect((await t.post(payload({ alertname: 'ServiceDown', host: 'web-1', name: 'b.service' }))).statusCode).toBe(202);
    await waitFor(async () => (await metric(t!, 'homeostat_actions_total{type="script",outcome="succeeded"}')) === 1, 'the first action to succeed');
    expect(await metric(t, 'homeostat_refusals_total{guard="cooldown",policy="restart"}')).toBe(1);
    expect(await metric(t, 'homeostat_decisions_total{verdict="duplicate"}')).toBe(1);
    expect(await metric(t, 'homeostat_refusals_total{guard="duplicate",policy="restart"}')).toBe(0);
  });

  it("counts every refusal a storm's 'refusals' entry lists", async () => {
    t = await startTestEngine({ files: { ...FILES, 'homeostat.yaml': 'apiVersion: homeostat/v1\nkind: Settings\nspec:\n  blastRadius: { max: 1, per: 10m }\n' } });
    const storm = payload({ alertname: 'ServiceDown', host: 'web-0', name: 'a.service' }) as { alerts: { labels: Record<string, string> }[] };
    const [first] = storm.alerts;
    storm.alerts = Array.from({ length: REFUSALS_APART_MAX + 4 }, (_, i) => ({ ...first!, labels: { ...first!.labels, host: `web-${i}` } }));
    expect((await t.post(storm)).statusCode).toBe(202);
    expect(await metric(t, 'homeostat_refusals_total{guard="blast-radius",policy="restart"}')).toBe(REFUSALS_APART_MAX + 3);
    // They were audited in one 'refusals' entry, not one entry each.
    const log = await waitFor(() => { const text = t!.git('log', '--format=%s'); return text.includes('blast-radius') && text; }, 'the refusals to be committed');
    expect(log.split('\n').filter((l) => l.includes('blast-radius'))).toHaveLength(1);
  });
});
