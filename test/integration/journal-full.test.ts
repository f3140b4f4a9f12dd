/**
 * The journal's disk refusing writes, in one process: the real engine, journal, git audit
 * repository and script runs, with the journal's writes failing (ENOSPC) until the test lets
 * them through again. What the end-to-end test on a real tmpfs cannot pin down: an action
 * whose intent gets committed while the journal is broken does not start until it heals, a
 * webhook whose decisions were being written when the disk filled is answered once they are,
 * and a shutdown while the journal stays broken ends, losing only what nobody was told is
 * durable.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, write, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Journal } from '../../engine/audit/journal.js';
import { AuditRepo } from '../../engine/audit/repo.js';
import type { AuditSink } from '../../engine/runtime/auditor.js';
import { payload, removeTestEngine, startTestEngine, waitFor } from '../helpers/engine.js';
import type { TestEngine } from '../helpers/engine.js';
import { systemError } from '../helpers/fs-faults.js';
import type { WriteCallback } from '../helpers/fs-faults.js';

vi.mock('node:fs', async (importOriginal) => (await import('../helpers/fs-faults.js')).faultyFs(importOriginal));

const real = await vi.importActual<typeof import('node:fs')>('node:fs');

const SCRIPT = `#!/bin/sh
# Marks its start, waits for the test to release it, marks its end.
touch "$MARKS/$1.started"
while [ ! -e "$MARKS/$1.release" ]; do sleep 0.02; done
touch "$MARKS/$1.ended"
`;

function policy(marks: string): string {
  return `apiVersion: homeostat/v1
kind: Policy
metadata: { name: hold }
spec:
  match: { alertname: Hold }
  target: '{{ labels.host }}'
  actions:
    - name: hold
      script: { path: scripts/hold.sh, args: ['{{ labels.host }}'], env: { MARKS: '${marks}' } }
      timeout: 1m
  guards: { cooldown: 0s }
`;
}

let root: string;
let journalFull: boolean;
/** The journal fills up at the first record of a process start (then stays full). */
let fullFromStart: boolean;
let engines: TestEngine[];

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'homeostat-journal-full-'));
  journalFull = false;
  fullFromStart = false;
  engines = [];
  // Writes to the journal's files fail while journalFull is set; every other write goes through.
  vi.mocked(write).mockImplementation(((fd: number, buffer: Buffer, offset: number, length: number, position: number | null, callback: WriteCallback) => {
    const journal = readlinkSync(`/proc/self/fd/${fd}`).includes(`${sep}journal${sep}`);
    if (journal && fullFromStart && buffer.includes('"t":"started"')) journalFull = true;
    if (journalFull && journal) {
      setImmediate(() => callback(systemError('ENOSPC', 'write'), 0, buffer));
      return;
    }
    real.write(fd, buffer, offset, length, position, callback);
  }) as unknown as typeof write);
});

afterEach(async () => {
  journalFull = false;
  for (const t of engines) await t.close().catch(() => undefined);
  if (engines[0]) removeTestEngine(engines[0]);
  vi.mocked(write).mockReset();
  vi.restoreAllMocks();
});

async function start(openAudit?: (dir: string) => Promise<AuditSink>, shutdownTimeoutMs = 5_000): Promise<TestEngine> {
  const t = await startTestEngine({
    files: { 'rules/hold.yaml': policy(join(root, 'marks')), 'scripts/hold.sh': SCRIPT },
    dataDir: join(root, 'data'),
    config: { shutdownTimeoutMs },
    ...(openAudit ? { openAudit } : {}),
  });
  engines.push(t);
  real.mkdirSync(join(root, 'marks'), { recursive: true });
  return t;
}

function marked(host: string, what: 'started' | 'ended'): boolean {
  return existsSync(join(root, 'marks', `${host}.${what}`));
}

function release(host: string): void {
  writeFileSync(join(root, 'marks', `${host}.release`), '');
}

function journalReason(t: TestEngine): string | undefined {
  return t.engine.notReady().find((reason) => reason.startsWith('journal write failed'));
}

function journalText(): string {
  const dir = join(root, 'data', 'journal');
  return readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8')).join('');
}

describe('a journal that cannot be written', () => {
  it('starts no action until it heals, answers the webhook it caught once its decisions are written, then runs everything', async () => {
    // Commits go through, until the test holds them.
    let gate: Promise<void> = Promise.resolve();
    const t = await start(async (dir) => {
      const repo = await AuditRepo.open({ dir, branch: 'main', remote: null });
      return { commit: async (writes) => (await gate, repo.commit(writes)), close: () => repo.close() };
    });
    const whenWritable = vi.spyOn(Journal.prototype, 'whenWritable');
    let openCommits!: () => void;
    gate = new Promise((resolve) => (openCommits = resolve));

    // b is decided and journaled; its intent waits for git.
    expect((await t.post(payload({ alertname: 'Hold', host: 'b' }))).statusCode).toBe(202);
    // The disk fills while c's decisions are written: the journal breaks; c's answer waits.
    journalFull = true;
    let answered = false;
    const caught = t.post(payload({ alertname: 'Hold', host: 'c' })).finally(() => (answered = true));
    const reason = await waitFor(() => journalReason(t), 'the journal to break');
    expect(reason).toBe(`journal write failed in ${join(root, 'data', 'journal')}: ENOSPC: no space left on device, write`);
    expect((await t.post(payload({ alertname: 'Hold', host: 'd' }))).statusCode).toBe(503);

    // b's intent is committed now: b reaches the journal, and waits for it.
    openCommits();
    await waitFor(() => whenWritable.mock.calls.length > 0, 'b to wait for the journal');
    await waitFor(() => t.git('log', '--format=%s', 'main').includes('intent: hold/hold (script) on b'), "b's intent commit");
    expect(marked('b', 'started')).toBe(false);
    expect(answered).toBe(false);
    expect(journalText()).not.toContain('"t":"started"');

    journalFull = false;
    expect((await caught).statusCode).toBe(202);
    await waitFor(() => marked('b', 'started') && marked('c', 'started'), 'b and c to start');
    release('b');
    release('c');
    const ids = await waitFor(() => {
      const done = t.engine.recent.list({ outcome: 'succeeded' });
      return done.length === 2 && done.map((e) => e.id);
    }, 'both outcomes');
    await waitFor(() => t.git('log', '--format=%s', 'main').match(/^succeeded: /gm)?.length === 2, 'both outcome commits');
    expect(ids.map((id) => [t.auditEntry(id).target, t.auditEntry(id).outcome]).sort()).toEqual([
      ['b', 'succeeded'],
      ['c', 'succeeded'],
    ]);
    expect(journalReason(t)).toBeUndefined();
  });

  it("stops while it broke on a run's start record: the deadline ends the run, nothing waits for the disk", async () => {
    fullFromStart = true;
    const t = await start(undefined, 500);
    expect((await t.post(payload({ alertname: 'Hold', host: 'c' }))).statusCode).toBe(202);
    await waitFor(() => journalReason(t), "the journal to break on c's start record");
    await waitFor(() => marked('c', 'started'), 'c to start');
    await t.close(); // before the run's start record waited for the abort too, this never returned
    engines = [];

    journalFull = false;
    fullFromStart = false;
    const restarted = await start();
    await waitFor(() => restarted.git('log', '--format=%s', 'main').includes('interrupted: hold/hold (script) on c'), 'the interrupted commit');
    expect(marked('c', 'ended')).toBe(false);
  }, 30_000);

  it('stops while it stays broken, and the restart records the run whose outcome it could not write as interrupted, losing nothing acknowledged', async () => {
    const t = await start(undefined, 500);
    expect((await t.post(payload({ alertname: 'Hold', host: 'b' }))).statusCode).toBe(202);
    await waitFor(() => marked('b', 'started') && journalText().includes('"t":"started"'), 'b to start, journaled');
    const id = t.engine.recent.list()[0]!.id;

    journalFull = true;
    release('b');
    await waitFor(() => journalReason(t), "the journal to break on b's outcome");
    await t.close(); // bounded: never waits for the disk for good
    engines = [];

    journalFull = false;
    const restarted = await start();
    await waitFor(() => restarted.git('log', '--format=%s', 'main').includes('interrupted: hold/hold (script) on b'), 'the interrupted commit');
    const entry = restarted.auditEntry(id);
    expect(entry.outcome).toBe('interrupted');
    expect(entry.reason).toMatch(/^interrupted: the engine stopped while this ran/);
    expect(marked('b', 'ended')).toBe(true);
  });
});
