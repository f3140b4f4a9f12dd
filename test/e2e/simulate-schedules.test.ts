/**
 * `homeostat simulate --schedules`: the runs a range would hold, in the schedule's time zone
 * and the window's, with the guards' verdicts (window, cooldown), across a DST change; and the
 * bundled routine checks.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeRepo } from '../helpers/engine.js';
import { runCli, runJson } from './run-cli.js';

const root = mkdtempSync(join(tmpdir(), 'homeostat-simsched-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
writeRepo(root, {
  'homeostat.yaml': 'apiVersion: homeostat/v1\nkind: Settings\nspec: {}\n',
  'scripts/check.sh': '#!/bin/sh\nexit 0\n',
  'rules/tunnel.yaml': `apiVersion: homeostat/v1
kind: Schedule
metadata: { name: restart-tunnel }
spec:
  cron: '0 3 * * *'
  timezone: America/New_York
  targets: { hosts: [vpn-1] }
  actions: [{ name: restart, script: { path: scripts/check.sh } }]
  guards:
    cooldown: 36h
    window: { days: [mon, tue, wed, thu, fri], between: '08:00-12:00', timezone: Europe/Berlin }
`,
});

interface Run { schedule: string; due: string; local: string; timezone: string; windowLocal: { local: string; timezone: string } | null; target: string; verdict: string; refusedBy: string | null; reason: string | null }

describe('simulate --schedules', () => {
  it('lists each due time in both time zones with the verdict of the window and the cooldown, across the US DST change', () => {
    const s = runJson<{ runs: Run[]; schedules: number }>(['simulate', root, '--schedules', '--from', '2026-03-05T00:00:00Z', '--to', '2026-03-10T12:00:00Z', '--format', 'json']);
    expect(s.schedules).toBe(1);
    expect(s.runs.map((r) => [r.due, r.local, r.windowLocal?.local, r.verdict, r.refusedBy])).toEqual([
      ['2026-03-05T08:00:00.000Z', 'Thu 2026-03-05 03:00:00 -05:00', 'Thu 2026-03-05 09:00:00 +01:00', 'run', null],
      ['2026-03-06T08:00:00.000Z', 'Fri 2026-03-06 03:00:00 -05:00', 'Fri 2026-03-06 09:00:00 +01:00', 'refused', 'cooldown'],
      ['2026-03-07T08:00:00.000Z', 'Sat 2026-03-07 03:00:00 -05:00', 'Sat 2026-03-07 09:00:00 +01:00', 'refused', 'window'],
      ['2026-03-08T07:00:00.000Z', 'Sun 2026-03-08 03:00:00 -04:00', 'Sun 2026-03-08 08:00:00 +01:00', 'refused', 'window'],
      ['2026-03-09T07:00:00.000Z', 'Mon 2026-03-09 03:00:00 -04:00', 'Mon 2026-03-09 08:00:00 +01:00', 'run', null],
      ['2026-03-10T07:00:00.000Z', 'Tue 2026-03-10 03:00:00 -04:00', 'Tue 2026-03-10 08:00:00 +01:00', 'refused', 'cooldown'],
    ]);
    expect(s.runs[2]!.reason).toBe('outside the policy window (mon,tue,wed,thu,fri 08:00-12:00 Europe/Berlin); the window opens at 2026-03-09T07:00:00.000Z');
  });

  it('prints the bundled routine checks as text, and refuses a range that ends before it starts', () => {
    const text = runCli(['simulate', '.', '--schedules', '--from', '2026-12-07T00:00:00Z', '--to', '2026-12-08T00:00:00Z']);
    expect(text.status).toBe(0);
    expect(text.stdout).toContain('2 schedules, 2 runs from 2026-12-07T00:00:00.000Z to 2026-12-08T00:00:00.000Z: 2 run');
    expect(text.stdout).toContain('run      2026-12-07T02:30:00.000Z  Mon 2026-12-07 03:30:00 +01:00 (Europe/Berlin)  check-dns-nightly/check (ansible) target=group dns_servers');
    const backwards = runCli(['simulate', '.', '--schedules', '--from', '2026-12-08T00:00:00Z', '--to', '2026-12-07T00:00:00Z']);
    expect(backwards).toMatchObject({ status: 2, stderr: 'homeostat: --to 2026-12-07T00:00:00Z is before --from 2026-12-08T00:00:00Z\n' });
    expect(runCli(['simulate', '.'])).toMatchObject({ status: 2 });
  });
});
