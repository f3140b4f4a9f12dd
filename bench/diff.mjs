/**
 * `homeostat diff` at scale: a generated repository of 10,000 policies in git (bench/generate.mjs),
 * a head commit that changes about 100 of them (a cooldown tightened, a matcher narrowed), and a
 * timeline of 10,000 replayed alerts (5,000 firing, then resolved, over a week, made by the
 * replay code itself). Times a fresh `node dist/engine/cli/main.js diff DIR --base base
 * --head HEAD --alerts TIMELINE --format json`: both revisions loaded from git, both
 * simulations, the head's lint and the comparison. A benchmark: it exits 0 whatever the
 * times, 1 only when the setup is wrong (the diff fails or finds no change).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { alertnamePool, prng, writeRepository } from './generate.mjs';
import { childrenCpuSeconds } from './cold-load.mjs';
import { fmt, line, loadText, machineBusy, median } from './stats.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const POLICIES = 10_000;
const ALERTS = 10_000;
const CHANGED = 100;
const RUNS = Number(process.env.HOMEOSTAT_BENCH_RUNS ?? 3);
const GOAL_SECONDS = 10;

const { webhooksOf } = await import(join(ROOT, 'dist/engine/replay/payloads.js'));
const { timelineLine } = await import(join(ROOT, 'dist/engine/alerts/timeline.js'));
const { fingerprint } = await import(join(ROOT, 'dist/engine/alerts/fingerprint.js'));

const out = (text = '') => process.stdout.write(text + '\n');

function git(dir, ...args) {
  const r = spawnSync('git', ['-C', dir, '-c', 'user.name=bench', '-c', 'user.email=bench@example.test', '-c', 'commit.gpgSign=false', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** CHANGED policy files spread over the repository: a match narrowed, or a cooldown lengthened. */
function changeHead(dir) {
  const files = readdirSync(join(dir, 'rules')).sort();
  const step = Math.floor(files.length / CHANGED);
  let changed = 0;
  for (let i = 0; i < files.length && changed < CHANGED; i += step) {
    const path = join(dir, 'rules', files[i]);
    const text = readFileSync(path, 'utf8');
    // Half narrowed to a label no alert carries (their decisions go), half with a longer cooldown.
    const next = changed % 2 ? text.replace(/cooldown: (\d+)m/, (_, m) => `cooldown: ${Number(m) * 12}m`) : text.replace('  match:\n', '  match:\n    rollout: canary\n');
    if (next !== text) {
      writeFileSync(path, next);
      changed++;
    }
  }
  return changed;
}

/** ALERTS/2 alerts over a week, each firing then resolved: the payloads replay writes, as a timeline. */
function writeTimeline(path) {
  const rand = prng(7);
  const pool = alertnamePool();
  const start = Date.parse('2026-11-14T00:00:00Z');
  const events = [];
  for (let i = 0; i < ALERTS / 2; i++) {
    const pick = (list) => list[Math.floor(rand() * list.length)];
    const team = pick(['sre', 'web', 'platform', 'data', 'apps', 'net', 'db', 'payments', 'search', 'infra']);
    const env = pick(['prod', 'staging', 'dev', 'test', 'qa']);
    const region = pick(['eu', 'us', 'ap']);
    // The labels the generated policies match on, so that a share of the alerts meets them.
    const labels = {
      alertname: pool[Math.floor(rand() * pool.length)],
      instance: `${pick([team, 'node'])}-${i % 500}:9100`,
      severity: pick(['critical', 'warning']),
      team,
      env,
      region,
      cluster: `${env}-${region}-${i % 3}`,
      heal: 'true',
      job: 'node-exporter',
      namespace: `${team}-apps`,
      pod: `${team}-api-7f9c6d5b8c-x${String(i % 10000).padStart(4, '0')}`,
      node: `worker-${i % 200}`,
    };
    const startsAt = start + Math.floor(rand() * 7 * 86_400) * 1000;
    const endsAt = startsAt + (1 + Math.floor(rand() * 60)) * 60_000;
    const fp = fingerprint(labels);
    events.push({ at: startsAt, status: 'firing', labels, fingerprint: fp, startsAt, endsAt: null });
    events.push({ at: endsAt, status: 'resolved', labels, fingerprint: fp, startsAt, endsAt });
  }
  events.sort((a, b) => a.at - b.at);
  const lines = webhooksOf(events, ['alertname']).map(({ at, payload }) => timelineLine(at, payload));
  writeFileSync(path, lines.join('\n') + '\n');
  return lines.length;
}

function timedDiff(dir, timeline, format) {
  const cpuBefore = childrenCpuSeconds();
  const t0 = process.hrtime.bigint();
  const child = spawnSync(process.execPath, [join(ROOT, 'dist/engine/cli/main.js'), 'diff', dir, '--base', 'base', '--head', 'HEAD', '--alerts', timeline, '--format', format], {
    encoding: 'utf8',
    maxBuffer: 1024 * 1024 * 1024,
  });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpuAfter = childrenCpuSeconds();
  if (child.status !== 0) throw new Error(`diff exited ${child.status}: ${child.stderr.slice(0, 2000)}`);
  const report = format === 'json' ? JSON.parse(child.stdout) : child.stdout;
  return { wall, cpu: cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore, report };
}

const tmp = mkdtempSync(join(tmpdir(), 'homeostat-bench-diff-'));
try {
  out(`homeostat diff benchmark — ${fmt(POLICIES)} policies, ${fmt(ALERTS)} replayed alerts; load average ${loadText()}${machineBusy() ? ' (machine busy: wall-clock figures are inflated)' : ''}`);
  const dir = join(tmp, 'repo');
  writeRepository(dir, POLICIES);
  git(dir, 'init', '--quiet', '--initial-branch=main');
  git(dir, 'add', '--all');
  git(dir, 'commit', '--quiet', '-m', 'base');
  git(dir, 'branch', 'base');
  const changed = changeHead(dir);
  git(dir, 'commit', '--quiet', '--all', '-m', 'head');
  const timeline = join(tmp, 'week.jsonl');
  const payloads = writeTimeline(timeline);
  out(line('timeline', `${fmt(payloads)} payloads, ${fmt(ALERTS)} alerts`));
  out(line('policies changed by the head commit', fmt(changed)));
  // The text a reviewer reads, then JSON (both sides' every decision, for CI scripts) once.
  const runs = Array.from({ length: RUNS }, () => timedDiff(dir, timeline, 'text'));
  const json = timedDiff(dir, timeline, 'json');
  const report = json.report;
  if (report.alerts !== ALERTS) throw new Error(`diff read ${report.alerts} alerts, not ${ALERTS}`);
  if (!report.changed) throw new Error(`diff found no change (decisions base ${report.base.decisions.length}, head ${report.head.decisions.length}): the head commit changes nothing the alerts meet`);
  if (!runs[0].report.includes(`: ${fmt(ALERTS, 0).replace(/,/g, '')} alerts: ${report.changes.length} changes`)) throw new Error(`text and JSON disagree: ${runs[0].report.split('\n')[0]}`);
  const walls = runs.map((r) => r.wall);
  const w = median(walls);
  out(line(`diff --format text, fresh process: wall, median of ${RUNS} (min)`, `${fmt(w, 2)} s (${fmt(Math.min(...walls), 2)})`, `< ${GOAL_SECONDS} s`, w < GOAL_SECONDS));
  if (runs.every((r) => r.cpu !== null)) out(line('diff --format text: CPU user+sys, median', `${fmt(median(runs.map((r) => r.cpu)), 2)} s`));
  out(line('diff --format json, one run: wall (CPU)', `${fmt(json.wall, 2)} s${json.cpu === null ? '' : ` (${fmt(json.cpu, 2)} s)`}`));
  out(line('decisions base / head', `${fmt(report.base.decisions.length)} / ${fmt(report.head.decisions.length)}`));
  out(line('changes reported', fmt(report.changes.length)));
} finally {
  if (process.env.HOMEOSTAT_BENCH_KEEP) out(`kept ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
}
