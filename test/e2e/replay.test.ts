/**
 * `homeostat replay` against Debian's Prometheus holding a week of ALERTS history (backfilled
 * with promtool), and against a real Alertmanager's /api/v2/alerts: the timeline holds the
 * firing and resolved payloads Alertmanager would have sent, and diff reads it.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { gitSandbox } from '../helpers/git.js';
import { openMetricsSample, startAlertmanager, startPrometheus } from '../helpers/prometheus-history.js';
import type { Running } from '../helpers/prometheus-history.js';
import { createDiffRepo } from '../helpers/diff-repo.js';
import { runCli } from './run-cli.js';

const sandbox = gitSandbox('homeostat-replay-');

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** A week ending an hour ago, on the hour: older than anything Prometheus' head would hold. */
const FROM = Math.floor(Date.now() / HOUR) * HOUR - 7 * DAY - HOUR;
const TO = FROM + 7 * DAY;
const iso = (ms: number) => new Date(ms).toISOString();

const HOSTILE_UNIT = 'nginx "quoted"\nsecond line';

/** Series firing from `start` to `end` (ms, inclusive), a sample every 30 s. */
function episode(labels: Record<string, string>, start: number, end: number, state = 'firing'): string[] {
  const lines: string[] = [];
  for (let t = start; t <= end; t += 30_000) lines.push(openMetricsSample({ ...labels, alertstate: state }, t / 1000));
  return lines;
}

const web4 = { alertname: 'NodeDown', instance: 'web-4:9100' };
const web5 = { alertname: 'NodeDown', instance: 'web-5:9100' };
const unit = { alertname: 'ServiceDown', instance: 'web-1:9100', name: HOSTILE_UNIT };
const disk = { alertname: 'HostDiskSpaceLow', instance: 'db-1:9100', mountpoint: '/var' };
const cpu = { alertname: 'HighCPUUsage', instance: 'web-2:9100', severity: 'warning' };

const at = (day: number, hh: number, mm: number) => FROM + day * DAY + hh * HOUR + mm * MINUTE;

/** Sorted by time, as promtool wants each series. */
const SAMPLES = [
  ...episode(web4, at(1, 10, 0), at(1, 10, 20)),
  ...episode(web5, at(1, 10, 0), at(1, 10, 20)),
  ...episode(unit, at(2, 12, 0), at(2, 12, 30)),
  // across the 6h chunk boundary at day 3 06:00
  ...episode(disk, at(3, 5, 50), at(3, 6, 10)),
  ...episode(web4, at(4, 3, 0), at(4, 3, 5)),
  // pending only: never sent
  ...episode({ alertname: 'NodeDown', instance: 'web-9:9100' }, at(5, 1, 0), at(5, 1, 10), 'pending'),
  // still firing when the range ends
  ...episode(cpu, TO - 30 * MINUTE, TO),
];

interface Line {
  at: string;
  payload: { status: string; groupLabels: Record<string, string>; alerts: { status: string; labels: Record<string, string>; startsAt: string; endsAt: string }[] };
}

/** Each payload as one line: time, status, then its alerts' instance and status. */
function brief(text: string): string[] {
  return text.trimEnd().split('\n').map((l) => {
    const { at: sent, payload } = JSON.parse(l) as Line;
    return `${sent} ${payload.status} ${payload.alerts.map((a) => `${a.labels.alertname}/${a.labels.instance}:${a.status}`).join(' ')}`;
  });
}

const EXPECTED = [
  `${iso(at(1, 10, 0))} firing NodeDown/web-4:9100:firing NodeDown/web-5:9100:firing`,
  `${iso(at(1, 10, 21))} resolved NodeDown/web-4:9100:resolved NodeDown/web-5:9100:resolved`,
  `${iso(at(2, 12, 0))} firing ServiceDown/web-1:9100:firing`,
  `${iso(at(2, 12, 31))} resolved ServiceDown/web-1:9100:resolved`,
  `${iso(at(3, 5, 50))} firing HostDiskSpaceLow/db-1:9100:firing`,
  `${iso(at(3, 6, 11))} resolved HostDiskSpaceLow/db-1:9100:resolved`,
  `${iso(at(4, 3, 0))} firing NodeDown/web-4:9100:firing`,
  `${iso(at(4, 3, 6))} resolved NodeDown/web-4:9100:resolved`,
  `${iso(TO - 30 * MINUTE)} firing HighCPUUsage/web-2:9100:firing`,
];

describe('homeostat replay', () => {
  let prometheus: Running;
  const replay = (out: string, ...args: string[]) => runCli(['replay', '--prometheus', prometheus.url, '--from', iso(FROM), '--to', iso(TO), '--out', out, ...args]);

  beforeAll(async () => {
    prometheus = await startPrometheus(sandbox.path('prometheus'), SAMPLES);
  });

  it('a week of ALERTS: firing at the first sample, resolved a step after the last, one payload per alertname and time', () => {
    const out = `${sandbox.path('week')}.jsonl`;
    const r = replay(out);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(r.stdout).toBe(`${out}: 9 payloads, 6 alerts firing and 5 resolved; 1 alert still firing at the end\n`);
    const text = readFileSync(out, 'utf8');
    expect(brief(text)).toEqual(EXPECTED);
    const lines = text.trimEnd().split('\n').map((l) => JSON.parse(l) as Line);
    expect(lines[1]!.payload).toMatchObject({ groupLabels: { alertname: 'NodeDown' }, receiver: 'replay', version: '4' });
    expect(lines[1]!.payload.alerts[0]).toMatchObject({ startsAt: iso(at(1, 10, 0)), endsAt: iso(at(1, 10, 21)), labels: web4 });
    expect(lines[2]!.payload.alerts[0]!.labels.name).toBe(HOSTILE_UNIT);
    expect(lines[8]!.payload.alerts[0]!.endsAt).toBe('0001-01-01T00:00:00Z');
    // Nothing is left next to the timeline.
    expect(readdirSync(dirname(out)).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('the timeline does not depend on the chunk size', () => {
    const small = `${sandbox.path('chunks')}.jsonl`;
    expect(replay(small, '--chunk', '50m').status).toBe(0);
    const large = `${sandbox.path('chunks')}.jsonl`;
    expect(replay(large, '--chunk', '7d').status).toBe(0);
    expect(readFileSync(small, 'utf8')).toBe(readFileSync(large, 'utf8'));
    expect(brief(readFileSync(small, 'utf8'))).toEqual(EXPECTED);
  });

  it('--match narrows the alerts; --group-by splits the groups', () => {
    const out = `${sandbox.path('match')}.jsonl`;
    expect(replay(out, '--match', '{alertname="NodeDown", instance=~"web-4.*"}').status).toBe(0);
    expect(brief(readFileSync(out, 'utf8'))).toEqual([EXPECTED[0]!.replace(' NodeDown/web-5:9100:firing', ''), EXPECTED[1]!.replace(' NodeDown/web-5:9100:resolved', ''), EXPECTED[6], EXPECTED[7]]);
    const grouped = `${sandbox.path('group')}.jsonl`;
    expect(replay(grouped, '--match', 'alertname="NodeDown"', '--group-by', 'alertname,instance').status).toBe(0);
    expect(brief(readFileSync(grouped, 'utf8')).slice(0, 2)).toEqual([`${iso(at(1, 10, 0))} firing NodeDown/web-4:9100:firing`, `${iso(at(1, 10, 0))} firing NodeDown/web-5:9100:firing`]);
  });

  it('a selector that is not PromQL, or tries to add to the query, is refused in one line, and no file is written', () => {
    for (const match of ['alertname=NodeDown', '{alertname="a"} or vector(1)', '{alertstate="pending"}', '{name=~"(a"}', '{a="b"}}']) {
      const out = `${sandbox.path('bad')}.jsonl`;
      const r = replay(out, '--match', match);
      expect({ match, status: r.status, stdout: r.stdout }).toEqual({ match, status: 2, stdout: '' });
      expect(r.stderr).toMatch(/^homeostat: --match .*: not a PromQL selector: /);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(existsSync(out)).toBe(false);
    }
  });

  it('diff reads the replayed week: the head that adds reboot-node acts on each NodeDown firing', () => {
    const week = `${sandbox.path('diff-week')}.jsonl`;
    expect(replay(week).status).toBe(0);
    const repo = createDiffRepo(sandbox.path('repo'), `${sandbox.path('unused')}.jsonl`);
    const r = runCli(['diff', '.', '--base', 'base', '--head', 'HEAD', '--alerts', week, '--format', 'json'], { cwd: repo.tree.dir });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    const report = JSON.parse(r.stdout) as { alerts: number; changes: { kind: string; policy: string; alert: { status: string }; fields?: string[] }[] };
    expect(report.alerts).toBe(11);
    expect(report.changes.map((c) => `${c.kind} ${c.policy} ${c.alert.status} ${(c.fields ?? []).join(',')}`)).toEqual([
      'match-added reboot-node firing ',
      'action-added reboot-node firing ',
      'match-added reboot-node firing ',
      'action-added reboot-node firing ',
      'action-changed restart-service firing params/extraVars/service',
      'match-added reboot-node firing ',
      'action-added reboot-node firing ',
      // severity=warning: the narrowed stop-cpu-hog no longer matches it
      'match-removed stop-cpu-hog firing ',
      'action-removed stop-cpu-hog firing ',
    ]);
  });

  it('reads a real Alertmanager /api/v2/alerts answer', async () => {
    const am = await startAlertmanager(sandbox.path('alertmanager'));
    const now = Date.now();
    const alerts = [
      { labels: web4, startsAt: iso(now - 10 * MINUTE), endsAt: iso(now + HOUR) },
      { labels: unit, startsAt: iso(now - 20 * MINUTE), endsAt: iso(now + HOUR) },
      // resolved before the dump: Alertmanager's answer leaves it out
      { labels: disk, startsAt: iso(now - 30 * MINUTE), endsAt: iso(now - 5 * MINUTE) },
    ];
    const post = await fetch(`${am.url}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(alerts) });
    expect(post.status).toBe(200);
    const dump = await (await fetch(`${am.url}/api/v2/alerts`)).text();
    expect((JSON.parse(dump) as unknown[]).length).toBe(2);
    const file = `${sandbox.path('dump')}.json`;
    writeFileSync(file, dump);
    const out = `${sandbox.path('from-dump')}.jsonl`;
    const r = runCli(['replay', '--alertmanager-dump', file, '--out', out]);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(brief(readFileSync(out, 'utf8'))).toEqual([
      `${iso(now - 20 * MINUTE)} firing ServiceDown/web-1:9100:firing`,
      `${iso(now - 10 * MINUTE)} firing NodeDown/web-4:9100:firing`,
    ]);
    const s = runCli(['simulate', '.', '--format', 'json', '--alerts', out]);
    expect(s.status).toBe(0);
    expect(JSON.parse(s.stdout).alerts).toBe(2);
  });
});
