/**
 * Issue 10, items 4 and 5, through the real engine (inject → journal → git audit → script
 * runs), with a restart in between (same data directory: the guards' memory comes back from
 * the journal). A bundled-like policy: cordon on firing, uncordon on resolution, cooldown 30m;
 * the "cordon" is a script that writes what it was asked to do.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { closeTestEngine, payload, startTestEngine, waitFor, writeRepo } from '../helpers/engine.js';
import type { TestEngine } from '../helpers/engine.js';

const NODE_SCRIPT = `#!/bin/sh
# Appends what it was asked to do to $OUT: proof of what ran, in order.
printf '%s %s\\n' "$1" "$2" >> "$OUT"
`;

function files(out: string, paused: boolean): Record<string, string> {
  const step = (name: string) => `      script: { path: scripts/node.sh, args: [${name}, '{{ labels.node }}'], env: { OUT: '${out}' } }`;
  return {
    'homeostat.yaml': `apiVersion: homeostat/v1\nkind: Settings\nspec:\n  paused: ${paused}\n`,
    'scripts/node.sh': NODE_SCRIPT,
    'rules/cordon.yaml': `apiVersion: homeostat/v1
kind: Policy
metadata: { name: cordon-hot-worker }
spec:
  match: { alertname: NodeHighCPU }
  target: '{{ labels.node }}'
  actions:
    - name: cordon
${step('cordon')}
  onResolved:
    - name: uncordon
${step('uncordon')}
  guards: { cooldown: 30m }
`,
  };
}

const OUTAGE_A = '2026-11-21T09:00:00Z';
const OUTAGE_B = '2026-11-21T09:40:00Z';
const hot = (status: 'firing' | 'resolved', startsAt: string) => payload({ alertname: 'NodeHighCPU', node: 'worker-1' }, { status, startsAt });

let t: TestEngine | undefined;
afterEach(async () => (t = await closeTestEngine(t)));

/** An engine on a fresh data directory whose policy writes to ROOT/out.txt. */
async function start(paused = false, dataDir?: string): Promise<{ engine: TestEngine; out: string }> {
  const root = dataDir ? join(dataDir, '..') : mkdtempSync(join(tmpdir(), 'homeostat-resolution-'));
  const out = join(root, 'out.txt');
  const engine = await startTestEngine({ files: files(out, paused), dataDir: dataDir ?? join(root, 'data') });
  return { engine, out };
}

async function restart(engine: TestEngine): Promise<TestEngine> {
  await engine.close();
  return (await start(false, engine.dataDir)).engine;
}

async function post(engine: TestEngine, body: unknown): Promise<{ decisions: number; duplicates: number; actions: number }> {
  const response = await engine.post(body);
  expect(response.statusCode).toBe(202);
  return response.json();
}

const succeeded = (engine: TestEngine) => engine.engine.recent.list({ outcome: 'succeeded' });
const ran = (out: string) => (existsSync(out) ? readFileSync(out, 'utf8').trim().split('\n') : []);

describe('a firing that arrives after its resolution (item 4)', () => {
  it('is refused and audited, also after a restart, and nothing is cordoned again', async () => {
    // The kill switch was on while the alert fired, and is off again when it resolves.
    const started = await start(true);
    t = started.engine;
    expect(await post(t, hot('firing', OUTAGE_A))).toMatchObject({ decisions: 1, actions: 0 });
    writeRepo(t.repoDir, files(started.out, false));
    await t.engine.policies.load();
    expect(t.engine.status().policies.paused).toBe(false);
    expect(await post(t, hot('resolved', OUTAGE_A))).toMatchObject({ decisions: 1, actions: 1 });
    await waitFor(() => succeeded(t!).length === 1, 'the uncordon');

    t = await restart(t);
    // A lagging Alertmanager peer delivers the firing now.
    expect(await post(t, hot('firing', OUTAGE_A))).toMatchObject({ decisions: 1, duplicates: 0, actions: 0 });
    const refused = t.engine.recent.list({ outcome: 'refused' }).find((e) => e.guards?.refusedBy === 'resolved');
    expect(refused).toMatchObject({ policy: 'cordon-hot-worker', action: 'cordon', target: 'worker-1', alert: { status: 'firing', startsAt: OUTAGE_A } });
    expect(refused!.reason).toMatch(/^resolved: alert [0-9a-f]{16} \(startsAt 2026-11-21T09:00:00Z\) was already seen resolved; a firing that arrives after its resolution .* is never remediated again$/);
    await waitFor(() => t!.git('log', '--format=%s', 'main').includes(`refused: cordon-hot-worker/cordon (script) on worker-1, for NodeHighCPU firing [${refused!.alert!.fingerprint}] — resolved: alert`), 'the refusal commit');
    expect(t.auditEntry(refused!.id)).toMatchObject({ outcome: 'refused', guards: { passed: ['duplicate'], refusedBy: 'resolved' } });
    // Its re-send is a duplicate: counted, not audited again.
    expect(await post(t, hot('firing', OUTAGE_A))).toMatchObject({ decisions: 1, duplicates: 1, actions: 0 });
    expect(ran(started.out)).toEqual(['uncordon worker-1']);
  });
});

describe('a recovery on a flap (item 5)', () => {
  // The first outage's uncordon ran without a cordon to answer (its firing came before this
  // engine knew of it); the second outage is cordoned, and its resolution comes within the
  // cooldown of that first uncordon: the cooldown refused it, and Alertmanager never re-sends
  // a resolution, so the node stayed cordoned for good.
  it('uncordons after the second outage, across a restart between its cordon and its resolution', async () => {
    const started = await start();
    t = started.engine;
    expect(await post(t, hot('resolved', OUTAGE_A))).toMatchObject({ actions: 1 });
    await waitFor(() => succeeded(t!).length === 1, 'the first uncordon');
    expect(await post(t, hot('firing', OUTAGE_B))).toMatchObject({ actions: 1 });
    await waitFor(() => succeeded(t!).length === 2, 'the cordon');

    t = await restart(t);
    expect(await post(t, hot('resolved', OUTAGE_B))).toMatchObject({ decisions: 1, actions: 1 });
    const uncordon = await waitFor(() => succeeded(t!).find((e) => e.alert?.startsAt === OUTAGE_B && e.action === 'uncordon'), 'the second uncordon');
    expect(uncordon.guards).toEqual({ passed: ['duplicate', 'resolved', 'paused', 'maintenance'], refusedBy: null });
    expect(ran(started.out)).toEqual(['uncordon worker-1', 'cordon worker-1', 'uncordon worker-1']);
  });

  it('leaves the node uncordoned when the second cordon was refused by the cooldown (control)', async () => {
    const started = await start();
    t = started.engine;
    expect(await post(t, hot('firing', OUTAGE_A))).toMatchObject({ actions: 1 });
    expect(await post(t, hot('resolved', OUTAGE_A))).toMatchObject({ actions: 1 });
    expect(await post(t, hot('firing', OUTAGE_B))).toMatchObject({ actions: 0 }); // cooldown
    expect(await post(t, hot('resolved', OUTAGE_B))).toMatchObject({ actions: 0 }); // nothing to answer: cooldown
    await waitFor(() => succeeded(t!).length === 2, 'the cordon and the uncordon');
    expect(ran(started.out)).toEqual(['cordon worker-1', 'uncordon worker-1']);
  });
});
