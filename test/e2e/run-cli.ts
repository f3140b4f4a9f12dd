/**
 * Runs the built `homeostat` binary (dist/, built by test/global-setup.ts) as a user would:
 * a real process, argv as an array, never a shell.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = join(ROOT, 'dist/engine/cli/main.js');
/** Real Alertmanager payloads, relative to ROOT (the working directory of every run). */
export const AM = 'test/fixtures/alertmanager';
export const CLI_FIXTURES = join(ROOT, 'test/fixtures/cli');
/** The clock of every simulation: after every fixture's startsAt, a Saturday. */
export const NOW = '2026-11-21T08:00:00Z';

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): CliResult {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...options.env };
  delete env.NODE_OPTIONS;
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? ROOT,
    env,
    encoding: 'utf8',
    timeout: 30_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs a command that must succeed with JSON on stdout, and parses it. */
export function runJson<T = Record<string, unknown>>(args: readonly string[], options: { cwd?: string } = {}): T {
  const result = runCli(args, options);
  if (result.status !== 0) throw new Error(`homeostat ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

export interface SimulatedDecision {
  alert: { fingerprint: string; alertname: string; status: string; startsAt: string };
  policy: string;
  action: string;
  type: string;
  phase: string;
  target: string | null;
  params: Record<string, unknown> | null;
  verdict: string;
  reason: string | null;
  refusedBy: string | null;
  description: string | null;
}

export interface Simulation {
  revision: string;
  alerts: number;
  truncatedAlerts: number;
  decisions: SimulatedDecision[];
}

export function simulateJson(files: readonly string[], dir = '.', extra: readonly string[] = []): Simulation {
  return runJson<Simulation>(['simulate', dir, '--now', NOW, '--format', 'json', ...extra, '--alerts', ...files]);
}

/** What a decision is, without the rendered details. */
export function project(d: SimulatedDecision) {
  return { fingerprint: d.alert.fingerprint, status: d.alert.status, policy: d.policy, action: d.action, type: d.type, target: d.target, verdict: d.verdict, refusedBy: d.refusedBy };
}

export interface PayloadAlert {
  fingerprint: string;
  status: string;
  startsAt: string;
  labels: Record<string, string>;
}

export function readPayload(file: string): { version: string; truncatedAlerts: number; alerts: PayloadAlert[] } {
  return JSON.parse(readFileSync(join(ROOT, file), 'utf8'));
}

/** A copy of test/fixtures/cli/NAME in a fresh temporary folder; the copy is the repository root. */
export function copyFixtureRepo(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `homeostat-e2e-${name}-`));
  cpSync(join(CLI_FIXTURES, name), dir, { recursive: true });
  return dir;
}

export function removeTemp(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** What `lint` should count in this project's repository, read from the files themselves. */
export function bundledCounts(): { files: number; policies: number; schedules: number; tests: number } {
  const yaml = (readdirSync(join(ROOT, 'rules'), { recursive: true }) as string[])
    .filter((path) => /\.ya?ml$/.test(path) && !path.split(/[\\/]/).some((part) => part.startsWith('.')))
    .map((path) => readFileSync(join(ROOT, 'rules', path), 'utf8'));
  const count = (re: RegExp) => yaml.reduce((n, text) => n + (text.match(re)?.length ?? 0), 0);
  return {
    files: yaml.length + 1, // + homeostat.yaml
    policies: count(/^kind:\s*Policy\s*$/gm),
    schedules: count(/^kind:\s*Schedule\s*$/gm),
    tests: count(/^kind:\s*PolicyTest\s*$/gm),
  };
}

/** Help text with line wrapping undone, so a test does not depend on the terminal width. */
export function unwrapped(text: string): string {
  return text.replace(/\s+/g, ' ');
}
