/**
 * `homeostat audit log|show|verify` (the built binary) on the data directory of an engine
 * that handled real decisions: one action that ran, one refused.
 */
import { appendFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { payload, removeTestEngine, startTestEngine, waitFor } from '../helpers/engine.js';
import type { TestEngine } from '../helpers/engine.js';
import { ECHO_REPO } from '../helpers/echo-policy.js';
import { HOSTILE, RAW_CONTROL } from '../helpers/hostile.js';
import { runCli } from './run-cli.js';

let t: TestEngine;
let ranId: string;
let refusedId: string;
let hostileId: string;

beforeAll(async () => {
  t = await startTestEngine({ files: ECHO_REPO });
  expect((await t.post(payload({ alertname: 'Echo', host: 'web-1' }))).statusCode).toBe(202);
  expect((await t.post(payload({ alertname: 'Echo', host: '-rf' }))).statusCode).toBe(202);
  ranId = await waitFor(() => t.engine.recent.list({ outcome: 'succeeded' })[0]?.id, 'the action to end');
  refusedId = t.engine.recent.list({ outcome: 'refused' })[0]!.id;
  // Refused too (it starts with '-'): the hostile value is both the target and in the reason.
  expect((await t.post(payload({ alertname: 'Echo', host: `-x${HOSTILE}\u001b[2J\nfake line` }))).statusCode).toBe(202);
  hostileId = await waitFor(() => t.engine.recent.list({ outcome: 'refused' }).find((a) => a.id !== refusedId)?.id, 'the hostile decision');
  await t.close(); // stop: everything journaled is committed
});

afterAll(() => removeTestEngine(t));

const cli = (...args: string[]) => runCli(['audit', ...args, '--data-dir', t.dataDir]);

describe('homeostat audit', () => {
  it('log lists action entries newest first, and filters', () => {
    const all = cli('log', '--format', 'json');
    expect(all.status).toBe(0);
    const entries = JSON.parse(all.stdout).entries as { id: string; outcome: string }[];
    expect(entries.map((e) => [e.id, e.outcome])).toEqual([[hostileId, 'refused'], [refusedId, 'refused'], [ranId, 'succeeded']]);
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

  it('log and show print control characters of labels escaped, never as raw escapes or extra lines', () => {
    const log = cli('log');
    expect(log.status).toBe(0);
    expect(log.stdout).not.toMatch(RAW_CONTROL);
    const lines = log.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    const escaped = '-x\\u001b[31m\\n\\r\\u202e\\u001b[2J\\nfake line';
    expect(lines[0]).toBe(`${hostileId}  refused     echo-host/echo on ${escaped}  Echo [${t.auditEntry(hostileId).alert!.fingerprint}]  args[0] '${escaped}' comes from the alert and starts with '-'; it would be read as an option`);

    const shown = cli('show', hostileId);
    expect(shown.status).toBe(0);
    expect(shown.stdout).not.toMatch(RAW_CONTROL);
    // The entry is still the same JSON once escaped, then one line per commit.
    const json = shown.stdout.slice(0, shown.stdout.lastIndexOf('}') + 1);
    expect(JSON.parse(json)).toEqual(t.auditEntry(hostileId));
    expect(shown.stdout.slice(json.length).trim().split('\n')).toHaveLength(1);
  });

  it('show of an id that is not an entry id, or of no entry, is one line and exit 1, never a stack', () => {
    for (const id of ['nosuchid', `x${HOSTILE}`, '20260101T000000000Z-00000000']) {
      const r = cli('show', id);
      expect({ status: r.status, stdout: r.stdout }).toEqual({ status: 1, stdout: '' });
      expect(r.stderr).not.toMatch(RAW_CONTROL);
      expect(r.stderr).not.toContain('    at ');
      expect(r.stderr).toMatch(/^homeostat: \S+: (not an audit entry id \(they read like 20261121T101500123Z-1a2b3c4d\)|no such audit entry); list them with `homeostat audit log`\n$/);
    }
  });

  it('log --outcome takes only the outcomes an entry can have', () => {
    const r = cli('log', '--outcome', 'bogus');
    expect({ status: r.status, stdout: r.stdout }).toEqual({ status: 2, stdout: '' });
    expect(r.stderr).toMatch(/'bogus' is invalid\. Allowed choices are succeeded, failed, timed_out, interrupted, refused, denied, expired, cancelled, skipped, missed, pending/);
    expect(cli('log', '--outcome', 'pending').stdout).toBe('no audit entries match\n');
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
