/**
 * A run's targets: the hosts a schedule lists, or the hosts of its inventory group as
 * `ansible-inventory --list` reads the inventory at the run's revision (a static file, a
 * folder, or an executable script that Ansible runs with --list), listed through the same
 * cached lister the ansible action checks its limit with.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { listInventory } from '../actions/ansible/inventory.js';
import { resolveRepoFile } from '../actions/repo-file.js';
import type { CompiledSchedule } from '../policy/types.js';

/** How long listing an inventory may take. */
const LIST_TIMEOUT_MS = 60_000;

export interface TargetContext {
  /** The files of the revision the run is decided at. */
  repoDir: string;
  /** Where a listing gets its scratch directory. */
  workRoot: string;
  secrets: readonly string[];
  signal: AbortSignal;
}

export async function resolveTargets(schedule: CompiledSchedule, context: TargetContext): Promise<readonly string[] | { error: string }> {
  const targets = schedule.targets;
  if ('hosts' in targets) return targets.hosts;
  const file = resolveRepoFile(context.repoDir, targets.inventory, 'inventory', { directory: true });
  if (!file.ok) return { error: file.reason };
  const workDir = mkdtempSync(join(context.workRoot, `inventory-${schedule.name}-`));
  mkdirSync(join(workDir, 'tmp'));
  try {
    const listing = await listInventory(
      { repoDir: context.repoDir, workDir, timeoutMs: LIST_TIMEOUT_MS, secrets: context.secrets, signal: context.signal, onSpawn: () => undefined },
      { path: file.path, written: targets.inventory, env: { ANSIBLE_LOCAL_TEMP: join(workDir, 'tmp') } },
    );
    if (!listing.ok) return { error: listing.result.reason ?? `cannot list inventory ${targets.inventory}` };
    const hosts = listing.names.members.get(targets.group);
    if (hosts === undefined) return { error: `inventory ${targets.inventory} has no group '${targets.group}'` };
    if (hosts.length === 0) return { error: `group '${targets.group}' of inventory ${targets.inventory} has no hosts` };
    return hosts;
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}
