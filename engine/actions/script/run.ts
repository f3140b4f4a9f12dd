/** Runs the script action: a repository script with an argument vector, through engine/exec. */
import { accessSync, constants } from 'node:fs';
import { redact, runCommand } from '../../exec/exec.js';
import { notStarted, summarize } from '../outcome.js';
import { resolveRepoFile } from '../repo-file.js';
import type { RunContext, RunResult } from '../types.js';
import { alertEnv, runEnv } from './alert-env.js';

export async function runScript(context: RunContext): Promise<RunResult> {
  const { repoDir, params, secrets } = context;
  const args = Array.isArray(params.args) ? params.args.map(argument) : [];
  const written = String(params.path);
  const script = resolveRepoFile(repoDir, params.path, 'script');
  if (!script.ok) return notStarted(script.reason, [written, ...args].map((a) => redact(a, secrets)));
  const command = [script.path, ...args].map((a) => redact(a, secrets));
  if (!isExecutable(script.path)) return notStarted(`script ${written} is not executable (chmod +x it in the repository)`, command);

  // A script has no check mode to ask for, and running it to see what it would do is running
  // it: a dry run checks the path and reports the command, and runs nothing.
  if (context.dryRun) {
    const shown = [written, ...args.map((a) => JSON.stringify(a))].join(' ');
    const output = redact(`dry run: would run ${shown}`, secrets);
    return { outcome: 'succeeded', exitCode: null, signal: null, durationMs: 0, pgid: null, command, output, outputTruncated: false, reason: null };
  }

  // The ALERT_* variables come last: a policy's env cannot pass off other values under them.
  const env = { ...stringMap(params.env), ...(context.alert ? alertEnv(context.alert, context.target) : context.run ? runEnv(context.run, context.target) : {}) };
  const result = await runCommand({
    file: script.path, args, cwd: repoDir, env, timeoutMs: context.timeoutMs,
    secrets, signal: context.signal, onSpawn: context.onSpawn,
  });
  return summarize(result, context.timeoutMs);
}

function argument(value: unknown): string {
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}

function stringMap(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null) return {};
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, argument(v)]));
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
