/**
 * A full disk, for real: the built `homeostat serve` with its data directory on a tmpfs of a
 * few MiB, filled by a file until writes fail. While the journal cannot be written the webhook
 * answers 503 and no action starts; an action that was running finishes. Once the file is
 * deleted the engine is ready again by itself, every action that ran is audited with its real
 * outcome, `homeostat audit verify` passes, and the process never died nor met an unhandled
 * rejection. Mounting a tmpfs needs root (or sudo that asks no password, as on a CI runner).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { payload, TOKEN, waitFor, writeRepo } from '../helpers/engine.js';
import { freePort, requireCommand, spawnServe, untilHttpOk } from '../helpers/processes.js';
import type { Spawned } from '../helpers/processes.js';
import { runCli } from './run-cli.js';

const TMPFS_SIZE = '8m';

let root: string;
let data: string;
let marks: string;
let port: number;
let mounted = false;
let engine: Spawned | null = null;

// Each run marks its start, waits for the test to release it, prints 16 KiB (so that its
// outcome record needs pages of its own on the full disk), and marks its end.
const SCRIPT = `#!/bin/sh
date +%s%N > "$MARKS/$ALERT_LABEL_INSTANCE.started"
while [ ! -e "$MARKS/$ALERT_LABEL_INSTANCE.release" ]; do sleep 0.05; done
head -c 16384 /dev/zero | tr '\\0' 'x'
echo
touch "$MARKS/$ALERT_LABEL_INSTANCE.ended"
`;

function policy(): string {
  return `apiVersion: homeostat/v1
kind: Policy
metadata: { name: slow }
spec:
  match: { alertname: Slow }
  target: '{{ labels.instance }}'
  actions:
    - name: wait
      script: { path: scripts/slow.sh, env: { MARKS: '${marks}' } }
      timeout: 5m
  guards: { cooldown: 0s }
`;
}

/** `mount` as root, or through sudo that asks no password; anything else fails naming why. */
function mountTmpfs(dir: string): void {
  const options = `size=${TMPFS_SIZE},mode=0755,uid=${userInfo().uid},gid=${userInfo().gid}`;
  const argv = ['mount', '-t', 'tmpfs', '-o', options, 'tmpfs', dir];
  if (process.getuid?.() === 0) {
    execFileSync(argv[0]!, argv.slice(1));
    return;
  }
  try {
    execFileSync('sudo', ['-n', ...argv], { stdio: 'pipe' });
  } catch (error) {
    throw new Error(`the disk-full test mounts a real tmpfs (mount -t tmpfs), which needs root: run the tests as root, or with sudo that asks no password (${(error as Error).message.split('\n')[0]})`);
  }
}

function unmountTmpfs(dir: string): void {
  const argv = ['umount', '--lazy', dir];
  if (process.getuid?.() === 0) execFileSync(argv[0]!, argv.slice(1));
  else execFileSync('sudo', ['-n', ...argv]);
}

/** Writes to a file on the tmpfs until the disk is full; again whenever something freed space. */
function fillDisk(): void {
  const fd = openSync(join(data, 'filler'), 'a');
  try {
    for (const chunk of [1024 * 1024, 4096, 1]) {
      const bytes = Buffer.alloc(chunk, 0x61);
      for (;;) {
        try {
          if (writeSync(fd, bytes) < chunk) break;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw error;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
}

function url(path: string): string {
  return `http://127.0.0.1:${port}${path}`;
}

async function post(instance: string): Promise<{ status: number; body: { error?: string } }> {
  const response = await fetch(url('/api/v1/alerts'), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify(payload({ alertname: 'Slow', instance })),
    signal: AbortSignal.timeout(30_000),
  });
  return { status: response.status, body: (await response.json()) as { error?: string } };
}

async function readiness(): Promise<{ status: number; reasons: string[] }> {
  const response = await fetch(url('/readyz'));
  return { status: response.status, reasons: ((await response.json()) as { reasons: string[] }).reasons };
}

async function status(): Promise<{ audit: { backlog: number }; queue: { waiting: number; running: number } }> {
  const response = await fetch(url('/api/v1/status'), { headers: { authorization: `Bearer ${TOKEN}` } });
  return (await response.json()) as { audit: { backlog: number }; queue: { waiting: number; running: number } };
}

function mark(instance: string, what: 'started' | 'ended'): boolean {
  return existsSync(join(marks, `${instance}.${what}`));
}

function release(instance: string): void {
  writeFileSync(join(marks, `${instance}.release`), '');
}

function auditLog(): string {
  return execFileSync('git', ['-C', join(data, 'audit'), 'log', '--format=%s', 'main'], { encoding: 'utf8' });
}

function alive(): boolean {
  return engine !== null && engine.child.exitCode === null && engine.child.signalCode === null;
}

beforeAll(async () => {
  requireCommand('git', 'git');
  requireCommand('mount', 'mount');
  root = mkdtempSync(join(tmpdir(), 'homeostat-disk-full-'));
  data = join(root, 'data');
  marks = join(root, 'marks');
  mkdirSync(data);
  mkdirSync(marks);
  mountTmpfs(data);
  mounted = true;
  port = await freePort();
  writeRepo(join(root, 'repo'), { 'rules/slow.yaml': policy(), 'scripts/slow.sh': SCRIPT });
  chmodSync(join(root, 'repo', 'scripts', 'slow.sh'), 0o755);
});

afterAll(async () => {
  if (alive()) {
    engine!.child.kill('SIGKILL');
    await engine!.exited;
  }
  // Lazily if need be: a git process a killed engine left may still hold the mount.
  if (mounted) unmountTmpfs(data);
  rmSync(root, { recursive: true, force: true });
});

describe('disk full', () => {
  it('answers 503 and starts nothing while the journal cannot be written, then recovers in place with every outcome audited', async () => {
    engine = spawnServe(
      ['--policies', join(root, 'repo'), '--data-dir', data, '--listen', `127.0.0.1:${port}`, '--concurrency', '1'],
      { HOMEOSTAT_WEBHOOK_TOKEN: TOKEN, HOMEOSTAT_ADMIN_TOKEN: TOKEN },
      root,
    );
    const output = (): string => engine!.output().slice(-4000);
    await untilHttpOk(url('/readyz'), 'the engine to be ready', 60_000).catch((error: Error) => {
      throw new Error(`${error.message}\n${output()}`);
    });

    // a runs, its intent committed.
    expect((await post('a')).status).toBe(202);
    await waitFor(() => mark('a', 'started'), `action a to start\n${output()}`);
    await waitFor(() => auditLog().includes('intent: slow/wait (script) on a'), `the intent of a to be committed\n${output()}`);

    // The disk fills, but for one page: b's decision (a line or two) still fits in the journal,
    // its commit (new files in the audit repository) does not. b waits behind a.
    fillDisk();
    truncateSync(join(data, 'filler'), statSync(join(data, 'filler')).size - 4096);
    expect((await post('b')).status).toBe(202);
    const auditStuck = await waitFor(async () => {
      fillDisk(); // nothing freed meanwhile stays free
      const r = await readiness();
      return r.reasons.some((reason) => reason.startsWith('cannot commit to the audit repository')) && r;
    }, `readiness to report the audit repository\n${output()}`, 30_000);
    expect(auditStuck.status).toBe(503);

    // a ends: its outcome (with 16 KiB of output) cannot be journaled. The engine says so, and
    // takes no alert.
    release('a');
    await waitFor(() => mark('a', 'ended'), `action a to end\n${output()}`);
    const notReady = await waitFor(async () => {
      fillDisk();
      const r = await readiness();
      return r.reasons.some((reason) => reason.startsWith('journal write failed')) && r;
    }, `readiness to report the journal\n${output()}`, 30_000);
    expect(notReady.status).toBe(503);
    expect(notReady.reasons.join('; ')).toMatch(/journal write failed in .*: ENOSPC: no space left on device/);
    const refused = await post('c');
    expect(refused.status).toBe(503);
    expect(refused.body.error).toMatch(/^not ready: .*journal.*no space left on device/);
    expect(alive(), output()).toBe(true);
    // b has not started at any time while the disk was full (its start mark would remain).
    expect(mark('b', 'started')).toBe(false);

    rmSync(join(data, 'filler'));
    await untilHttpOk(url('/readyz'), 'the engine to be ready again by itself', 60_000).catch((error: Error) => {
      throw new Error(`${error.message}\n${output()}`);
    });
    await waitFor(() => mark('b', 'started'), `action b to start once space is back\n${output()}`, 30_000);
    release('b');
    release('c');
    expect((await post('c')).status).toBe(202);
    await waitFor(async () => {
      const s = await status();
      return mark('c', 'ended') && s.audit.backlog === 0 && s.queue.waiting === 0 && s.queue.running === 0;
    }, `every action to end and be committed\n${output()}`, 60_000);

    const log = runCli(['audit', 'log', '--data-dir', data, '--format', 'json', '--limit', '1000'], { cwd: root });
    expect(log.status, log.stderr).toBe(0);
    const entries = (JSON.parse(log.stdout) as { entries: { kind: string; target?: string; outcome: string | null; reason?: string | null }[] }).entries;
    const actions = entries.filter((e) => e.kind === 'action').map((e) => ({ target: e.target, outcome: e.outcome, reason: e.reason ?? null }));
    expect(actions.sort((x, y) => String(x.target).localeCompare(String(y.target)))).toEqual([
      { target: 'a', outcome: 'succeeded', reason: null },
      { target: 'b', outcome: 'succeeded', reason: null },
      { target: 'c', outcome: 'succeeded', reason: null },
    ]);
    expect(auditLog()).not.toMatch(/interrupted/);
    const verify = runCli(['audit', 'verify', '--data-dir', data], { cwd: root });
    expect(verify.stdout + verify.stderr).toMatch(/^ok: /m);
    expect(verify.status).toBe(0);
    execFileSync('git', ['-C', join(data, 'audit'), 'fsck', '--no-progress'], { stdio: 'pipe' });

    expect(alive(), output()).toBe(true);
    engine.child.kill('SIGTERM');
    expect(await engine.exited).toEqual({ code: 0, signal: null });
    expect(engine.output()).not.toMatch(/unhandled rejection|unhandledrejection|uncaught exception/i);
  }, 240_000);
});
