// runCommand against real processes: argv reaches the program verbatim, the environment is the
// allowlist only, and a timeout or an abort ends the whole process group, grandchildren too.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ENV_ALLOWLIST, endProcessGroup, processGroupAlive, processStartTime, runCommand } from '../../../engine/exec/exec.js';
import type { ExecRequest } from '../../../engine/exec/exec.js';
import { killPids, running, waitFor } from '../../fixtures/exec/processes.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/exec/', import.meta.url));
const fixture = (name: string): string => join(FIXTURES, name);

let dir = '';
const started = new Set<number>();
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'homeostat-exec-')); });
afterEach(() => {
  killPids(started);
  started.clear();
  rmSync(dir, { recursive: true, force: true });
});

function run(file: string, args: string[], extra: Partial<ExecRequest> = {}) {
  return runCommand({ file, args, cwd: dir, timeoutMs: 10_000, ...extra });
}

function readPid(path: string): number | undefined {
  if (!existsSync(path)) return undefined;
  const pid = Number(readFileSync(path, 'utf8').trim());
  if (pid > 0) started.add(pid);
  return pid > 0 ? pid : undefined;
}

describe('runCommand', () => {
  it('reports exit codes', async () => {
    const ok = await run('sh', ['-c', 'exit 0']);
    const failed = await run('sh', ['-c', 'exit 3']);
    expect([ok.exitCode, ok.signal, ok.timedOut, ok.aborted, ok.spawnError]).toEqual([0, null, false, false, null]);
    expect([failed.exitCode, failed.signal]).toEqual([3, null]);
    expect(failed.command).toEqual(['sh', '-c', 'exit 3']);
  });

  it('passes hostile arguments verbatim and never through a shell', async () => {
    const marker = join(dir, 'pwned');
    const hostile = [`; touch ${marker}`, `$(touch ${marker})`, `\`touch ${marker}\``, `a\ntouch ${marker}`, `| touch ${marker}`, `&& touch ${marker} #`, '*', "'\"", '--help'];
    const result = await run(fixture('print-argv.sh'), hostile);
    expect(result.exitCode).toBe(0);
    expect(result.output.split('\0').slice(0, -1)).toEqual(hostile);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('gives the child only the allowlisted environment and the variables it is given', async () => {
    process.env.HOMEOSTAT_TEST_NOT_ALLOWED = 'engine-secret';
    try {
      const result = await run('env', ['-0'], { env: { EXTRA_VAR: 'x y $(z)' } });
      const env = Object.fromEntries(result.output.split('\0').slice(0, -1).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
      expect(env.HOMEOSTAT_TEST_NOT_ALLOWED).toBeUndefined();
      expect(env.EXTRA_VAR).toBe('x y $(z)');
      expect(env.PATH).toBe(process.env.PATH);
      expect(Object.keys(env).filter((name) => !ENV_ALLOWLIST.includes(name) && name !== 'EXTRA_VAR')).toEqual([]);
    } finally {
      delete process.env.HOMEOSTAT_TEST_NOT_ALLOWED;
    }
  });

  it('runs each child as the leader of its own process group', async () => {
    const seen: Array<{ pgid: number; leader: boolean; start: string | null }> = [];
    const result = await run('sleep', ['0.2'], {
      onSpawn(pgid) {
        const stat = readFileSync(`/proc/${pgid}/stat`, 'utf8');
        seen.push({ pgid, leader: stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2] === String(pgid), start: processStartTime(pgid) });
      },
    });
    expect(seen).toEqual([{ pgid: result.pgid, leader: true, start: expect.stringMatching(/^[0-9]+$/) }]);
    expect(processGroupAlive(result.pgid!)).toBe(false);
  });

  it('ends the whole group at the timeout, grandchildren included', async () => {
    const pidFile = join(dir, 'grandchild.pid');
    const result = await run(fixture('grandchild.sh'), [pidFile], { timeoutMs: 1000, killGraceMs: 2000 });
    const grandchild = readPid(pidFile);
    expect(grandchild, 'the grandchild had started before the timeout').toBeDefined();
    expect(result).toMatchObject({ timedOut: true, aborted: false, exitCode: null, signal: 'SIGTERM' });
    expect(result.durationMs).toBeGreaterThanOrEqual(1000);
    expect(running(grandchild!)).toBe(false);
    expect(processGroupAlive(result.pgid!)).toBe(false);
  });

  it('sends SIGKILL after the grace period to a child that ignores SIGTERM', async () => {
    const ready = join(dir, 'ready');
    const result = await run(fixture('ignore-term.sh'), [ready], { timeoutMs: 1000, killGraceMs: 300 });
    expect(existsSync(ready), 'the child ignored SIGTERM before the timeout').toBe(true);
    expect(result).toMatchObject({ timedOut: true, exitCode: null, signal: 'SIGKILL' });
    expect(result.durationMs).toBeGreaterThanOrEqual(1300);
  });

  it('ends what the child left in its group once it exits', async () => {
    const pidFile = join(dir, 'leftover.pid');
    const result = await run(fixture('leftover.sh'), [pidFile], { killGraceMs: 2000 });
    const leftover = readPid(pidFile);
    expect(leftover, 'the fixture started its background sleep').toBeDefined();
    expect(result).toMatchObject({ exitCode: 0, timedOut: false, signal: null });
    expect(running(leftover!)).toBe(false);
  });

  it('keeps only the tail of the output and says it was cut', async () => {
    const code = "for (let i = 0; i < 20000; i++) console.log('line ' + i); console.log('the end');";
    const result = await run(process.execPath, ['-e', code], { outputCapBytes: 1000 });
    expect(result.outputTruncated).toBe(true);
    expect(Buffer.byteLength(result.output)).toBeLessThanOrEqual(1000);
    expect(result.output).toMatch(/line 19999\nthe end\n$/);
    const small = await run('echo', ['short']);
    expect([small.output, small.outputTruncated]).toEqual(['short\n', false]);
  });

  it('masks secrets in the output and in the command', async () => {
    const result = await run('sh', ['-c', 'echo "token=$1"; echo "$1" >&2', 'sh', 's3cr3t-value'], { secrets: ['s3cr3t-value', ''] });
    // stdout and stderr are two pipes: which is read first is not fixed.
    expect(result.output.split('\n').sort()).toEqual(['', '***', 'token=***']);
    expect(result.command).toEqual(['sh', '-c', 'echo "token=$1"; echo "$1" >&2', 'sh', '***']);
  });

  it('writes input to stdin and closes it; without input stdin is not open', async () => {
    const withInput = await run('cat', [], { input: 'hello\nworld\n' });
    expect(withInput.output).toBe('hello\nworld\n');
    const withBuffer = await run('cat', [], { input: Buffer.from([0x61, 0x00, 0x62]) });
    expect(withBuffer.output).toBe('a\0b');
    const without = await run('cat', [], { timeoutMs: 5000 });
    expect([without.exitCode, without.timedOut, without.output]).toEqual([0, false, '']);
  });

  it('ends the group when the signal aborts, and reports it aborted', async () => {
    const controller = new AbortController();
    const pidFile = join(dir, 'grandchild.pid');
    const pending = run(fixture('grandchild.sh'), [pidFile], { signal: controller.signal, killGraceMs: 2000 });
    const grandchild = await waitFor(() => readPid(pidFile), 'the grandchild to start');
    controller.abort();
    const result = await pending;
    expect(result).toMatchObject({ aborted: true, timedOut: false, exitCode: null, signal: 'SIGTERM' });
    expect(running(grandchild)).toBe(false);
  });

  it('ends the group and rejects when onSpawn fails (the run could not be recorded)', async () => {
    const pidFile = join(dir, 'grandchild.pid');
    let pgid = 0;
    const pending = run(fixture('grandchild.sh'), [pidFile], {
      killGraceMs: 2000,
      async onSpawn(id) {
        pgid = id;
        await waitFor(() => readPid(pidFile), 'the grandchild to start');
        throw new Error('journal is full');
      },
    });
    await expect(pending).rejects.toThrow('journal is full');
    expect(running(readPid(pidFile)!)).toBe(false);
    expect(processGroupAlive(pgid)).toBe(false);
  });

  it('starts nothing when the signal is already aborted', async () => {
    const result = await run('touch', [join(dir, 'x')], { signal: AbortSignal.abort() });
    expect(result).toMatchObject({ aborted: true, pgid: null, exitCode: null });
    expect(existsSync(join(dir, 'x'))).toBe(false);
  });

  it('says when the program cannot be started', async () => {
    const missing = await run('homeostat-no-such-program', ['x']);
    expect(missing).toMatchObject({ spawnError: 'homeostat-no-such-program: command not found (ENOENT)', exitCode: null, pgid: null });
    const notExecutable = await run(fixture('repo/scripts/not-executable.sh'), []);
    expect(notExecutable.spawnError).toMatch(/permission denied \(EACCES\)$/);
    const noCwd = await run('true', [], { cwd: join(dir, 'missing') });
    expect(noCwd.spawnError).toBe(`working directory ${join(dir, 'missing')} does not exist`);
    const nul = await run('echo', ['a\0b']);
    expect(nul.spawnError).toBe('argument 1 contains a NUL byte');
  });
});

describe('endProcessGroup', () => {
  // A group started by another process, which has exited: the situation after an engine crash.
  function startForeignGroup(): number {
    const code = "const c = require('node:child_process').spawn('sh', ['-c', 'sleep 1000 & wait'], { detached: true, stdio: 'ignore' }); console.log(c.pid); c.unref();";
    const pgid = Number(execFileSync(process.execPath, ['-e', code], { encoding: 'utf8' }).trim());
    started.add(pgid);
    return pgid;
  }

  it('ends a group left behind when the leader is the one recorded', async () => {
    const pgid = startForeignGroup();
    await waitFor(() => processGroupAlive(pgid), 'the group to start');
    expect(await endProcessGroup(pgid, processStartTime(pgid), 2000)).toBe(true);
    expect(processGroupAlive(pgid)).toBe(false);
    expect(await endProcessGroup(pgid, null, 2000)).toBe(false);
  });

  it('refuses when the leader has another start time (a reused pid)', async () => {
    const pgid = startForeignGroup();
    await waitFor(() => processGroupAlive(pgid), 'the group to start');
    expect(await endProcessGroup(pgid, '1', 2000)).toBe(false);
    expect(processGroupAlive(pgid)).toBe(true);
    expect(await endProcessGroup(pgid, processStartTime(pgid), 2000)).toBe(true);
  });

  it('refuses group ids that would reach other processes', async () => {
    await expect(endProcessGroup(0, null)).rejects.toThrow(RangeError);
    await expect(endProcessGroup(1, null)).rejects.toThrow(RangeError);
    await expect(endProcessGroup(process.pid, null)).rejects.toThrow(RangeError);
  });
});
