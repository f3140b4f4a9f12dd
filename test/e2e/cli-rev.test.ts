/**
 * `lint|test|simulate --rev REV` with the built binary, in a real git working clone whose
 * working tree has an uncommitted broken policy and an edited test payload: a revision is
 * read from git alone, and the working tree is neither read nor touched.
 */
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { payload } from '../helpers/engine.js';
import { gitSandbox } from '../helpers/git.js';
import { createWorkTree } from '../helpers/git-remote.js';
import type { WorkTree } from '../helpers/git-remote.js';
import { policyYaml, settingsYaml } from '../helpers/policies.js';
import { NOW, runCli, runJson } from './run-cli.js';
import type { CliResult, Simulation } from './run-cli.js';

const sandbox = gitSandbox('homeostat-cli-rev-');

function announcePolicy(version: string, extra = ''): string {
  return policyYaml(
    'announce-disk',
    `
    match: { alertname: HostDiskSpaceLow }
    target: '{{ labels.instance | host }}'
    actions:
      - name: tell
        slack:
          webhook: { env: SLACK_WEBHOOK_URL }
          text: '${version}: disk {{ labels.mountpoint }} fills up on {{ target }}'
        ${extra}`,
  );
}

/** One case, whose alerts come from payloads/disk.json of the same revision. */
function announceTest(version: string): string {
  return `apiVersion: homeostat/v1
kind: PolicyTest
metadata: { name: announce-disk }
spec:
  cases:
    - name: a filling disk on web-1 is announced
      alerts: ../payloads/disk.json
      expect:
        - { policy: announce-disk, action: tell, target: web-1, params: { text: '${version}: disk /var fills up on web-1' } }
`;
}

const diskAlert = (instance: string) => `${JSON.stringify(payload({ alertname: 'HostDiskSpaceLow', instance, mountpoint: '/var' }), null, 2)}\n`;

/** A user error: one line on stderr, nothing on stdout, no stack. */
function expectUserError(r: CliResult, exitCode: number): string {
  expect({ status: r.status, stdout: r.stdout }).toEqual({ status: exitCode, stdout: '' });
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  return r.stderr.trimEnd();
}

describe('--rev', () => {
  let repo: WorkTree;
  let first: string;
  let second: string;
  let head: string;
  let alerts: string;
  let statusBefore: string;
  const workingPolicy = announcePolicy('v4', 'colour: blue');
  const firstPolicy = announcePolicy('v1', 'timeout: 5 minutes');

  beforeAll(() => {
    repo = createWorkTree(sandbox.path('repo'), {
      'homeostat.yaml': settingsYaml('paused: false'),
      'rules/announce.yaml': firstPolicy,
      'payloads/disk.json': diskAlert('web-1:9100'),
    });
    first = repo.head();
    second = repo.commit('v2', { 'rules/announce.yaml': announcePolicy('v2'), 'rules/announce.test.yaml': announceTest('v2') });
    head = repo.commit('v3', { 'rules/announce.yaml': announcePolicy('v3'), 'rules/announce.test.yaml': announceTest('v3') });
    // Uncommitted: a broken policy, and a payload whose alert the committed tests do not expect.
    repo.write({ 'rules/announce.yaml': workingPolicy, 'payloads/disk.json': diskAlert('web-2:9100') });
    alerts = `${sandbox.path('alerts')}.json`;
    writeFileSync(alerts, diskAlert('web-3:9100'));
    statusBefore = repo.git('status', '--porcelain');
    expect(statusBefore).toBe(' M payloads/disk.json\n M rules/announce.yaml\n');
  });

  const cli = (...args: string[]) => runCli(args, { cwd: repo.dir });

  it('lint --rev HEAD is ok while plain lint reports the uncommitted broken policy', () => {
    const atHead = cli('lint', '--rev', 'HEAD');
    expect({ status: atHead.status, stderr: atHead.stderr }).toEqual({ status: 0, stderr: '' });
    expect(atHead.stdout).toBe('ok: 3 files, 1 policy, 1 test file\n');
    const onDisk = cli('lint', '--format', 'json');
    expect(onDisk.status).toBe(1);
    const errors = (JSON.parse(onDisk.stdout).problems as { severity: string }[]).filter((p) => p.severity === 'error');
    expect(errors).toMatchObject([{ file: 'rules/announce.yaml', line: lineOf(workingPolicy, 'colour'), code: 'HST_ACTION_UNKNOWN_TYPE' }]);
  });

  it('lint --rev an earlier commit reports the problem it had then', () => {
    const then = cli('lint', '.', '--rev', first, '--format', 'json');
    expect(then.status).toBe(1);
    expect(JSON.parse(then.stdout)).toMatchObject({
      ok: false,
      files: 2,
      policies: 1,
      problems: [
        { file: 'rules/announce.yaml', line: lineOf(firstPolicy, 'timeout'), code: 'HST_DURATION_INVALID', message: 'timeout "5 minutes" is not a duration' },
      ],
    });
    const text = cli('lint', 'rules', '--rev', 'HEAD~2').stdout;
    expect(text).toMatch(new RegExp(`^rules/announce\\.yaml:${lineOf(firstPolicy, 'timeout')}:\\d+ error HST_DURATION_INVALID `, 'm'));
    expect(text.endsWith('\n1 problem in 2 files, 1 policy, 0 test files\n')).toBe(true);
  });

  it('test --rev runs the cases of that revision on the payload committed with them', () => {
    for (const rev of ['HEAD', second]) {
      const r = cli('test', '--rev', rev, '--format', 'json');
      expect([rev, r.status, r.stderr]).toEqual([rev, 0, '']);
      const report = JSON.parse(r.stdout) as { ok: boolean; passed: number; failed: number; cases: { name: string; file: string; passed: boolean }[] };
      expect(report).toMatchObject({ ok: true, passed: 1, failed: 0, cases: [{ name: 'a filling disk on web-1 is announced', file: 'rules/announce.test.yaml', passed: true }] });
    }
    // The working tree's policy is broken: without --rev no test runs.
    const onDisk = cli('test');
    expect(onDisk.status).toBe(1);
    expect(onDisk.stdout).toMatch(/the policies have 1 problem; no test ran\n$/);
  });

  it('simulate --rev decides with the policies of that revision', () => {
    const texts = [second, head].map((rev) => {
      const s = runJson<Simulation>(['simulate', '--rev', rev, '--now', NOW, '--format', 'json', '--alerts', alerts], { cwd: repo.dir });
      expect(s.revision).toBe(rev);
      expect(s.decisions.map((d) => [d.policy, d.action, d.target, d.verdict])).toEqual([['announce-disk', 'tell', 'web-3', 'run']]);
      return (s.decisions[0]!.params as { text: string }).text;
    });
    expect(texts).toEqual(['v2: disk /var fills up on web-3', 'v3: disk /var fills up on web-3']);
  });

  it('--rev naming no commit is a usage error in one line', () => {
    for (const command of [['lint'], ['test'], ['simulate', '--alerts', alerts]]) {
      const line = expectUserError(cli(...command, '--rev', 'nope'), 2);
      expect(line).toMatch(/^homeostat: nope: no such revision in \S+/);
    }
  });

  it('--rev outside any git repository exits 2 naming the problem', () => {
    const plain = sandbox.path('not-a-repo');
    mkdirSync(plain);
    cpSync(join(repo.dir, 'rules'), join(plain, 'rules'), { recursive: true });
    for (const command of [['lint', '.'], ['test', '.'], ['simulate', '.', '--alerts', alerts]]) {
      const line = expectUserError(runCli([...command, '--rev', 'HEAD'], { cwd: plain }), 2);
      expect(line).toBe('homeostat: .: not in a git repository, so --rev has nothing to read; drop --rev to load the directory as it is');
    }
  });

  it('lint --rev refuses a script, or an inventory script, committed without its executable bit, and says how to fix the commit', () => {
    const modes = createWorkTree(sandbox.path('modes'), {
      'rules/fix.yaml': policyYaml('run-fix', `
    match: { alertname: Broken }
    actions:
      - name: fix
        script: { path: tools/fix.sh }
      - name: play
        ansible: { playbook: playbooks/fix.yml, inventory: inventory/hosts.py }`),
      'tools/fix.sh': '#!/bin/sh\necho fixed\n',
      'playbooks/fix.yml': '- hosts: all\n  tasks: []\n',
      'inventory/hosts.py': '#!/usr/bin/env python3\nprint("{}")\n',
    });
    expect([modes.modeAt('tools/fix.sh'), modes.modeAt('inventory/hosts.py')]).toEqual(['100644', '100644']);
    const r = runCli(['lint', '--rev', 'HEAD', '--format', 'json'], { cwd: modes.dir });
    expect(r.status).toBe(1);
    expect((JSON.parse(r.stdout).problems as { code: string; pointer: string; hint: string }[]).map((p) => [p.code, p.pointer, p.hint])).toEqual([
      ['HST_FILE_NOT_EXECUTABLE', '/spec/actions/0/script/path', 'make it executable: git update-index --chmod=+x tools/fix.sh, then commit'],
      ['HST_FILE_NOT_EXECUTABLE', '/spec/actions/1/ansible/inventory', 'make it executable: git update-index --chmod=+x inventory/hosts.py, then commit'],
    ]);
    // The hint is the fix.
    modes.git('update-index', '--chmod=+x', 'tools/fix.sh', 'inventory/hosts.py');
    modes.git('commit', '--quiet', '-m', 'executable');
    expect(runCli(['lint', '--rev', 'HEAD'], { cwd: modes.dir })).toEqual({ status: 0, stdout: 'ok: 1 file, 1 policy, 0 test files\n', stderr: '' });
  });

  // Runs last: every command above read revisions while the working tree held other changes.
  it('leaves the working tree as it was: the same changes, the same content, the same HEAD', () => {
    expect(repo.git('status', '--porcelain')).toBe(statusBefore);
    expect([repo.read('rules/announce.yaml'), repo.read('payloads/disk.json'), repo.head()]).toEqual([workingPolicy, diskAlert('web-2:9100'), head]);
    expect(repo.git('stash', 'list')).toBe('');
  });
});

function lineOf(text: string, needle: string): number {
  const at = text.indexOf(needle);
  if (at < 0) throw new Error(`${needle} not in the text`);
  return text.slice(0, at).split('\n').length;
}
