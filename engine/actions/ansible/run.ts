/** Runs the ansible action: ansible-playbook on a repository playbook, through engine/exec. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Alert } from '../../alerts/payload.js';
import { runCommand } from '../../exec/exec.js';
import { notStarted, summarize } from '../outcome.js';
import { resolveRepoFile } from '../repo-file.js';
import type { RunContext, RunResult } from '../types.js';
import { isLocal, playbookArgs, PROGRAM, VARS_FILE } from './command.js';
import { extraVarsYaml } from './extra-vars.js';
import { refuseLimitOutsideInventory } from './inventory.js';

const NOT_FOUND = 'ansible-playbook not found: install the Debian package ansible-core';

export async function runAnsible(context: RunContext): Promise<RunResult> {
  const { repoDir, workDir, params, target } = context;
  const started = performance.now();
  const playbook = resolveRepoFile(repoDir, params.playbook, 'playbook');
  if (!playbook.ok) return notStarted(playbook.reason, [PROGRAM]);
  let inventory: string | null = null;
  if (params.inventory !== undefined) {
    const file = resolveRepoFile(repoDir, params.inventory, 'inventory', { directory: true });
    if (!file.ok) return notStarted(file.reason, [PROGRAM]);
    inventory = file.path;
  }
  const local = isLocal(params, target);

  // ansible writes its temporary files under HOME unless told otherwise, and the engine's
  // HOME may not be writable; with the local connection the "remote" side is this machine too.
  const tmp = join(workDir, 'tmp');
  mkdirSync(tmp, { recursive: true });
  const env: Record<string, string> = {
    ANSIBLE_FORCE_COLOR: '0',
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_RETRY_FILES_ENABLED: '0',
    ANSIBLE_LOCAL_TEMP: tmp,
    ...(local ? { ANSIBLE_REMOTE_TEMP: tmp } : {}),
  };
  // Without an inventory the target is the inventory's one host: there is no group to reach.
  if (inventory !== null && typeof params.limit === 'string') {
    const refused = await refuseLimitOutsideInventory(context, { path: inventory, written: String(params.inventory), limit: params.limit, env });
    if (refused) return refused;
  }

  const varsFile = join(workDir, VARS_FILE);
  writeFileSync(varsFile, extraVarsYamlFor(context), { mode: 0o600 });
  const args = playbookArgs(params, target, context.dryRun, { playbook: playbook.path, inventory, varsFile });
  // The action's timeout bounds the whole run, the listing of the inventory included.
  const timeoutMs = Math.max(1, context.timeoutMs - Math.round(performance.now() - started));
  const result = await runCommand({
    file: PROGRAM, args, cwd: repoDir, env, timeoutMs,
    secrets: context.secrets, signal: context.signal, onSpawn: context.onSpawn,
  });
  return summarize(result, context.timeoutMs, NOT_FOUND);
}

function extraVarsYamlFor({ params, target, alert, run }: RunContext): string {
  const extraVars = typeof params.extraVars === 'object' && params.extraVars !== null ? params.extraVars : {};
  // Last, so that a policy's extraVars cannot pass off other values under these names.
  const source = alert ? { homeostat_alert: alertVars(alert) } : run ? { homeostat_run: { ...run } } : {};
  return extraVarsYaml({ ...extraVars, homeostat_target: target, ...source });
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
