/** Runs the ansible action: ansible-playbook on a repository playbook, through engine/exec. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Alert } from '../../alerts/payload.js';
import { runCommand } from '../../exec/exec.js';
import { notStarted, summarize } from '../outcome.js';
import { resolveRepoFile } from '../repo-file.js';
import type { RunContext, RunResult } from '../types.js';
import { extraVarsYaml } from './extra-vars.js';

const PROGRAM = 'ansible-playbook';
const NOT_FOUND = 'ansible-playbook not found: install the Debian package ansible-core';
/** Targets that are this machine: without an inventory they run with the local connection. */
const LOCAL_TARGETS = new Set(['localhost', '127.0.0.1']);

export async function runAnsible(context: RunContext): Promise<RunResult> {
  const { repoDir, workDir, params, target } = context;
  const playbook = resolveRepoFile(repoDir, params.playbook, 'playbook');
  if (!playbook.ok) return notStarted(playbook.reason, [PROGRAM]);
  let inventory = `${target},`;
  if (params.inventory !== undefined) {
    const file = resolveRepoFile(repoDir, params.inventory, 'inventory', { directory: true });
    if (!file.ok) return notStarted(file.reason, [PROGRAM]);
    inventory = file.path;
  }
  const local = params.inventory === undefined && LOCAL_TARGETS.has(target);

  // ansible writes its temporary files under HOME unless told otherwise, and the engine's
  // HOME may not be writable; with the local connection the "remote" side is this machine too.
  const tmp = join(workDir, 'tmp');
  mkdirSync(tmp, { recursive: true });
  const varsFile = join(workDir, 'extra-vars.yml');
  writeFileSync(varsFile, extraVarsYamlFor(context), { mode: 0o600 });

  // --option=value throughout: a value can never be read as an option of its own.
  const args = [
    `--inventory=${inventory}`,
    ...(local ? ['--connection=local'] : []),
    ...(typeof params.limit === 'string' ? [`--limit=${params.limit}`] : []),
    ...(Array.isArray(params.tags) && params.tags.length > 0 ? [`--tags=${params.tags.join(',')}`] : []),
    `--extra-vars=@${varsFile}`,
    ...(context.dryRun ? ['--check', '--diff'] : []),
    playbook.path,
  ];
  const env: Record<string, string> = {
    ANSIBLE_FORCE_COLOR: '0',
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_RETRY_FILES_ENABLED: '0',
    ANSIBLE_LOCAL_TEMP: tmp,
    ...(local ? { ANSIBLE_REMOTE_TEMP: tmp } : {}),
  };
  const result = await runCommand({
    file: PROGRAM, args, cwd: repoDir, env, timeoutMs: context.timeoutMs,
    secrets: context.secrets, signal: context.signal, onSpawn: context.onSpawn,
  });
  return summarize(result, context.timeoutMs, NOT_FOUND);
}

function extraVarsYamlFor({ params, target, alert }: RunContext): string {
  const extraVars = typeof params.extraVars === 'object' && params.extraVars !== null ? params.extraVars : {};
  // Last, so that a policy's extraVars cannot pass off other values under these names.
  return extraVarsYaml({ ...extraVars, homeostat_target: target, homeostat_alert: alertVars(alert) });
}

function alertVars(alert: Alert): Record<string, unknown> {
  return {
    labels: { ...alert.labels },
    annotations: { ...alert.annotations },
    fingerprint: alert.fingerprint,
    status: alert.status,
    startsAt: alert.startsAt,
  };
}
