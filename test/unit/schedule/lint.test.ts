/** What lint says of Schedule documents: each problem's code and place, and what a valid one compiles to. */
import { describe, expect, it } from 'vitest';
import { loadRepository } from '../../../engine/load/repository.js';
import type { LoadResult, RepoFile } from '../../../engine/load/repository.js';

const FILES = new Set(['playbooks/check_dns.yml', 'inventory/hosts.ini']);

function load(files: RepoFile[]): LoadResult {
  return loadRepository({ files, exists: (p) => FILES.has(p), revision: 'rev-s' });
}

function problems(text: string, extra: RepoFile[] = []) {
  return load([{ path: 'rules/s.yaml', text }, ...extra]).diagnostics.map(({ code, line, col, pointer }) => ({ code, line, col, pointer }));
}

const VALID = `apiVersion: homeostat/v1
kind: Schedule
metadata: { name: check-dns-nightly, owner: team-net }
spec:
  cron: '0 3 * * *'
  timezone: Europe/Berlin
  targets: { group: dns_servers, inventory: inventory/hosts.ini }
  startingDeadline: 10m
  actions:
    - name: check
      ansible: { playbook: playbooks/check_dns.yml, limit: '{{ target }}', extraVars: { schedule: '{{ schedule.name }}', due: '{{ run.due }}' } }
  guards: { window: { days: [mon, tue, wed, thu, fri], between: '01:00-05:00', timezone: Europe/Berlin } }
`;

describe('Schedule lint', () => {
  it('a valid schedule lints clean and compiles with its inventory given to its ansible actions', () => {
    const result = load([{ path: 'rules/s.yaml', text: VALID }]);
    expect(result.diagnostics).toEqual([]);
    const [schedule] = result.policySet!.schedules;
    expect(schedule).toMatchObject({
      name: 'check-dns-nightly',
      cron: '0 3 * * *',
      timezone: 'Europe/Berlin',
      targets: { group: 'dns_servers', inventory: 'inventory/hosts.ini' },
      concurrencyPolicy: 'Forbid',
      startingDeadlineMs: 600_000,
      dryRun: false,
      guards: { cooldownMs: 0, window: { timezone: 'Europe/Berlin' } },
    });
    expect(schedule!.actions[0]!.raw).toMatchObject({ inventory: 'inventory/hosts.ini', playbook: 'playbooks/check_dns.yml' });
  });

  it('reports a bad cron, an unknown time zone, a template over the alert and a host pattern, each at its place', () => {
    const text = `apiVersion: homeostat/v1
kind: Schedule
metadata: { name: broken }
spec:
  cron: '61 * * * *'
  timezone: Mars/Olympus
  targets:
    hosts: [web-1, all]
  actions:
    - name: check
      script: { path: scripts/x.sh, args: ['{{ labels.instance }}'] }
`;
    expect(problems(text)).toEqual([
      { code: 'HST_CRON_INVALID', line: 5, col: 9, pointer: '/spec/cron' },
      { code: 'HST_TIMEZONE_UNKNOWN', line: 6, col: 13, pointer: '/spec/timezone' },
      { code: 'HST_SCHEDULE_TARGETS', line: 8, col: 20, pointer: '/spec/targets/hosts/1' },
      { code: 'HST_FILE_MISSING', line: 11, col: 23, pointer: '/spec/actions/0/script/path' },
      { code: 'HST_TEMPLATE_UNKNOWN_VARIABLE', line: 11, col: 44, pointer: '/spec/actions/0/script/args/0' },
    ]);
  });

  it('refuses a year field, one-off dates, both group and hosts, a group without an inventory, and a name used twice', () => {
    expect(problems(VALID.replace("'0 3 * * *'", "'0 0 3 * * * 2027'"))[0]).toMatchObject({ code: 'HST_CRON_INVALID', line: 5 });
    expect(problems(VALID.replace("'0 3 * * *'", "'2027-01-01T00:00:00'"))[0]).toMatchObject({ code: 'HST_CRON_INVALID', line: 5 });
    expect(problems(VALID.replace('{ group: dns_servers, inventory: inventory/hosts.ini }', '{ group: dns_servers, hosts: [a] }'))).toEqual([
      { code: 'HST_SCHEDULE_TARGETS', line: 7, col: 12, pointer: '/spec/targets' },
      { code: 'HST_SCHEDULE_NO_INVENTORY', line: 7, col: 12, pointer: '/spec/targets' },
    ]);
    expect(problems(VALID, [{ path: 'rules/t.yaml', text: VALID }])).toEqual([{ code: 'HST_SCHEDULE_DUPLICATE', line: 3, col: 19, pointer: '/metadata/name' }]);
  });

  it('takes Settings\' default inventory for a group, and macros and a seconds field as cron', () => {
    const settings = { path: 'homeostat.yaml', text: 'apiVersion: homeostat/v1\nkind: Settings\nspec: { defaults: { ansible: { inventory: inventory/hosts.ini }, guards: { cooldown: 5m } } }\n' };
    const text = VALID.replace(', inventory: inventory/hosts.ini', '').replace("'0 3 * * *'", "'@hourly'");
    const result = load([settings, { path: 'rules/s.yaml', text }, { path: 'rules/u.yaml', text: VALID.replace('check-dns-nightly', 'fast').replace("'0 3 * * *'", "'*/2 * * * * *'") }]);
    expect(result.diagnostics).toEqual([]);
    expect(result.policySet!.schedules.map((s) => [s.name, s.cron, s.guards.cooldownMs])).toEqual([['check-dns-nightly', '@hourly', 0], ['fast', '*/2 * * * * *', 0]]);
  });
});
