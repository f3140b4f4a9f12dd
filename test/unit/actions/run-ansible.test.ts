// The ansible action run by the real ansible-playbook against this machine (-c local): what
// reaches the playbook is the alert's text verbatim, never evaluated as Jinja; a dry run
// changes nothing; a timeout leaves no process of the run behind.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ansible } from '../../../engine/actions/ansible/index.js';
import type { RunContext, RunResult } from '../../../engine/actions/types.js';
import { groupMembersRunning, killPids, running, waitFor } from '../../fixtures/exec/processes.js';
import { inlineAlert } from '../../helpers/alerts.js';
import { requireCommand } from '../../helpers/processes.js';

const FIXTURE_REPO = fileURLToPath(new URL('../../fixtures/exec/repo/', import.meta.url));
const HOSTILE = (marker: string): string => `{{ lookup('pipe','touch ${marker}') }}`;

beforeAll(() => {
  requireCommand('ansible-playbook', 'ansible-core');
});

let dir = '';
let repoDir = '';
let workDir = '';
const leftovers = new Set<number>();
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'homeostat-run-ansible-'));
  repoDir = join(dir, 'repo');
  workDir = join(dir, 'work');
  cpSync(FIXTURE_REPO, repoDir, { recursive: true });
  mkdirSync(workDir);
});
afterEach(() => {
  killPids(leftovers);
  leftovers.clear();
  rmSync(dir, { recursive: true, force: true });
});

function run(params: Record<string, unknown>, overrides: Partial<RunContext> = {}): Promise<RunResult> {
  const marker = join(dir, 'pwned');
  const alert = inlineAlert({
    labels: { alertname: 'Hostile', hostile: HOSTILE(marker), [HOSTILE(`${marker}-key`)]: 'key' },
    annotations: { summary: `{{ 7 * 7 }} $(touch ${marker}-annotation)` },
  });
  return ansible.run!({
    repoDir, workDir, params, target: 'localhost', alert, dryRun: false, timeoutMs: 60_000, secrets: [],
    signal: new AbortController().signal, onSpawn: () => undefined, ...overrides,
  });
}

describe('ansible run', () => {
  it('hands the playbook the alert verbatim: Jinja in a label is text, never evaluated', async () => {
    const out = join(dir, 'out.json');
    const nested = ['{{ 1 + 1 }}', { deep: "{% raw %}x{% endraw %}", n: 1.5, big: 1e21, t: true, none: null }, 'line\nbreak\u0085\u2028"\\'];
    const result = await run({ playbook: 'playbooks/write-alert.yml', extraVars: { out_file: out, nested } });
    expect(result, result.output).toMatchObject({ outcome: 'succeeded', exitCode: 0, reason: null, signal: null });
    const written = JSON.parse(readFileSync(out, 'utf8'));
    expect(written.label).toBe(HOSTILE(join(dir, 'pwned')));
    expect(written.target).toBe('localhost');
    expect(written.alert).toEqual({
      labels: { alertname: 'Hostile', hostile: HOSTILE(join(dir, 'pwned')), [HOSTILE(join(dir, 'pwned-key'))]: 'key' },
      annotations: { summary: `{{ 7 * 7 }} $(touch ${join(dir, 'pwned')}-annotation)` },
      fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/),
      status: 'firing',
      startsAt: '2026-11-21T07:00:00Z',
    });
    expect(written.nested).toEqual(nested);
    expect(existsSync(join(dir, 'pwned'))).toBe(false);
    expect(existsSync(join(dir, 'pwned-key'))).toBe(false);
    expect(existsSync(join(dir, 'pwned-annotation'))).toBe(false);
    expect(result.command).toEqual([
      'ansible-playbook', '--inventory=localhost,', '--connection=local', `--extra-vars=@${join(workDir, 'extra-vars.yml')}`,
      join(repoDir, 'playbooks/write-alert.yml'),
    ]);
    expect(result.pgid).toBeGreaterThan(1);
  });

  it('runs --check --diff in a dry run, which writes nothing', async () => {
    const out = join(dir, 'out.json');
    const result = await run({ playbook: 'playbooks/write-alert.yml', extraVars: { out_file: out, nested: [] } }, { dryRun: true });
    expect(result, result.output).toMatchObject({ outcome: 'succeeded', exitCode: 0 });
    expect(result.command.slice(-3)).toEqual(['--check', '--diff', join(repoDir, 'playbooks/write-alert.yml')]);
    expect(result.output).toMatch(/changed: \[localhost\]/);
    expect(existsSync(out)).toBe(false);
  });

  it('passes the inventory, limit and tags', async () => {
    const out = join(dir, 'out.json');
    const result = await run({ playbook: 'playbooks/write-alert.yml', inventory: 'inventory/hosts', limit: 'localhost', tags: ['write'], extraVars: { out_file: out, nested: [] } });
    expect(result, result.output).toMatchObject({ outcome: 'succeeded' });
    expect(result.command.slice(1, 4)).toEqual([`--inventory=${join(repoDir, 'inventory/hosts')}`, '--limit=localhost', '--tags=write']);
    expect(existsSync(out)).toBe(true);
    expect(existsSync(`${out}.untagged`)).toBe(false);
  });

  it('ends the whole run at the timeout, the sleep the playbook started included', async () => {
    let pgid = 0;
    let sleeper = 0;
    const pending = run({ playbook: 'playbooks/sleep.yml' }, { timeoutMs: 5000, onSpawn: (id) => { pgid = id; } });
    sleeper = await waitFor(() => pgid > 0 && groupMembersRunning(pgid, ['sleep', '600'])[0], 'the playbook to start sleep 600', 5000);
    leftovers.add(sleeper);
    const result = await pending;
    expect(result).toMatchObject({ outcome: 'timed_out', reason: 'timed out after 5s', pgid });
    expect(running(sleeper)).toBe(false);
    expect(groupMembersRunning(pgid, ['sleep', '600'])).toEqual([]);
  });

  it('refuses a playbook outside the repository, through .. or a symlink, and runs nothing', async () => {
    writeFileSync(join(dir, 'outside.yml'), '- hosts: all\n  tasks: []\n');
    symlinkSync(join(dir, 'outside.yml'), join(repoDir, 'playbooks', 'link.yml'));
    const spawned: number[] = [];
    const escape = await run({ playbook: '../outside.yml' }, { onSpawn: (pgid) => { spawned.push(pgid); } });
    const link = await run({ playbook: 'playbooks/link.yml' }, { onSpawn: (pgid) => { spawned.push(pgid); } });
    const inventory = await run({ playbook: 'playbooks/sleep.yml', inventory: '../../etc/hosts' });
    expect(escape).toMatchObject({ outcome: 'failed', reason: 'playbook ../outside.yml is outside the repository', pgid: null });
    expect(link).toMatchObject({ outcome: 'failed', reason: 'playbook playbooks/link.yml resolves outside the repository (through a symlink)' });
    expect(inventory).toMatchObject({ outcome: 'failed', reason: 'inventory ../../etc/hosts is outside the repository' });
    expect(spawned).toEqual([]);
  });

  it('names the package to install when ansible-playbook is missing', async () => {
    const path = process.env.PATH;
    process.env.PATH = dir;
    try {
      const result = await run({ playbook: 'playbooks/sleep.yml' });
      expect(result).toMatchObject({ outcome: 'failed', reason: 'ansible-playbook not found: install the Debian package ansible-core' });
    } finally {
      process.env.PATH = path;
    }
  });
});
