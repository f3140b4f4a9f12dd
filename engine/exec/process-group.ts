/**
 * Process groups: every child runs as the leader of its own group, so that ending a run ends
 * everything it started (ansible's workers, a script's background jobs), not just the child.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** How long to wait for a group to vanish after SIGKILL, which cannot be caught. */
const AFTER_KILL_MS = 2000;
const POLL_FIRST_MS = 10;
const POLL_MAX_MS = 100;

interface ProcStat { state: string; pgrp: number; startTime: string }

// The command name (field 2) is in parentheses and may hold spaces and parentheses itself:
// the fields that follow are counted from its last ')'.
function readStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const [state, , pgrp] = fields;
  const startTime = fields[19];
  if (state === undefined || pgrp === undefined || startTime === undefined) return null;
  return { state, pgrp: Number(pgrp), startTime };
}

/** Field 22 of /proc/PID/stat (start time in clock ticks since boot); null when gone or not on Linux. */
export function processStartTime(pid: number): string | null {
  return readStat(pid)?.startTime ?? null;
}

function isZombie(stat: ProcStat): boolean {
  return stat.state === 'Z' || stat.state === 'X';
}

/**
 * Whether the group has a member that still runs. On Linux a member that has exited but is
 * not yet reaped (a zombie, once its parent is init) does not count: it holds nothing and
 * cannot be signalled any further.
 */
export function processGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (process.platform !== 'linux') return true;
  const leader = readStat(pgid);
  if (leader && leader.pgrp === pgid && !isZombie(leader)) return true;
  return groupHasLiveMember(pgid);
}

function groupHasLiveMember(pgid: number): boolean {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return true; // cannot tell: assume the worst
  }
  for (const entry of entries) {
    if (!/^[0-9]+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat && stat.pgrp === pgid && !isZombie(stat)) return true;
  }
  return false;
}

export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone, or never ours
  }
}

async function waitForGroupGone(pgid: number, deadlineMs: number): Promise<boolean> {
  const deadline = performance.now() + deadlineMs;
  let pause = POLL_FIRST_MS;
  while (processGroupAlive(pgid)) {
    if (performance.now() >= deadline) return false;
    await sleep(pause);
    pause = Math.min(pause * 2, POLL_MAX_MS);
  }
  return true;
}

/** SIGTERM to the whole group, SIGKILL to whatever is left after the grace period. */
export async function terminateGroup(pgid: number, graceMs: number): Promise<void> {
  signalGroup(pgid, 'SIGTERM');
  // A stopped process would only see SIGTERM once continued (systemd does the same).
  signalGroup(pgid, 'SIGCONT');
  if (await waitForGroupGone(pgid, graceMs)) return;
  signalGroup(pgid, 'SIGKILL');
  await waitForGroupGone(pgid, AFTER_KILL_MS);
}

function assertGroupId(pgid: number): void {
  // kill(-0) and kill(-1) would reach our own group or every process we may signal.
  if (!Number.isInteger(pgid) || pgid <= 1 || pgid === process.pid) {
    throw new RangeError(`not a process group id that may be ended: ${pgid}`);
  }
}

/**
 * End a group left behind (by a crashed engine, say): true if it was there and is now ended.
 * When the leader still runs, its start time must be the one recorded, so that a pid reused
 * by an unrelated process is never signalled. When the leader is gone the group id is trusted:
 * Linux does not hand out a pid that is still some group's id. With no recorded start time (or
 * without /proc) there is nothing to compare and the group is ended as asked.
 */
export async function endProcessGroup(pgid: number, leaderStartTime: string | null, graceMs = 5000): Promise<boolean> {
  assertGroupId(pgid);
  if (!processGroupAlive(pgid)) return false;
  if (leaderStartTime !== null) {
    const leader = readStat(pgid);
    if (leader && leader.startTime !== leaderStartTime) return false;
  }
  await terminateGroup(pgid, graceMs);
  return true;
}
