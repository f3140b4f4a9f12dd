/**
 * `homeostat init` with the built binary: what it writes lints and its tests pass; a second
 * init refuses and writes nothing; --force overwrites.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

const root = mkdtempSync(join(tmpdir(), 'homeostat-init-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const FILES = [
  '.github/workflows/homeostat.yml',
  'alerts/service-down-nginx.json',
  'homeostat.yaml',
  'playbooks/restart_service.yml',
  'rules/restart-failed-service.test.yaml',
  'rules/restart-failed-service.yaml',
];

describe('homeostat init', () => {
  const dir = join(root, 'policies');

  it('writes a repository that lints, whose tests pass, every YAML file naming its schema', () => {
    const r = runCli(['init', dir]);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(r.stdout.trimEnd().split('\n').slice(0, -1)).toEqual(FILES.map((f) => `wrote ${f}`));
    const lint = runCli(['lint', dir]);
    expect({ status: lint.status, stdout: lint.stdout }).toEqual({ status: 0, stdout: 'ok: 3 files, 1 policy, 1 test file\n' });
    const test = runCli(['test', dir, '--format', 'json']);
    expect(test.status).toBe(0);
    expect(JSON.parse(test.stdout)).toMatchObject({ ok: true, passed: 2, failed: 0 });
    for (const file of FILES.filter((f) => /\.ya?ml$/.test(f))) {
      expect([file, readFileSync(join(dir, file), 'utf8').split('\n')[0]]).toEqual([file, expect.stringMatching(/^# yaml-language-server: \$schema=https:\/\/\S+$/)]);
    }
  });

  it('a second init refuses, naming the files, and writes nothing', () => {
    const policy = join(dir, 'rules/restart-failed-service.yaml');
    writeFileSync(policy, `${readFileSync(policy, 'utf8')}# edited by its owner\n`);
    const r = runCli(['init', dir]);
    expect({ status: r.status, stdout: r.stdout }).toEqual({ status: 2, stdout: '' });
    expect(r.stderr).toBe(`homeostat: ${dir}: .github/workflows/homeostat.yml and 5 more files already exist; nothing was written; give --force to overwrite them\n`);
    expect(readFileSync(policy, 'utf8')).toMatch(/# edited by its owner\n$/);
  });

  it('refuses when only one file is in the way, and --force overwrites', () => {
    const other = join(root, 'other');
    runCli(['init', other]);
    for (const folder of ['.github', 'alerts', 'playbooks', 'rules']) rmSync(join(other, folder), { recursive: true });
    writeFileSync(join(other, 'homeostat.yaml'), 'mine\n');
    expect(runCli(['init', other]).stderr).toBe(`homeostat: ${other}: homeostat.yaml already exists; nothing was written; give --force to overwrite it\n`);
    expect(readFileSync(join(other, 'homeostat.yaml'), 'utf8')).toBe('mine\n');
    const forced = runCli(['init', other, '--force']);
    expect(forced.status).toBe(0);
    expect(forced.stdout).toContain('wrote alerts/service-down-nginx.json\noverwrote homeostat.yaml\nwrote playbooks/');
    expect(readFileSync(join(other, 'homeostat.yaml'), 'utf8')).toContain('kind: Settings');
  });
});
