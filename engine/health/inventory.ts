/**
 * Node health from an inventory of the repository: its hosts (or a group's), as
 * ansible-inventory lists them (a static file, a folder, or an executable script run with
 * --list), through the lister the ansible action and the schedules use (listed once per
 * revision and stamp of its files). The inventory says nothing of health: every host counts
 * healthy, and minHealthy takes the targets under action away from them.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { listInventory } from '../actions/ansible/inventory.js';
import { resolveRepoFile } from '../actions/repo-file.js';
import type { HealthNode, NodeHealth } from '../plan/node-guards.js';
import { byAlias } from '../plan/node-guards.js';

export interface InventoryContext {
  /** The files of the active revision. */
  repoDir: string;
  /** Where a listing gets its scratch directory. */
  workRoot: string;
  secrets: readonly string[];
  timeoutMs: number;
}

export async function healthFromInventory(path: string, group: string | null, context: InventoryContext): Promise<NodeHealth> {
  const file = resolveRepoFile(context.repoDir, path, 'inventory', { directory: true });
  if (!file.ok) throw new Error(file.reason);
  const workDir = mkdtempSync(join(context.workRoot, 'inventory-health-'));
  mkdirSync(join(workDir, 'tmp'));
  try {
    const listing = await listInventory(
      { repoDir: context.repoDir, workDir, timeoutMs: context.timeoutMs, secrets: context.secrets, signal: new AbortController().signal, onSpawn: () => undefined },
      { path: file.path, written: path, env: { ANSIBLE_LOCAL_TEMP: join(workDir, 'tmp') } },
    );
    if (!listing.ok) throw new Error(listing.result.reason ?? `cannot list inventory ${path}`);
    const hosts = group === null ? [...listing.names.hosts] : listing.names.members.get(group);
    if (hosts === undefined) throw new Error(`inventory ${path} has no group '${group}'`);
    const nodes: HealthNode[] = hosts.map((name) => ({ name, healthy: true, aliases: [name] }));
    return { source: `inventory ${path}${group === null ? '' : ` group ${group}`}`, nodes, byAlias: byAlias(nodes) };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}
