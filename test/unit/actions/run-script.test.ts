// The script action run for real: arguments and ALERT_* variables reach the script verbatim,
// however hostile; a path out of the repository is refused; a dry run runs nothing.
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { script } from '../../../engine/actions/script/index.js';
import { labelVariable } from '../../../engine/actions/script/alert-env.js';
import type { RunContext, RunResult } from '../../../engine/actions/types.js';
import { inlineAlert } from '../../helpers/alerts.js';

const FIXTURE_REPO = fileURLToPath(new URL('../../fixtures/exec/repo/', import.meta.url));

let dir = '';
let repoDir = '';
let outDir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'homeostat-run-script-'));
  repoDir = join(dir, 'repo');
  outDir = join(dir, 'out');
  cpSync(FIXTURE_REPO, repoDir, { recursive: true });
  mkdirSync(outDir);
});
afterEach(() => { rmSync(dir, { recursive: true, force: true }); });

const hostile = (marker: string): string[] => [
  `; touch ${marker}`, `$(touch ${marker})`, `\`touch ${marker}\``, `x\ntouch ${marker}`, "it's \"quoted\" \\ $HOME *", '',
];

function run(params: Record<string, unknown>, overrides: Partial<RunContext> = {}): Promise<RunResult> {
  const marker = join(dir, 'pwned');
  const alert = inlineAlert({
    labels: { alertname: `Disk $(touch ${marker})`, instance: `web-1; touch ${marker}`, 'weird-name.x': '`touch pwned`', job: 'node' },
  });
  return script.run!({
    repoDir, workDir: dir, params, target: `web-1\n$(touch ${marker})`, alert, dryRun: false, timeoutMs: 10_000, secrets: [],
    signal: new AbortController().signal, onSpawn: () => undefined, ...overrides,
  });
}

function recorded(): { args: string[]; env: Record<string, string> } {
  const split = (file: string): string[] => readFileSync(join(outDir, file), 'utf8').split('\0').slice(0, -1);
  const env = Object.fromEntries(split('env').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
  return { args: split('args'), env };
}

describe('script run', () => {
  it('passes arguments and ALERT_* variables verbatim, never through a shell', async () => {
    const marker = join(dir, 'pwned');
    const args = hostile(marker);
    const result = await run({ path: 'scripts/record.sh', args, env: { OUT_DIR: outDir, POLICY_VAR: `$(touch ${marker})` } });
    expect(result, result.output).toMatchObject({ outcome: 'succeeded', exitCode: 0, reason: null, output: `recorded ${args.length} arguments\n` });
    const { args: received, env } = recorded();
    expect(received).toEqual(args);
    expect(env).toMatchObject({
      OUT_DIR: outDir,
      POLICY_VAR: `$(touch ${marker})`,
      ALERT_NAME: `Disk $(touch ${marker})`,
      ALERT_STATUS: 'firing',
      ALERT_FINGERPRINT: expect.stringMatching(/^[0-9a-f]{16}$/),
      ALERT_STARTS_AT: '2026-11-21T07:00:00Z',
      ALERT_TARGET: `web-1\n$(touch ${marker})`,
      ALERT_LABEL_ALERTNAME: `Disk $(touch ${marker})`,
      ALERT_LABEL_INSTANCE: `web-1; touch ${marker}`,
      ALERT_LABEL_WEIRD_NAME_X: '`touch pwned`',
      ALERT_LABEL_JOB: 'node',
    });
    expect(existsSync(marker)).toBe(false);
    expect(readdirSync(repoDir).includes('pwned')).toBe(false);
    expect(result.command).toEqual([join(repoDir, 'scripts/record.sh'), ...args]);
  });

  it('reports the exit code of a failing script', async () => {
    const result = await run({ path: 'scripts/record.sh', env: { OUT_DIR: outDir, EXIT_CODE: '3' } });
    expect(result).toMatchObject({ outcome: 'failed', exitCode: 3, reason: 'exit code 3' });
  });

  it('times out, and is interrupted when the engine stops', async () => {
    const timedOut = await run({ path: 'scripts/sleep.sh' }, { timeoutMs: 1000 });
    expect(timedOut).toMatchObject({ outcome: 'timed_out', reason: 'timed out after 1s', signal: 'SIGTERM' });
    const controller = new AbortController();
    const interrupted = await run({ path: 'scripts/sleep.sh' }, { signal: controller.signal, onSpawn: () => controller.abort() });
    expect(interrupted).toMatchObject({ outcome: 'interrupted', signal: 'SIGTERM' });
  });

  it('refuses a script outside the repository, not executable, or missing, and runs nothing', async () => {
    const outside = join(dir, 'outside.sh');
    writeFileSync(outside, `#!/bin/sh\ntouch ${join(dir, 'ran')}\n`);
    chmodSync(outside, 0o755);
    symlinkSync(outside, join(repoDir, 'scripts', 'link.sh'));
    const spawned: number[] = [];
    const onSpawn = (pgid: number): void => { spawned.push(pgid); };
    const results = await Promise.all([
      run({ path: '../outside.sh' }, { onSpawn }),
      run({ path: 'scripts/../../outside.sh' }, { onSpawn }),
      run({ path: 'scripts/link.sh' }, { onSpawn }),
      run({ path: outside }, { onSpawn }),
      run({ path: 'scripts/not-executable.sh' }, { onSpawn }),
      run({ path: 'scripts/missing.sh' }, { onSpawn }),
      run({ path: 'scripts' }, { onSpawn }),
    ]);
    expect(results.map((r) => [r.outcome, r.reason, r.pgid])).toEqual([
      ['failed', 'script ../outside.sh is outside the repository', null],
      ['failed', 'script scripts/../../outside.sh is outside the repository', null],
      ['failed', 'script scripts/link.sh resolves outside the repository (through a symlink)', null],
      ['failed', `script ${outside} is not a path inside the repository`, null],
      ['failed', 'script scripts/not-executable.sh is not executable (chmod +x it in the repository)', null],
      ['failed', 'script scripts/missing.sh does not exist in the repository', null],
      ['failed', 'script scripts is not a file', null],
    ]);
    expect(spawned).toEqual([]);
    expect(existsSync(join(dir, 'ran'))).toBe(false);
  });

  it('runs nothing in a dry run and says what it would have run', async () => {
    const spawned: number[] = [];
    const result = await run({ path: 'scripts/record.sh', args: ['a b', '$(x)'], env: { OUT_DIR: outDir } }, { dryRun: true, onSpawn: (pgid) => { spawned.push(pgid); } });
    expect(result).toEqual({
      outcome: 'succeeded', exitCode: null, signal: null, durationMs: 0, pgid: null, reason: null,
      command: [join(repoDir, 'scripts/record.sh'), 'a b', '$(x)'],
      output: 'dry run: would run scripts/record.sh "a b" "$(x)"',
      outputTruncated: false,
    });
    expect(spawned).toEqual([]);
    expect(readdirSync(outDir)).toEqual([]);
  });

  it('masks secrets in the command and the output', async () => {
    const result = await run({ path: 'scripts/record.sh', args: ['token-123'], env: { OUT_DIR: outDir } }, { secrets: ['token-123'], dryRun: true });
    expect(result.command.at(-1)).toBe('***');
    expect(result.output).toBe('dry run: would run scripts/record.sh "***"');
  });
});

describe('labelVariable', () => {
  it('upper-cases the label name and replaces what a variable name cannot hold', () => {
    expect(['instance', 'weird-name.x', 'ünïcode', '__name__'].map(labelVariable)).toEqual([
      'ALERT_LABEL_INSTANCE', 'ALERT_LABEL_WEIRD_NAME_X', 'ALERT_LABEL__N_CODE', 'ALERT_LABEL___NAME__',
    ]);
  });
});
