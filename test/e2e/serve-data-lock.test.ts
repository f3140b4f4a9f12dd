/**
 * One engine per data directory, against the built `homeostat serve`: a second engine on the
 * same --data-dir exits 2 naming the first one's pid and touches nothing (the first one's run
 * goes on and succeeds, once); after kill -9 of the first, the lock is gone with it (even
 * while its action's processes live on) and the next engine starts. A start that fails its
 * checks writes nothing; an engine whose lock is taken from it stops at once.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { killPids, running } from '../fixtures/exec/processes.js';
import { payload, waitFor, writeRepo } from '../helpers/engine.js';
import { freePort, requireCommand } from '../helpers/processes.js';
import type { Spawned } from '../helpers/processes.js';
import { scriptRepo, serveReady } from '../helpers/serve.js';
import { runCli } from './run-cli.js';

const TOKEN = 'lock-webhook-token-0123456789abcd';
let root: string;
let data: string;
let spawned: Spawned[] = [];
const scriptPids: number[] = [];

// Waits for its release file, then counts the run: the test decides when the action ends.
const SLOW_SCRIPT = `#!/bin/sh
echo "$$" > "$DIR/started-$1"
while [ ! -e "$DIR/release-$1" ]; do sleep 0.05; done
echo "$1" >> "$DIR/count"
`;

function serveArgs(policies = join(root, 'repo')): string[] {
  return ['--policies', policies, '--data-dir', data, '--shutdown-timeout', '2s'];
}

async function serve(): Promise<{ engine: Spawned; url: string }> {
  return serveReady(await freePort(), serveArgs(), { HOMEOSTAT_WEBHOOK_TOKEN: TOKEN }, root, (engine) => spawned.push(engine));
}

/** `homeostat serve` run to its end, on a port of its own. */
async function serveOnce(policies?: string, env: NodeJS.ProcessEnv = { HOMEOSTAT_WEBHOOK_TOKEN: TOKEN }) {
  return runCli(['serve', ...serveArgs(policies), '--listen', `127.0.0.1:${await freePort()}`], { cwd: root, env });
}

async function post(url: string, host: string): Promise<number> {
  const response = await fetch(`${url}/api/v1/alerts`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: JSON.stringify(payload({ alertname: 'Slow', host })) });
  return response.status;
}

async function started(host: string): Promise<number> {
  const file = join(root, `started-${host}`);
  const pid = await waitFor(() => existsSync(file) && Number(readFileSync(file, 'utf8')) || undefined, `the action on ${host} to start`, 60_000);
  scriptPids.push(pid);
  return pid;
}

function auditLog(): string {
  return execFileSync('git', ['-C', join(data, 'audit'), 'log', '--format=%s', 'main'], { encoding: 'utf8' });
}

/** What a second engine could have changed: the journal's files and the audit branch. */
function snapshot(): { journal: string[]; log: string } {
  return { journal: readdirSync(join(data, 'journal')).sort(), log: auditLog() };
}

/** The children of `ppid` running `command` (by /proc, never by name matching). */
function childrenRunning(ppid: number, command: string): number[] {
  return readdirSync('/proc').filter((e) => /^[0-9]+$/.test(e)).map(Number).filter((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      return parent === ppid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] === command && running(pid);
    } catch {
      return false;
    }
  });
}

beforeEach(() => {
  requireCommand('flock', 'util-linux');
  root = mkdtempSync(join(tmpdir(), 'homeostat-lock-'));
  data = join(root, 'data');
  writeRepo(join(root, 'repo'), scriptRepo('slow', 'Slow', SLOW_SCRIPT, { env: { DIR: root } }));
});

afterEach(async () => {
  for (const p of spawned) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await Promise.all(spawned.map((p) => p.exited));
  spawned = [];
  killPids(scriptPids.splice(0).filter(running));
  rmSync(root, { recursive: true, force: true });
});

describe('one engine per data directory', () => {
  it('refuses a second engine on the same data directory, naming the first; the first goes on untouched', async () => {
    const first = await serve();
    expect(await post(first.url, 'a')).toBe(202);
    const scriptPid = await started('a');
    await waitFor(() => auditLog().includes('intent: slow/slow'), 'the intent commit');
    const before = snapshot();

    const refused = `homeostat: serve: cannot start: ${data} is in use by another homeostat engine (pid ${first.engine.child.pid}); stop it, or give this one another --data-dir\n`;
    const second = await serveOnce();
    expect({ status: second.status, stdout: second.stdout, stderr: second.stderr }).toEqual({ status: 2, stdout: '', stderr: refused });
    // Nor a warning of the start-up it never made (no webhook token, dry run): its one line only.
    const warned = await serveOnce(undefined, { HOMEOSTAT_DRY_RUN: 'true' });
    expect({ status: warned.status, stdout: warned.stdout, stderr: warned.stderr }).toEqual({ status: 2, stdout: '', stderr: refused });
    // Nor does one with a policy directory that does not exist: it stops before the lock.
    const wrong = await serveOnce(join(root, 'nowhere'));
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toMatch(/^homeostat: serve: cannot start: .*nowhere: no such directory/);

    expect(running(scriptPid)).toBe(true);
    expect(snapshot()).toEqual(before);
    writeFileSync(join(root, 'release-a'), '');
    await waitFor(() => auditLog().includes('succeeded: slow/slow'), `the outcome commit\n${first.engine.output()}`, 60_000);
    expect(readFileSync(join(root, 'count'), 'utf8')).toBe('a\n');
    expect(auditLog()).not.toMatch(/interrupted|recovered/);
    expect(first.engine.child.exitCode).toBeNull();
  }, 120_000);

  it('is free again after kill -9 of its holder, even while that engine\'s action runs on', async () => {
    const first = await serve();
    expect(await post(first.url, 'b')).toBe(202);
    const scriptPid = await started('b');
    // Its process group is journaled just after it starts: what the restart ends it by.
    const journaled = () => readdirSync(join(data, 'journal')).some((f) => readFileSync(join(data, 'journal', f), 'utf8').includes('"t":"started"'));
    await waitFor(() => journaled(), "the run's start record");
    first.engine.child.kill('SIGKILL');
    await first.engine.exited;
    expect(running(scriptPid)).toBe(true); // outlived the engine, as a run does

    const second = await serve();
    // The restart ends the orphaned run and records it; it is not run again.
    await waitFor(() => !running(scriptPid), 'the restart to end the orphaned run');
    await waitFor(() => auditLog().includes('interrupted: slow/slow'), `the interrupted commit\n${second.engine.output()}`);
    expect(existsSync(join(root, 'count'))).toBe(false);
    expect(readFileSync(join(data, '.lock'), 'utf8')).toBe(`${second.engine.child.pid}\n`);
  }, 120_000);

  it('writes nothing when the start fails its checks', async () => {
    const result = await serveOnce(join(root, 'nowhere'));
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^homeostat: serve: cannot start: .*nowhere: no such directory; give the policy repository/);
    expect(existsSync(data)).toBe(false);
  });

  it('stops at once, exit code 1, when the process holding its lock is killed', async () => {
    const { engine } = await serve();
    const [holder] = await waitFor(() => {
      const pids = childrenRunning(engine.child.pid!, 'cat');
      return pids.length === 1 && pids;
    }, 'the lock holder');
    process.kill(holder!, 'SIGKILL');
    expect((await engine.exited).code).toBe(1);
    expect(engine.output()).toMatch(/"msg":"data directory lock lost: another engine could start on this directory/);
  }, 60_000);
});
