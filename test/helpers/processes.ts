/**
 * Real processes for end-to-end tests: the built `homeostat serve`, and the real components
 * it meets (Alertmanager). A missing component fails the test with the Debian package to
 * install; nothing is skipped.
 */
import { spawn, execFileSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { BIN } from '../e2e/run-cli.js';

export function requireCommand(command: string, debianPackage: string): string {
  try {
    return execFileSync('sh', ['-c', 'command -v "$1"', 'sh', command], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(`${command} is not installed: this test needs the real component; install the Debian package ${debianPackage} (apt-get install ${debianPackage}), as scripts/test.sh does when run as root`);
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface Spawned {
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code (or signal) once the process has ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function spawnLogged(file: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Spawned {
  const child = spawn(file, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, output: () => text, exited };
}

/** `homeostat serve` from dist/ (built by the global setup). */
export function spawnServe(args: readonly string[], env: NodeJS.ProcessEnv, cwd: string): Spawned {
  return spawnLogged(process.execPath, [BIN, 'serve', ...args], { cwd, env: { ...process.env, ...env } });
}

export async function untilHttpOk(url: string, what: string, ms = 20_000, headers: Record<string, string> = {}): Promise<Response> {
  const deadline = Date.now() + ms;
  let last = '';
  for (;;) {
    try {
      const response = await fetch(url, { headers });
      if (response.ok) return response;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what} at ${url} (${last})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
