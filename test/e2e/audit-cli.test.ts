/**
 * `homeostat audit log|show|verify` (the built binary) on the data directory of an engine
 * that handled real decisions: one action that ran, one refused.
 */
import { appendFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { payload, removeTestEngine, startTestEngine, waitFor } from '../helpers/engine.js';
import type { TestEngine } from '../helpers/engine.js';
import { runCli } from './run-cli.js';

const POLICY = `apiVersion: homeostat/v1
kind: Policy
metadata: { name: echo-host }
spec:
  match: { alertname: Echo }
  target: '{{ labels.host }}'
  actions:
    - name: echo
      script: { path: scripts/echo.sh, args: ['{{ labels.host }}'] }
  guards: { cooldown: 0s }
`;

let t: TestEngine;
let ranId: string;
let refusedId: string;

beforeAll(async () => {
  t = await startTestEngine({ files: { 'rules/echo.yaml': POLICY, 'scripts/echo.sh': '#!/bin/sh\necho "hello $1"\n' } });
  expect((await t.post(payload({ alertname: 'Echo', host: 'web-1' }))).statusCode).toBe(202);
  expect((await t.post(payload({ alertname: 'Echo', host: '-rf' }))).statusCode).toBe(202);
  ranId = await waitFor(() => t.engine.recent.list({ outcome: 'succeeded' })[0]?.id, 'the action to end');
  refusedId = t.engine.recent.list({ outcome: 'refused' })[0]!.id;
  await t.close(); // stop: everything journaled is committed
});

afterAll(() => removeTestEngine(t));

const cli = (...args: string[]) => runCli(['audit', ...args, '--data-dir', t.dataDir]);

describe('homeostat audit', () => {
  it('log lists action entries newest first, and filters', () => {
    const all = cli('log', '--format', 'json');
    expect(all.status).toBe(0);
    const entries = JSON.parse(all.stdout).entries as { id: string; outcome: string }[];
    expect(entries.map((e) => [e.id, e.outcome])).toEqual([[refusedId, 'refused'], [ranId, 'succeeded']]);
    const text = cli('log', '--outcome', 'succeeded');
    expect(text.stdout).toBe(`${ranId}  succeeded   echo-host/echo on web-1  Echo [${t.auditEntry(ranId).alert!.fingerprint}]\n`);
    expect(cli('log', '--target', 'nobody').stdout).toBe('no audit entries match\n');
    expect(cli('log', '--since', 'yesterday').stderr).toMatch(/--since yesterday: not a date/);
  });

  it('show prints the entry and the commits that wrote it', () => {
    const shown = cli('show', ranId);
    expect(shown.status).toBe(0);
    expect(JSON.parse(shown.stdout.slice(0, shown.stdout.lastIndexOf('}') + 1))).toMatchObject({ id: ranId, outcome: 'succeeded', execution: { exitCode: 0, output: 'hello web-1\n' } });
    expect(shown.stdout).toMatch(/ succeeded: echo-host\/echo \(script\) on web-1/);
    expect(shown.stdout).toMatch(/ intent: echo-host\/echo \(script\) on web-1/);
    expect(cli('show', '20260101T000000000Z-00000000')).toMatchObject({ status: 1, stderr: expect.stringMatching(/no such audit entry/) });
  });

  it('verify passes on the engine as it left things, and fails on a journal entry git lacks', () => {
    const ok = cli('verify');
    expect(ok.stdout).toMatch(/^ok: \d+ entry files, \d+ journal entries compared\n$/);
    expect(ok.status).toBe(0);
    const journal = join(t.dataDir, 'journal');
    const segment = readdirSync(journal).sort().at(-1)!;
    const ghost = { ...t.auditEntry(ranId), id: '20261121T000000000Z-0badc0de' };
    appendFileSync(join(journal, segment), `${JSON.stringify({ t: 'entry', seq: 999999, entry: ghost })}\n`);
    const bad = cli('verify');
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/actions\/2026\/11\/21\/20261121T000000000Z-0badc0de\.json: missing: in the journal, not in the audit repository/);
  });

  it('names a data directory without an audit repository', () => {
    const result = runCli(['audit', 'log', '--data-dir', join(t.root, 'nowhere')]);
    expect(result).toMatchObject({ status: 2, stderr: expect.stringMatching(/no audit repository here; give the engine's --data-dir/) });
  });
});
