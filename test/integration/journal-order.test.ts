/**
 * The order of a webhook's records in the journal. They are written in one write(), which a
 * crash can tear anywhere; start-up drops only a torn last line. The dedup keys and guard
 * history come last: a torn write may lose them (the re-sent alert is then decided anew, its
 * lost intent recorded interrupted, never run), but never keep them without the intents they
 * stand for (the re-sent alert would be a "duplicate" that nothing decided or audited).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditRepo } from '../../engine/audit/repo.js';
import { closeTestEngine, payload, startTestEngine, waitFor } from '../helpers/engine.js';
import type { TestEngine } from '../helpers/engine.js';

const POLICY = `apiVersion: homeostat/v1
kind: Policy
metadata: { name: mark }
spec:
  match: { alertname: Mark }
  target: '{{ labels.host }}'
  actions:
    - name: mark
      script: { path: scripts/mark.sh, args: ['{{ labels.host }}'] }
`;
const SCRIPT = '#!/bin/sh\necho "marked $1"\n';

let t: TestEngine | undefined;
afterEach(async () => (t = await closeTestEngine(t)));

function journal(dataDir: string): { path: string; lines: { t: string; entry?: { kind: string; outcome: string | null } }[] } {
  const dir = join(dataDir, 'journal');
  const segment = readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort().at(-1)!;
  const path = join(dir, segment);
  return { path, lines: readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) };
}

describe('a webhook in the journal', () => {
  it('writes its decisions first and the dedup keys they taught the guards last', async () => {
    t = await startTestEngine({ files: { 'rules/mark.yaml': POLICY, 'scripts/mark.sh': SCRIPT } });
    const before = journal(t.dataDir).lines.length;
    expect((await t.post(payload({ alertname: 'Mark', host: 'a' }))).statusCode).toBe(202);
    const batch = journal(t.dataDir).lines.slice(before);
    const intent = batch.findIndex((r) => r.t === 'entry' && r.entry?.kind === 'action' && r.entry.outcome === null);
    const guard = batch.findIndex((r) => r.t === 'guard');
    expect(intent).toBeGreaterThanOrEqual(0);
    expect(guard).toBeGreaterThan(intent);
  });

  it('decides a re-sent alert again when a crash tore the write after its intent: it runs once', async () => {
    // The first engine commits nothing, as one that crashes in the middle of the write does not.
    const uncommitted = async (dir: string) => {
      await AuditRepo.open({ dir, branch: 'main' });
      return { commit: async (): Promise<string> => Promise.reject(new Error('not in this test')) };
    };
    t = await startTestEngine({ files: { 'rules/mark.yaml': POLICY, 'scripts/mark.sh': SCRIPT }, config: { dryRun: true, shutdownTimeoutMs: 100 }, openAudit: uncommitted });
    const dataDir = t.dataDir;
    const { path, lines } = journal(dataDir);
    const before = lines.length;
    expect((await t.post(payload({ alertname: 'Mark', host: 'b' }))).statusCode).toBe(202);
    const text = readFileSync(path, 'utf8');
    await t.close();
    t = undefined;
    // What a crash in the middle of that write leaves: every line up to the guard record, and half of it.
    const kept = text.split('\n').slice(0, before).join('\n');
    const batch = text.split('\n').slice(before).filter(Boolean);
    const guardAt = batch.findIndex((l) => l.includes('"t":"guard"'));
    writeFileSync(path, `${kept}\n${batch.slice(0, guardAt).join('\n')}\n${batch[guardAt]!.slice(0, 20)}`);

    t = await startTestEngine({ files: { 'rules/mark.yaml': POLICY, 'scripts/mark.sh': SCRIPT }, dataDir, config: { dryRun: true } });
    const resent = await t.post(payload({ alertname: 'Mark', host: 'b' }));
    expect(resent.json()).toMatchObject({ duplicates: 0, actions: 1 });
    await waitFor(() => t!.engine.recent.list().some((e) => e.outcome === 'succeeded'), 'the re-sent alert to run');
    await t.close();
    const subjects = t.git('log', '--format=%s', 'main');
    expect(subjects.match(/^succeeded \(dry run\): mark\/mark/gm)).toHaveLength(1);
    expect(subjects).toMatch(/^interrupted \(dry run\): mark\/mark/m);
  }, 60_000);
});
