/**
 * A routine job every 2 seconds in the built `homeostat serve`, on real time, run by the real
 * ansible-playbook and audited run by run; then `kill -9` and a restart on the same data
 * directory. The audit shows every due time from the first to the last exactly once: none
 * run twice (the one cut short by the kill is recorded interrupted, not re-run), and the due
 * times that came while the engine was down, within the starting deadline, run after the
 * restart; each run that succeeded wrote its line once. The restarted engine lists the runs
 * before the kill (`homeostat runs --since`), which it reads from its audit repository.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../engine/audit/entry.js';
import { waitFor, writeRepo } from '../helpers/engine.js';
import { freePort, requireCommand, spawnServe, untilHttpOk } from '../helpers/processes.js';
import type { Spawned } from '../helpers/processes.js';
import { runCli } from './run-cli.js';

const ADMIN = 'schedule-crash-admin-token-0123';
const root = mkdtempSync(join(tmpdir(), 'homeostat-sched-crash-'));
const running: Spawned[] = [];

afterAll(async () => {
  for (const p of running) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await Promise.all(running.map((p) => p.exited));
  rmSync(root, { recursive: true, force: true });
});

const MARKS = join(root, 'marks.txt');

writeRepo(join(root, 'repo'), {
  'rules/every-2s.yaml': `apiVersion: homeostat/v1
kind: Schedule
metadata: { name: every-2s }
spec:
  cron: '*/2 * * * * *'
  targets: { hosts: [localhost] }
  startingDeadline: 1m
  actions:
    - name: mark
      ansible: { playbook: playbooks/mark.yml, extraVars: { out: '${MARKS}' } }
      timeout: 1m
`,
  // Run now only: under load a playbook outlasts the 2 s interval, so every-2s (Forbid) is
  // nearly always running; this one shares its target's lock and waits for it instead.
  'rules/mark-now.yaml': `apiVersion: homeostat/v1
kind: Schedule
metadata: { name: mark-now }
spec:
  cron: '@yearly'
  targets: { hosts: [localhost] }
  actions:
    - name: mark
      ansible: { playbook: playbooks/mark.yml, extraVars: { out: '${MARKS}' } }
      timeout: 1m
`,
  // Idempotent: a second run for the same due time would change nothing, so the lines are
  // counted from the audit too; a line per due time is what a run leaves.
  'playbooks/mark.yml': `---
- name: Mark a routine run
  hosts: all
  gather_facts: false
  tasks:
    - name: Write the due time of this run
      ansible.builtin.lineinfile:
        path: "{{ out }}"
        line: "due {{ homeostat_run.due }} {{ homeostat_run.trigger }}"
        create: true
        mode: '0600'
`,
});

function runEntries(): AuditEntry[] {
  const git = (...args: string[]) => execFileSync('git', ['-C', join(root, 'data', 'audit'), ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return git('ls-tree', '-r', '--name-only', 'main', 'actions')
    .split('\n')
    .filter(Boolean)
    .map((path) => JSON.parse(git('show', `main:${path}`)) as AuditEntry)
    .filter((e) => e.kind === 'run');
}

async function runs(port: number): Promise<{ id: string; due: string; outcome: string | null }[]> {
  const response = await fetch(`http://127.0.0.1:${port}/api/v1/runs?limit=500`, { headers: { authorization: `Bearer ${ADMIN}` } });
  return ((await response.json()) as { runs: { id: string; due: string; outcome: string | null }[] }).runs;
}

async function serve(port: number): Promise<Spawned> {
  const engine = spawnServe(['--policies', join(root, 'repo'), '--data-dir', join(root, 'data'), '--listen', `127.0.0.1:${port}`, '--shutdown-timeout', '20s'], { HOMEOSTAT_ADMIN_TOKEN: ADMIN }, root);
  running.push(engine);
  await untilHttpOk(`http://127.0.0.1:${port}/readyz`, 'the engine to be ready').catch((error: Error) => {
    throw new Error(`${error.message}\n${engine.output()}`);
  });
  return engine;
}

describe('a schedule every 2 seconds across kill -9', () => {
  it('audits every due time once: none run twice, none skipped within the deadline', async () => {
    requireCommand('ansible-playbook', 'ansible-core');
    const port = await freePort();
    const startedAt = Date.now();
    const first = await serve(port);
    const beforeKill = await waitFor(async () => {
      const succeeded = (await runs(port)).filter((r) => r.outcome === 'succeeded');
      return succeeded.length >= 2 ? succeeded : undefined;
    }, 'two runs to succeed', 60_000);
    first.child.kill('SIGKILL');
    await first.exited;
    const killedAt = Date.now();
    // The engine stays down until two due times of the cron (every even second) have passed:
    // the condition is those due times, not a length of time.
    const secondDueWhileDown = Math.ceil(killedAt / 2_000) * 2_000 + 2_000;
    await waitFor(() => Date.now() > secondDueWhileDown, 'two due times to pass with the engine down', 10_000);
    const restartedAt = Date.now();
    const second = await serve(port);
    await waitFor(async () => (await runs(port)).some((r) => Date.parse(r.due) > restartedAt + 2_000 && r.outcome === 'succeeded'), 'a run after the restart to succeed', 60_000);
    // Run now, through the CLI against the running engine, and list the history.
    const env = { HOMEOSTAT_ADMIN_TOKEN: ADMIN };
    const manual = runCli(['run', 'mark-now', '--target', 'localhost', '--by', 'e2e', '--url', `http://127.0.0.1:${port}`], { env });
    expect(manual).toMatchObject({ status: 0, stderr: '' });
    expect(manual.stdout).toMatch(/^pending +mark-now\/mark on localhost {2}due \S+ manual by e2e\n$/);
    await waitFor(async () => (await runs(port)).some((r) => (r as { trigger?: string }).trigger === 'manual' && r.outcome === 'succeeded'), 'the manual run to succeed', 60_000);
    const listed = runCli(['runs', '--since', new Date(restartedAt).toISOString(), '--url', `http://127.0.0.1:${port}`], { env });
    expect(listed.status).toBe(0);
    expect(listed.stdout).toMatch(/^succeeded +mark-now\/mark on localhost {2}due \S+ manual by e2e in \d/m);
    expect(listed.stdout).toMatch(/^succeeded +every-2s\/mark on localhost {2}due \S+ cron in \d/m);
    // The runs before the kill, which the restarted engine never held: read from its audit repository.
    const history = runCli(['runs', 'every-2s', '--since', new Date(startedAt).toISOString(), '--limit', '500', '--format', 'json', '--url', `http://127.0.0.1:${port}`], { env });
    expect(history.status).toBe(0);
    const listedIds = new Map((JSON.parse(history.stdout) as { runs: { id: string; outcome: string | null }[] }).runs.map((r) => [r.id, r.outcome]));
    for (const r of beforeKill) expect(listedIds.get(r.id)).toBe('succeeded');
    // A page of one, older than the second oldest that succeeded before the kill: the next page is named.
    const page = runCli(['runs', 'every-2s', '--before', beforeKill.at(-2)!.id, '--limit', '1', '--url', `http://127.0.0.1:${port}`], { env });
    expect(page.status).toBe(0);
    expect(page.stdout).toMatch(/^(succeeded|skipped) +every-2s\/mark on localhost {2}due \S+ cron[^\n]*\n(more: homeostat runs every-2s --before \d{8}T\d{9}Z-[0-9a-f]{8}\n)?$/);
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);

    const entries = runEntries().filter((e) => e.schedule!.name === 'every-2s' && e.schedule!.trigger === 'cron').sort((a, b) => Date.parse(a.schedule!.due) - Date.parse(b.schedule!.due));
    const dues = entries.map((e) => Date.parse(e.schedule!.due));
    // None twice.
    expect(new Set(dues).size).toBe(dues.length);
    // None skipped: every 2 seconds from the first to the last has its entry.
    const expected = Array.from({ length: (dues.at(-1)! - dues[0]!) / 2_000 + 1 }, (_, i) => dues[0]! + i * 2_000);
    expect(dues).toEqual(expected);
    // The due times that came while the engine was down ran after the restart, within the deadline.
    const whileDown = entries.filter((e) => Date.parse(e.schedule!.due) > killedAt && Date.parse(e.schedule!.due) < restartedAt);
    expect(whileDown.length).toBeGreaterThanOrEqual(2);
    for (const e of whileDown) expect(e).toMatchObject({ verdict: 'run', outcome: 'succeeded', schedule: { trigger: 'cron' } });
    // Every entry has an outcome: run, skipped by Forbid (a run still going), or cut short by the kill.
    for (const e of entries) expect(['succeeded', 'skipped', 'interrupted']).toContain(e.outcome);
    expect(entries.filter((e) => e.outcome === 'interrupted').length).toBeLessThanOrEqual(1);
    // Each run that succeeded wrote its line, once; no other run wrote one.
    const lines = existsSync(MARKS) ? readFileSync(MARKS, 'utf8').trim().split('\n') : [];
    const succeeded = entries.filter((e) => e.outcome === 'succeeded').map((e) => `due ${e.schedule!.due} cron`);
    for (const line of succeeded) expect(lines).toContain(line);
    expect(new Set(lines).size).toBe(lines.length);
    expect(lines.length).toBeLessThanOrEqual(succeeded.length + entries.filter((e) => e.outcome === 'interrupted').length + 1);
  }, 240_000);
});
