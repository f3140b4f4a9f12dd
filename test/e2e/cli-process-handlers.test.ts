/**
 * The built `homeostat` binary treats an unhandled rejection or an uncaught exception as the
 * bug it is: one JSON line on stderr with the stack, and exit code 70, never a process that
 * runs on in an unknown state (nor Node's multi-line dump). Fault tests look for the line.
 */
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BIN, ROOT } from './run-cli.js';

/** The real binary (a harmless `--version`), then `fault` run in the same process. */
function runWithFault(fault: string): { status: number | null; stderr: string } {
  const script = `process.argv.splice(1, Infinity, 'homeostat', '--version'); await import(${JSON.stringify(pathToFileURL(BIN).href)}); ${fault}`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
  return { status: result.status, stderr: result.stderr };
}

describe('a bug of the process', () => {
  it('exits 70 after one line on an unhandled rejection', () => {
    const { status, stderr } = runWithFault("Promise.reject(new Error('journal append failed'));");
    expect(status).toBe(70);
    const lines = stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 60, msg: 'homeostat: unhandled rejection: a bug, please report it', err: { type: 'Error', message: 'journal append failed', stack: expect.stringContaining('Error: journal append failed\n    at ') } });
  });

  it('exits 70 after one line on an uncaught exception', () => {
    const { status, stderr } = runWithFault("setTimeout(() => { throw new TypeError('no such thing'); });");
    expect(status).toBe(70);
    expect(stderr).toMatch(/^\{"level":60,"time":\d+,"msg":"homeostat: uncaught exception: a bug, please report it","err":\{"type":"TypeError","message":"no such thing","stack":"TypeError: no such thing\\n/);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});
