/**
 * A `limit` names one host. With an inventory, a name may also be a group, and
 * ansible-playbook would then run on every host of it as one action (instance="lab:9100"
 * giving --limit=lab): the name is checked against the hosts and groups that
 * ansible-inventory reads from the inventory (files, folders and executable scripts alike)
 * before anything runs, in a dry run too.
 *
 * An inventory is listed once per revision and kept: the key is the resolved path (inside the
 * revision's folder) and a stamp of its files, so that an inventory edited in place, as in a
 * policy folder that is not a git repository, is listed afresh.
 */
import { createHash, type Hash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand } from '../../exec/exec.js';
import { count } from '../../util/count.js';
import { notStarted, summarize } from '../outcome.js';
import type { RunContext, RunResult } from '../types.js';
import { PROGRAM } from './command.js';

const LISTER = 'ansible-inventory';
const NOT_FOUND = 'ansible-inventory not found: install the Debian package ansible-core';
/** Listings kept: a few revisions of a few inventories. */
const KEPT = 64;
/** Folders deeper than this inside an inventory folder are not stamped (a symlink loop ends here). */
const STAMP_DEPTH = 8;

export interface InventoryNames {
  hosts: ReadonlySet<string>;
  /** Each group and how many hosts it reaches, through its children too. */
  groups: ReadonlyMap<string, number>;
  /** Each group's hosts, through its children too, in the order the listing gives them. */
  members: ReadonlyMap<string, readonly string[]>;
}

/** What listing an inventory needs of a run: where, for how long, what to mask, when to stop. */
export type ListContext = Pick<RunContext, 'repoDir' | 'workDir' | 'timeoutMs' | 'secrets' | 'signal' | 'onSpawn'>;

export type Listing = { ok: true; names: InventoryNames } | { ok: false; result: RunResult };

const listings = new Map<string, Promise<Listing>>();

export interface LimitCheck {
  /** The resolved inventory path, and as the policy wrote it (for reasons). */
  path: string;
  written: string;
  limit: string;
  env: Record<string, string>;
}

/** A result that stops the run when the limit is not exactly one host of the inventory; null when it is. */
export async function refuseLimitOutsideInventory(context: RunContext, check: LimitCheck): Promise<RunResult | null> {
  const listing = await listInventory(context, check);
  if (!listing.ok) return listing.result;
  const reason = refuseLimit(check.limit, listing.names, check.written);
  return reason === null ? null : notStarted(`refused: ${reason}`, [PROGRAM]);
}

/** Why `limit` is not one host of the inventory, or null. A group wins over a host of the same name, as in Ansible. */
function refuseLimit(limit: string, names: InventoryNames, inventory: string): string | null {
  const size = names.groups.get(limit);
  if (size !== undefined) return `limit '${limit}' is a group of ${count(size, 'host')} in inventory ${inventory}, not one host`;
  return names.hosts.has(limit) ? null : `limit '${limit}' is not a host of inventory ${inventory}`;
}

/**
 * The names of an inventory as `ansible-inventory --list` reads it (an executable inventory is
 * run with --list, as Ansible runs it), listed once per revision and stamp of its files.
 */
export function listInventory(context: ListContext, check: Pick<LimitCheck, 'path' | 'written' | 'env'>): Promise<Listing> {
  const key = `${check.path}\0${stamp(check.path)}`;
  let listing = listings.get(key);
  if (listing === undefined) {
    listing = runLister(context, check);
    listings.set(key, listing);
    // A listing that failed (a timeout, a script that broke once) is asked again next time.
    // It rejects only when its process group could not be journaled: each run waiting on it
    // rejects too, as run() does then.
    const forget = () => listings.delete(key);
    void listing.then((l) => l.ok || forget(), forget);
    for (const old of listings.keys()) {
      if (listings.size <= KEPT) break;
      listings.delete(old);
    }
  }
  return listing;
}

async function runLister(context: ListContext, check: Pick<LimitCheck, 'path' | 'written' | 'env'>): Promise<Listing> {
  // Written to a file: stdout and stderr (warnings) come back mixed.
  const output = join(context.workDir, 'inventory.json');
  const result = await runCommand({
    file: LISTER,
    args: [`--inventory=${check.path}`, '--list', `--output=${output}`],
    cwd: context.repoDir,
    // An inventory that cannot be read at all is a failure, not an empty inventory.
    env: { ...check.env, ANSIBLE_INVENTORY_UNPARSED_FAILED: '1' },
    timeoutMs: context.timeoutMs,
    secrets: context.secrets,
    signal: context.signal,
    onSpawn: context.onSpawn,
  });
  const summary = summarize(result, context.timeoutMs, NOT_FOUND);
  const cannot = `cannot list the hosts of inventory ${check.written}`;
  if (summary.outcome !== 'succeeded') return { ok: false, result: { ...summary, reason: `${cannot}: ${summary.reason}` } };
  try {
    // Host variables may hold secrets: only the names are kept.
    const names = namesOf(JSON.parse(readFileSync(output, 'utf8')));
    return { ok: true, names };
  } catch (error) {
    return { ok: false, result: { ...summary, outcome: 'failed', reason: `${cannot}: ${LISTER} gave no inventory (${(error as Error).message})` } };
  } finally {
    rmSync(output, { force: true });
  }
}

interface ListedGroup {
  hosts?: unknown;
  children?: unknown;
}

/** The names in `ansible-inventory --list` output: every key but _meta is a group, and so is every child named. */
function namesOf(listed: unknown): InventoryNames {
  if (typeof listed !== 'object' || listed === null || Array.isArray(listed)) throw new Error('the listing is not a JSON object');
  const doc = new Map(Object.entries(listed as Record<string, ListedGroup>).filter(([name]) => name !== '_meta'));
  const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);
  const groupNames = new Set([...doc.keys(), ...[...doc.values()].flatMap((g) => strings(g?.children))]);
  const reach = (group: string, seen: Set<string>, hosts: Set<string>): Set<string> => {
    // Set order is insertion order: a group's own hosts first, then its children's.
    if (seen.has(group)) return hosts;
    seen.add(group);
    for (const host of strings(doc.get(group)?.hosts)) hosts.add(host);
    for (const child of strings(doc.get(group)?.children)) reach(child, seen, hosts);
    return hosts;
  };
  const hostvars = (listed as { _meta?: { hostvars?: unknown } })._meta?.hostvars;
  const hosts = new Set([
    ...[...doc.values()].flatMap((g) => strings(g?.hosts)),
    ...(typeof hostvars === 'object' && hostvars !== null ? Object.keys(hostvars) : []),
  ]);
  const members = new Map([...groupNames].map((g) => [g, [...reach(g, new Set(), new Set())]]));
  return { hosts, groups: new Map([...members].map(([g, list]) => [g, list.length])), members };
}

/** Identity, size and times of the inventory's files: changes when a file of it does. */
function stamp(path: string): string {
  const hash = createHash('sha256');
  stampInto(hash, path, '', 0);
  return hash.digest('hex');
}

function stampInto(hash: Hash, path: string, name: string, depth: number): void {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    hash.update(`${name}\0missing\n`);
    return;
  }
  hash.update(`${name}\0${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}\n`);
  if (!stat.isDirectory() || depth >= STAMP_DEPTH) return;
  let entries: string[] = [];
  try {
    entries = readdirSync(path).sort();
  } catch {
    // unreadable: its own stamp above stands for it
  }
  for (const entry of entries) stampInto(hash, join(path, entry), `${name}/${entry}`, depth + 1);
}
