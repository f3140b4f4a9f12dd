/**
 * `lint --inventory-check`: every inventory the repository names (an ansible action's, the
 * Settings default, a schedule's) is listed as Ansible reads it: `ansible-inventory --list`,
 * which runs an executable inventory with --list and refuses output that is not inventory
 * JSON. A schedule's group must be in its inventory and have hosts. Opt-in, since it runs the
 * repository's inventory scripts: lint alone reads files only.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listInventory } from '../actions/ansible/inventory.js';
import type { Listing } from '../actions/ansible/inventory.js';
import { resolveRepoFile } from '../actions/repo-file.js';
import type { Diagnostic, Severity } from '../diagnostics/diagnostic.js';
import { pointerOf } from '../diagnostics/diagnostic.js';
import { forEachAction } from '../policy/checks.js';
import type { LoadedDoc, LoadResult } from './repository.js';

const LIST_TIMEOUT_MS = 60_000;

interface InventoryUse {
  doc: LoadedDoc<unknown>;
  pointer: string;
  path: string;
  /** A schedule's group, which must be in the inventory. */
  group?: { name: string; doc: LoadedDoc<unknown> };
}

function usesOf(result: LoadResult): InventoryUse[] {
  const uses: InventoryUse[] = [];
  const actions = (doc: LoadedDoc<unknown>, spec: unknown) =>
    forEachAction(spec, (action, path) => {
      const inventory = (action.ansible as { inventory?: unknown } | undefined)?.inventory;
      if (typeof inventory === 'string') uses.push({ doc, pointer: pointerOf([...path, 'ansible', 'inventory']), path: inventory });
    });
  for (const doc of result.policies) actions(doc, doc.value.spec);
  const settings = result.settings;
  const fallback = settings?.value.spec?.defaults?.ansible?.inventory;
  if (settings && fallback) uses.push({ doc: settings, pointer: '/spec/defaults/ansible/inventory', path: fallback });
  for (const doc of result.schedules) {
    actions(doc, doc.value.spec);
    const targets = doc.value.spec.targets;
    const path = targets.inventory ?? fallback;
    if (path && targets.group !== undefined) {
      const own = targets.inventory !== undefined;
      uses.push({ doc: own ? doc : settings!, pointer: own ? '/spec/targets/inventory' : '/spec/defaults/ansible/inventory', path, group: { name: targets.group, doc } });
    }
  }
  return uses;
}

/** The problems of each inventory the repository at `root` names, listed once each. */
export async function inventoryProblems(result: LoadResult, root: string): Promise<Diagnostic[]> {
  const work = mkdtempSync(join(tmpdir(), 'homeostat-inventory-'));
  const listings = new Map<string, Promise<Listing | { error: string }>>();
  try {
    const found: Diagnostic[] = [];
    for (const use of usesOf(result)) {
      let listing = listings.get(use.path);
      if (!listing) listings.set(use.path, (listing = list(root, use.path, work)));
      const listed = await listing;
      const at = (doc: LoadedDoc<unknown>, pointer: string, message: string, hint: string, severity: Severity = 'error'): Diagnostic => {
        const { line, col } = doc.placeOf(pointer) ?? { line: doc.line, col: 1 };
        return { file: doc.file, line, col, pointer, code: 'HST_INVENTORY_INVALID', severity, message, hint };
      };
      if ('error' in listed) {
        found.push(at(use.doc, use.pointer, listed.error, 'run `ansible-inventory -i PATH --list` to see what Ansible makes of it; an executable inventory must print inventory JSON for --list'));
        continue;
      }
      if (!listed.ok) {
        found.push(at(use.doc, use.pointer, listed.result.reason ?? `inventory ${use.path} could not be listed`, 'an executable inventory must exit 0 and print a JSON object of groups for --list, as Ansible runs it; run `ansible-inventory -i PATH --list`'));
        continue;
      }
      if (use.group) {
        const { doc: schedule, name } = use.group;
        const pointer = '/spec/targets/group';
        const hosts = listed.names.members.get(name);
        if (hosts === undefined) found.push(at(schedule, pointer, `inventory ${use.path} has no group '${name}'`, `its groups: ${[...listed.names.members.keys()].filter((g) => g !== 'all' && g !== 'ungrouped').join(', ') || 'none'}`));
        else if (hosts.length === 0) found.push(at(schedule, pointer, `group '${name}' of inventory ${use.path} has no hosts: the schedule would run on nothing`, 'add hosts to the group, or target another', 'warning'));
      }
    }
    return found;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function list(root: string, path: string, work: string): Promise<Listing | { error: string }> {
  const file = resolveRepoFile(root, path, 'inventory', { directory: true });
  if (!file.ok) return { error: file.reason };
  const workDir = mkdtempSync(join(work, 'list-'));
  mkdirSync(join(workDir, 'tmp'));
  return listInventory(
    { repoDir: root, workDir, timeoutMs: LIST_TIMEOUT_MS, secrets: [], signal: new AbortController().signal, onSpawn: () => undefined },
    { path: file.path, written: path, env: { ANSIBLE_LOCAL_TEMP: join(workDir, 'tmp') } },
  );
}
