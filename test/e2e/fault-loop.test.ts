/**
 * The fault loop: a 2,000-alert storm posted to the built `homeostat serve` as Alertmanager
 * posts it (groups re-sent until answered 2xx, answered groups re-sent too), while the engine
 * is killed with SIGKILL at random points, 20 times, and once restarted over a stale ref lock
 * left in its audit repository. After every restart `homeostat audit verify` must pass; at the
 * end no action has run twice and no acknowledged alert is missing from the audit repository.
 * Each action is a real script that appends its alert's fingerprint to a file: that file, not
 * the engine's word, says how often each ran.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprint } from '../../engine/alerts/fingerprint.js';
import { fixtureBody } from '../helpers/alerts.js';
import { TOKEN, waitFor, writeRepo } from '../helpers/engine.js';
import { freePort, requireCommand, spawnServe, untilHttpOk } from '../helpers/processes.js';
import type { Spawned } from '../helpers/processes.js';
import { runCli } from './run-cli.js';

const ALERTS = 2_000;
const GROUP = 100;
const KILLS = 20;
/** The restart before which a stale ref lock is left in the audit repository. */
const STALE_LOCK_AT = 7;

let root: string;
let port: number;
let engine: Spawned | null = null;
const outputs: string[] = [];

interface Alert {
  labels: Record<string, string>;
}

/** The storm's groups, shaped as the captured InstanceDown storm, 100 alerts a group. */
function stormGroups(): { body: Record<string, unknown>; fingerprints: string[] }[] {
  const captured = fixtureBody('storm-first-408.json') as Record<string, unknown> & { alerts: (Alert & Record<string, unknown>)[] };
  const template = captured.alerts[0]!;
  const groups: { body: Record<string, unknown>; fingerprints: string[] }[] = [];
  for (let g = 0; g < ALERTS / GROUP; g++) {
    const alerts = Array.from({ length: GROUP }, (_, i) => {
      const labels = { ...template.labels, instance: `node-${g * GROUP + i}:9100`, shard: `s${g}` };
      return { ...template, labels, annotations: { summary: `${labels.instance} down` }, fingerprint: fingerprint(labels) };
    });
    groups.push({
      body: { ...captured, groupKey: `{}:{alertname="InstanceDown",shard="s${g}"}`, groupLabels: { alertname: 'InstanceDown', shard: `s${g}` }, alerts },
      fingerprints: alerts.map((a) => a.fingerprint),
    });
  }
  return groups;
}

const POLICY = `apiVersion: homeostat/v1
kind: Policy
metadata: { name: mark-down-instance }
spec:
  match: { alertname: InstanceDown }
  target: '{{ labels.instance }}'
  actions:
    - name: mark
      script: { path: scripts/mark.sh }
      timeout: 1m
`;

const SETTINGS = `apiVersion: homeostat/v1
kind: Settings
spec:
  blastRadius: { max: 100000, per: 1m }
  defaults: { guards: { cooldown: 1s, concurrency: 1 } }
`;

async function start(): Promise<Spawned> {
  const spawned = spawnServe(
    ['--policies', join(root, 'repo'), '--data-dir', join(root, 'data'), '--listen', `127.0.0.1:${port}`, '--concurrency', '8'],
    { HOMEOSTAT_WEBHOOK_TOKEN: TOKEN, HOMEOSTAT_ADMIN_TOKEN: TOKEN },
    root,
  );
  outputs.push('');
  const index = outputs.length - 1;
  spawned.child.stdout!.on('data', (c: Buffer) => (outputs[index] += c.toString()));
  spawned.child.stderr!.on('data', (c: Buffer) => (outputs[index] += c.toString()));
  await untilHttpOk(`http://127.0.0.1:${port}/readyz`, 'the engine to be ready', 60_000).catch((error: Error) => {
    throw new Error(`${error.message}\n${spawned.output()}`);
  });
  return spawned;
}

async function post(body: unknown): Promise<number> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/api/v1/alerts`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: JSON.stringify(body) });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 0; // the engine died under the request: Alertmanager retries it
  }
}

async function status(): Promise<{ audit: { backlog: number }; queue: { waiting: number; running: number } }> {
  const response = await fetch(`http://127.0.0.1:${port}/api/v1/status`, { headers: { authorization: `Bearer ${TOKEN}` } });
  return (await response.json()) as { audit: { backlog: number }; queue: { waiting: number; running: number } };
}

/** Waits until everything decided is run and committed, then checks the audit trail. */
async function settleAndVerify(what: string): Promise<void> {
  await waitFor(async () => {
    const s = await status();
    return s.audit.backlog === 0 && s.queue.waiting === 0 && s.queue.running === 0;
  }, `the engine to settle ${what}`, 120_000);
  const verify = runCli(['audit', 'verify', '--data-dir', join(root, 'data')], { cwd: root });
  expect(verify.stdout + verify.stderr, `audit verify ${what}`).toMatch(/^ok: /m);
  expect(verify.status, `audit verify ${what}`).toBe(0);
}

function runCounts(): Map<string, number> {
  const counts = new Map<string, number>();
  const path = join(root, 'runs');
  if (!existsSync(path)) return counts;
  for (const line of readFileSync(path, 'utf8').split('\n')) if (line) counts.set(line, (counts.get(line) ?? 0) + 1);
  return counts;
}

beforeAll(async () => {
  requireCommand('git', 'git');
  root = mkdtempSync(join(tmpdir(), 'homeostat-fault-loop-'));
  port = await freePort();
  writeRepo(join(root, 'repo'), { 'rules/mark.yaml': POLICY, 'homeostat.yaml': SETTINGS });
  mkdirSync(join(root, 'repo', 'scripts'), { recursive: true });
  // One line per run, appended in one write (O_APPEND): a run cut short writes all or nothing.
  const script = join(root, 'repo', 'scripts', 'mark.sh');
  writeFileSync(script, `#!/bin/sh\nprintf "%s\\n" "$ALERT_FINGERPRINT" >> '${join(root, 'runs')}'\n`);
  chmodSync(script, 0o755);
});

afterAll(async () => {
  if (engine && engine.child.exitCode === null) {
    engine.child.kill('SIGKILL');
    await engine.exited;
  }
  rmSync(root, { recursive: true, force: true });
});

describe('fault loop', () => {
  it(`kill -9 at random points of a ${ALERTS}-alert storm, ${KILLS} times, and a stale ref lock: nothing run twice, nothing acknowledged lost`, async () => {
    const groups = stormGroups();
    const acknowledged = new Set<number>();
    let kills = 0;
    engine = await start();
    while (kills < KILLS || acknowledged.size < groups.length) {
      const killing = kills < KILLS;
      // SIGKILL at a random moment of this round: before, during or after the posts and runs.
      const timer = killing ? setTimeout(() => engine!.child.kill('SIGKILL'), Math.floor(Math.random() * 1500)) : null;
      // Alertmanager re-sends the groups not yet answered, and now and then an answered one.
      const order = groups.map((_, i) => i).filter((i) => !acknowledged.has(i) || Math.random() < 0.1);
      for (const i of order) {
        if (engine!.child.exitCode !== null || engine!.child.signalCode !== null) break;
        const code = await post(groups[i]!.body);
        if (code === 202) acknowledged.add(i);
        else if (code !== 503 && code !== 0) throw new Error(`group ${i} answered ${code}\n${engine!.output().slice(-3000)}`);
      }
      if (killing) await engine!.exited;
      clearTimeout(timer ?? undefined);
      if (!killing) continue;
      const exit = await engine!.exited;
      expect(exit.signal, engine!.output().slice(-3000)).toBe('SIGKILL');
      kills++;
      if (kills === STALE_LOCK_AT) {
        // What a crash in the middle of a ref update leaves behind.
        const audit = join(root, 'data', 'audit');
        writeFileSync(join(audit, 'refs', 'heads', 'main.lock'), `${execFileSync('git', ['-C', audit, 'rev-parse', 'main'], { encoding: 'utf8' })}`);
      }
      engine = await start();
      await settleAndVerify(`after restart ${kills}`);
    }
    await settleAndVerify('at the end');

    // What ran, by the script's own record; what was acknowledged, by the answers.
    const counts = runCounts();
    const ranTwice = [...counts.values()].filter((n) => n > 1).length;
    const log = runCli(['audit', 'log', '--data-dir', join(root, 'data'), '--format', 'json', '--limit', '100000'], { cwd: root });
    const entries = (JSON.parse(log.stdout) as { entries: { kind: string; alert?: { fingerprint: string }; outcome: string | null }[] }).entries;
    const audited = new Map(entries.filter((e) => e.kind === 'action').map((e) => [e.alert!.fingerprint, e.outcome]));
    const acked = [...acknowledged].flatMap((i) => groups[i]!.fingerprints);
    const lost = acked.filter((f) => !audited.has(f) || audited.get(f) === null).length;
    const ranUnaudited = [...counts.keys()].filter((f) => audited.get(f) !== 'succeeded' && audited.get(f) !== 'interrupted').length;
    const unhandled = outputs.filter((o) => /unhandled rejection|uncaught exception/i.test(o)).length;
    const outcome = (o: string) => [...audited.values()].filter((v) => v === o).length;
    process.stdout.write(
      `fault loop: ${kills} kills, ${acked.length} alerts acknowledged, ${counts.size} actions ran (${outcome('succeeded')} audited succeeded, ${outcome('interrupted')} interrupted); ` +
        `actions run twice = ${ranTwice}, acknowledged entries lost = ${lost}, runs not audited = ${ranUnaudited}\n`,
    );
    expect(kills).toBe(KILLS);
    expect(acked.length).toBe(ALERTS);
    expect(ranTwice).toBe(0);
    expect(lost).toBe(0);
    expect(ranUnaudited).toBe(0);
    expect(unhandled).toBe(0);
    expect(outcome('succeeded')).toBeGreaterThan(0);
    expect(outcome('succeeded') + outcome('interrupted')).toBe(ALERTS);
    engine.child.kill('SIGTERM');
    expect((await engine.exited).code).toBe(0);
  }, 600_000);
});
