/**
 * A storm of 10,000 alerts is evaluated in one synchronous pass cut into time slices: the
 * engine, listening on a real socket, answers /healthz while the storm is still being
 * evaluated. A real engine (journal, git audit), a real HTTP server on 127.0.0.1; the storm's
 * alerts each meet a few hundred candidate policies with regexes that fail, so that evaluating
 * them takes many slices on any machine, and one policy that matches (dry-run http, rate-limited).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Evaluator } from '../../engine/policy/evaluate.js';
import { TOKEN, closeTestEngine, startTestEngine } from '../helpers/engine.js';
import type { TestEngine } from '../helpers/engine.js';
import { policyYaml, settingsYaml } from '../helpers/policies.js';
import { waitFor } from '../helpers/wait.js';

const STORM = 10_000;
const NOW = Date.parse('2026-11-21T07:05:00Z');
const DECOYS = 300;

const files: Record<string, string> = {
  'homeostat.yaml': settingsYaml('blastRadius: { max: 20, per: 10m }'),
  'rules/notify.yaml': policyYaml('notify', `
    match: { alertname: StormDown }
    actions:
      - name: tell
        http: { url: 'http://hooks.example/alert', body: '{{ labels.instance }}' }
    guards:
      rateLimit: { max: 10, per: 10m }
  `),
};
// Candidates for every storm alert (same alertname, the labels they need present) that its instance fails.
for (let i = 0; i < DECOYS; i++) {
  files[`rules/decoy-${i}.yaml`] = policyYaml(`decoy-${i}`, `
    match:
      alertname: StormDown
      instance: { regex: 'rack-${i}-[0-9]+:9100' }
    actions:
      - name: tell
        http: { url: 'http://hooks.example/decoy', body: 'x' }
  `);
}

function stormBody(): string {
  const alerts = Array.from({ length: STORM }, (_, i) => ({
    status: 'firing',
    labels: { alertname: 'StormDown', instance: `node-${i}:9100` },
    annotations: {},
    startsAt: '2026-11-21T07:00:00Z',
  }));
  return JSON.stringify({ version: '4', status: 'firing', receiver: 'homeostat', groupKey: '{}:{alertname="StormDown"}', groupLabels: { alertname: 'StormDown' }, commonLabels: { alertname: 'StormDown' }, commonAnnotations: {}, externalURL: '', truncatedAlerts: 0, alerts });
}

let t: TestEngine | undefined;

afterEach(async () => {
  vi.restoreAllMocks();
  t = await closeTestEngine(t);
});

describe('a 10,000-alert storm', () => {
  it('does not keep the engine from answering /healthz while it is evaluated', async () => {
    t = await startTestEngine({ files, config: { dryRun: true }, clock: () => NOW });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = t.app.server.address() as { port: number };
    const base = `http://127.0.0.1:${port}`;
    const evaluated = vi.spyOn(Evaluator.prototype, 'matchNow');

    let stormAnswered = false;
    const storm = fetch(`${base}/api/v1/alerts`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: stormBody() }).then(async (r) => {
      stormAnswered = true;
      return { status: r.status, body: (await r.json()) as Record<string, unknown> };
    });
    // The storm's evaluation is under way: some of its alerts evaluated, not all.
    const before = await waitFor(() => evaluated.mock.calls.length > 0 && evaluated.mock.calls.length, 'the storm evaluation to begin');
    expect(before).toBeLessThan(STORM);

    const health = await fetch(`${base}/healthz`);
    const atAnswer = evaluated.mock.calls.length;
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true });
    // Answered between two slices of the storm's evaluation, long before its decisions.
    expect(atAnswer).toBeLessThan(STORM);
    expect(stormAnswered).toBe(false);

    const answer = await storm;
    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({ alerts: STORM, decisions: STORM, actions: 10 });
    expect(evaluated.mock.calls.length).toBe(STORM);
  }, 120_000);
});
