/**
 * `homeostat simulate` on a timeline (issue 12, item 8): real Alertmanager payloads, each
 * re-fired at a time of its own (only the alerts' startsAt changed, as when an alert resolves
 * and fires again), decided by the built CLI at those times, and posted to the engine (in this
 * process, its clock set to each payload's time, its actions run): every decision the engine
 * audits is the one simulate printed — verdict, refusing guard and reason. A guard added to the
 * engine shows here as soon as a case's policy uses it; one that simulate did not go through
 * would fail the comparison.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../engine/audit/entry.js';
import { closeTestEngine, startTestEngine, waitFor, writeRepo } from '../helpers/engine.js';
import type { TestEngine } from '../helpers/engine.js';
import { fixtureBody } from '../helpers/alerts.js';
import { AM, runCli, runJson } from './run-cli.js';
import type { Simulation, SimulatedDecision } from './run-cli.js';

const root = mkdtempSync(join(tmpdir(), 'homeostat-simulate-timeline-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let t: TestEngine | undefined;
afterEach(async () => (t = await closeTestEngine(t)));

const SCRIPT = `#!/bin/sh
# Appends the target it was asked to restart to $OUT: proof of what the engine ran, in order.
printf '%s\\n' "$1" >> "$OUT"
`;

/** Restarts whatever fires, by alertname; at most two an hour, not twice within 15 minutes on one target. */
function restartRepo(out: string): Record<string, string> {
  return {
    'scripts/restart.sh': SCRIPT,
    'rules/restart.yaml': `apiVersion: homeostat/v1
kind: Policy
metadata: { name: restart-on-alert }
spec:
  match: { alertname: [ServiceDown, HighCPUUsage, PodNotReady] }
  target: '{{ labels.alertname }}'
  actions:
    - name: restart
      script: { path: scripts/restart.sh, args: ['{{ target }}'], env: { OUT: '${out}' } }
  guards: { cooldown: 15m, rateLimit: { max: 2, per: 1h } }
`,
  };
}

interface Step {
  /** A payload of test/fixtures/alertmanager/. */
  fixture: string;
  /** The time its alerts (re-)started: the payload's own time. */
  at: string;
}

/** The fixture as Alertmanager would send it had its alerts started at `at`. */
function refired(step: Step): Record<string, unknown> {
  const body = fixtureBody(step.fixture) as { alerts: Record<string, unknown>[] };
  return { ...body, alerts: body.alerts.map((a) => ({ ...a, startsAt: step.at })) };
}

/** What both sides say of a decision. */
interface Seen {
  at: string;
  fingerprint: string;
  startsAt: string;
  policy: string;
  action: string;
  target: string | null;
  verdict: string;
  refusedBy: string | null;
  reason: string | null;
}

const order = (a: Seen, b: Seen) => (a.at + a.fingerprint + a.policy + a.action < b.at + b.fingerprint + b.policy + b.action ? -1 : 1);

function simulated(d: SimulatedDecision & { at: string }): Seen {
  return { at: d.at, fingerprint: d.alert.fingerprint, startsAt: d.alert.startsAt, policy: d.policy, action: d.action, target: d.target, verdict: d.verdict, refusedBy: d.refusedBy, reason: d.reason };
}

/** The decisions of the engine's audit entries; a 'refusals' entry lists many. Re-sends (duplicates) are not audited. */
function audited(entries: readonly AuditEntry[]): Seen[] {
  return entries.flatMap((e): Seen[] => {
    if (e.kind === 'refusals') {
      return (e.refusals ?? []).map((r) => ({ at: e.at, fingerprint: r.alert.fingerprint, startsAt: r.alert.startsAt, policy: r.policy, action: r.action, target: r.target, verdict: 'refused', refusedBy: e.guard ?? null, reason: r.reason }));
    }
    if (e.kind !== 'action' || e.parent !== undefined) return [];
    return [{ at: e.at, fingerprint: e.alert!.fingerprint, startsAt: e.alert!.startsAt, policy: e.policy!, action: e.action!, target: e.target ?? null, verdict: e.verdict!, refusedBy: e.guards?.refusedBy ?? null, reason: e.reason ?? null }];
  });
}

/**
 * The same steps through `homeostat simulate` (payload files, their own times) and through the
 * engine (each posted with its clock at the step's time); `out` is where the engine's script
 * writes what it restarted.
 */
async function decideBoth(name: string, files: Record<string, string>, steps: readonly Step[]): Promise<{ simulation: Simulation & { decisions: (SimulatedDecision & { at: string })[] }; engine: Seen[]; args: string[] }> {
  const dir = join(root, name);
  writeRepo(join(dir, 'repo'), files);
  const paths = steps.map((step, i) => {
    const path = join(dir, `${i + 1}-${step.fixture}`);
    writeFileSync(path, JSON.stringify(refired(step)));
    return path;
  });
  const args = ['simulate', join(dir, 'repo'), '--alerts', ...paths];
  const simulation = runJson<Simulation & { decisions: (SimulatedDecision & { at: string })[] }>([...args, '--format', 'json']);

  let now = Date.parse(steps[0]!.at);
  t = await startTestEngine({ files, clock: () => now });
  for (const step of steps) {
    now = Date.parse(step.at);
    const response = await t.post(refired(step));
    expect(response.statusCode).toBe(202);
  }
  const runs = simulation.decisions.filter((d) => d.verdict === 'run').length;
  await waitFor(() => t!.engine.recent.list({ outcome: 'succeeded', limit: 1_000 }).length === runs, `the engine's ${runs} actions`);
  return { simulation, engine: audited(t.engine.recent.list({ limit: 1_000 })).sort(order), args };
}

describe('simulate over a sequence of payloads, each at its own time', () => {
  const out = join(root, 'restarted.txt');
  const steps: Step[] = [
    { fixture: 'service-down-nginx.json', at: '2026-11-21T09:00:00Z' },
    { fixture: 'service-down-nginx.json', at: '2026-11-21T09:05:00Z' }, // the same target 5m later
    { fixture: 'high-cpu-usage.json', at: '2026-11-21T09:10:00Z' },
    { fixture: 'service-down-nginx.json', at: '2026-11-21T09:20:00Z' }, // cooldown over, the third in an hour
    { fixture: 'pod-not-ready.json', at: '2026-11-21T10:05:00Z' }, // 09:00 has left the hour
    { fixture: 'high-cpu-usage.json', at: '2026-11-21T10:06:00Z' }, // 09:10 and 10:05 within the hour
    { fixture: 'service-down-nginx.json', at: '2026-11-21T10:30:00Z' },
  ];

  it('shows the cooldown and the rate limit, and the engine decides every payload the same', async () => {
    const { simulation, engine, args } = await decideBoth('restart', restartRepo(out), steps);
    const mine = simulation.decisions.map(simulated);
    expect(mine.map((d) => [d.at, d.target, d.verdict, d.refusedBy])).toEqual([
      ['2026-11-21T09:00:00.000Z', 'ServiceDown', 'run', null],
      ['2026-11-21T09:05:00.000Z', 'ServiceDown', 'refused', 'cooldown'],
      ['2026-11-21T09:10:00.000Z', 'HighCPUUsage', 'run', null],
      ['2026-11-21T09:20:00.000Z', 'ServiceDown', 'refused', 'rate-limit'],
      ['2026-11-21T10:05:00.000Z', 'PodNotReady', 'run', null],
      ['2026-11-21T10:06:00.000Z', 'HighCPUUsage', 'refused', 'rate-limit'],
      ['2026-11-21T10:30:00.000Z', 'ServiceDown', 'run', null],
    ]);
    expect(mine[1]!.reason).toBe('cooldown: restart-on-alert decided an action for ServiceDown 5m ago (cooldown 15m, until 2026-11-21T09:15:00.000Z)');
    expect(mine[3]!.reason).toBe('rate limit: restart-on-alert already decided 2 actions in 1h, until 2026-11-21T10:00:00.001Z');

    // The engine, its clock at each payload's time: the same decisions, word for word.
    expect(engine).toEqual([...mine].sort(order));
    // And what it decided to run, it ran, in order.
    expect(readFileSync(out, 'utf8').split('\n').filter(Boolean)).toEqual(['ServiceDown', 'HighCPUUsage', 'PodNotReady', 'ServiceDown']);

    // The text and markdown formats say when each decision was made.
    const text = runCli(args);
    expect(text.status).toBe(0);
    const lines = text.stdout.split('\n');
    expect(lines.filter((l) => l.startsWith('at '))).toEqual(steps.map((s) => `at ${s.at}`));
    expect(lines[lines.indexOf('at 2026-11-21T09:20:00Z') + 2]).toBe(`${' '.repeat(18)}rate limit: restart-on-alert already decided 2 actions in 1h, until 2026-11-21T10:00:00.001Z`);
    const markdown = runCli([...args, '--format', 'markdown']);
    expect(markdown.stdout).toContain('| 2026-11-21T09:05:00Z | `ServiceDown` `1740887ff3392380` | firing | restart-on-alert | restart (script) | `ServiceDown` | **refused** | `cooldown: restart-on-alert decided an action for ServiceDown 5m ago (cooldown 15m, until 2026-11-21T09:15:00.000Z)` |');
  });
});

describe('simulate --every, --at and --now place the files', () => {
  const repo = join(root, 'placed');
  writeRepo(repo, restartRepo(join(root, 'unused.txt')));
  const files = ['service-down-nginx.json', 'high-cpu-usage.json', 'pod-not-ready.json'].map((f) => `${AM}/${f}`);
  const decide = (...flags: string[]) =>
    runJson<{ decisions: { at: string; target: string; verdict: string; refusedBy: string | null }[] }>(['simulate', repo, '--format', 'json', '--alerts', ...files, ...flags]).decisions.map((d) => [d.at, d.target, d.refusedBy ?? d.verdict]);

  it('by default at their own times: the three alerts started together, the third is over the rate limit', () => {
    expect(decide()).toEqual([
      ['2026-11-21T07:10:19.000Z', 'ServiceDown', 'run'],
      ['2026-11-21T07:10:19.000Z', 'HighCPUUsage', 'run'],
      ['2026-11-21T07:10:19.000Z', 'PodNotReady', 'rate-limit'],
    ]);
  });

  it('--every 10m --now T: from T, ten minutes apart', () => {
    expect(decide('--every', '10m', '--now', '2026-11-21T09:00:00Z')).toEqual([
      ['2026-11-21T09:00:00.000Z', 'ServiceDown', 'run'],
      ['2026-11-21T09:10:00.000Z', 'HighCPUUsage', 'run'],
      ['2026-11-21T09:20:00.000Z', 'PodNotReady', 'rate-limit'],
    ]);
  });

  it('--at: an instant or +DURATION per file; the third an hour after the first acts', () => {
    expect(decide('--at', '2026-11-21T09:00:00Z', '+5m', '+56m')).toEqual([
      ['2026-11-21T09:00:00.000Z', 'ServiceDown', 'run'],
      ['2026-11-21T09:05:00.000Z', 'HighCPUUsage', 'run'],
      ['2026-11-21T10:01:00.000Z', 'PodNotReady', 'run'],
    ]);
  });

  it('refuses --at with another count than files, --at with --every, and a duration that is not one, naming the fix', () => {
    const error = (...flags: string[]) => {
      const r = runCli(['simulate', repo, '--alerts', ...files, ...flags]);
      return { status: r.status, stderr: r.stderr.trim() };
    };
    expect(error('--at', '2026-11-21T09:00:00Z')).toEqual({ status: 2, stderr: 'homeostat: --at gives 1 time for 3 alerts files: give one per --alerts file, in the same order' });
    expect(error('--at', '+1m', '+1m', '+1m', '--every', '5m')).toEqual({ status: 2, stderr: 'homeostat: --at and --every both say when the files come: give one of them' });
    expect(error('--at', 'soon', '+1m', '+1m')).toEqual({ status: 2, stderr: 'homeostat: --at soon: not a time; give an ISO 8601 time such as 2026-11-21T09:00:00Z, or +DURATION after the file before' });
    expect(error('--every', '0s')).toEqual({ status: 2, stderr: 'homeostat: --every 0s: give a duration longer than zero, such as 30s, 5m or 1h30m' });
    expect(existsSync(join(root, 'unused.txt'))).toBe(false);
  });
});
