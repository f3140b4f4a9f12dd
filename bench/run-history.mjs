/**
 * The run history read from the audit repository (`npm run build && node bench/run-history.mjs`):
 * what GET /api/v1/runs costs for the runs the engine's memory no longer holds (after a
 * restart, or past its 2,000 actions). A repository of 30 days, each with 2,000 alert actions
 * and 48 runs of routine jobs (61,440 entry files), read through engine/schedule/history.ts
 * with an empty memory (as right after a restart):
 *
 * - the newest page of 100 runs (today's and yesterday's day directories);
 * - a page of 500 runs `since` 30 days ago (the newest 11 days);
 * - a page of 100 runs of 30 days ago (`since` and `before` around that day: one day read).
 *
 * Each is timed over a few repetitions, median shown. A benchmark, not a test: it exits 0
 * whatever the figures, and prints "goal met" / "goal MISSED" beside each.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fmt, line, loadText, machineBusy, median, msSince, now } from './stats.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const load = (path) => import(pathToFileURL(join(ROOT, 'dist/engine', path)).href);
const { AuditRepo, writeKind } = await load('audit/repo.js');
const { newEntryId, serializeEntry } = await load('audit/entry.js');
const { listRuns } = await load('schedule/history.js');

const DAYS = 30;
const ACTIONS_PER_DAY = 2_000;
const RUNS_PER_DAY = 48;
const REPEAT = 5;
const DAY_MS = 86_400_000;
const END = Date.UTC(2026, 11, 3, 23, 0);

function entry(kind, at, i) {
  const iso = new Date(at).toISOString();
  const common = { apiVersion: 'homeostat.dev/v1', kind, id: newEntryId(at), at: iso, revision: 'bench', action: 'step', type: 'ansible', target: `web-${i % 50}`, params: { playbook: 'playbooks/x.yml', limit: `web-${i % 50}` }, verdict: 'run', reason: null, guards: { passed: ['cooldown'], refusedBy: null }, outcome: 'succeeded', execution: { exitCode: 0, durationMs: 1234, startedAt: iso, endedAt: iso, output: 'ok' } };
  return kind === 'run'
    ? { ...common, phase: 'schedule', schedule: { name: `check-${i % 4}`, runId: `check-${i % 4}@${iso}`, trigger: 'cron', due: iso, timezone: 'UTC', by: null } }
    : { ...common, phase: 'actions', policy: 'restart-web', alert: { fingerprint: 'f00d', alertname: 'WebDown', status: 'firing', startsAt: iso, labels: { instance: `web-${i % 50}` } } };
}

async function build(repo) {
  for (let d = DAYS - 1; d >= 0; d--) {
    const start = END - (d + 1) * DAY_MS + 3_600_000;
    const entries = [];
    for (let i = 0; i < ACTIONS_PER_DAY; i++) entries.push(entry('action', start + i * 40_000, i));
    for (let i = 0; i < RUNS_PER_DAY; i++) entries.push(entry('run', start + i * 1_800_000 + 7, i));
    entries.sort((a, b) => (a.id < b.id ? -1 : 1));
    await repo.commit(entries.map((e) => ({ id: e.id, kind: writeKind(e), content: serializeEntry(e), message: `${e.kind} ${e.id}`, trailers: {} })));
  }
}

async function timed(query, memory, repo) {
  const times = [];
  let page;
  for (let i = 0; i < REPEAT; i++) {
    const t0 = now();
    page = await listRuns(query, memory, (q) => repo.newestOfKind(q));
    times.push(msSince(t0));
  }
  return { ms: median(times), runs: page.runs.length, oldest: page.runs.at(-1)?.at ?? '-' };
}

async function main() {
  const tmp = mkdtempSync(join(tmpdir(), 'homeostat-bench-history-'));
  try {
    const repo = await AuditRepo.open({ dir: join(tmp, 'audit'), branch: 'main', repackEvery: 1000 });
    const t0 = now();
    await build(repo);
    const built = msSince(t0);
    // Memory right after a restart: nothing held, everything before the start read from git.
    const memory = { list: () => [], completeAfter: newEntryId(END + DAY_MS) };
    const out = (text = '') => process.stdout.write(`${text}\n`);
    out(`Run history from the audit repository: ${fmt(DAYS)} days × (${fmt(ACTIONS_PER_DAY)} actions + ${fmt(RUNS_PER_DAY)} runs) = ${fmt(DAYS * (ACTIONS_PER_DAY + RUNS_PER_DAY))} entry files (built in ${fmt(built / 1000, 1)} s); median of ${REPEAT}`);
    const newest = await timed({ limit: 100 }, memory, repo);
    out(line(`newest 100 runs (${newest.runs} read, back to ${newest.oldest.slice(0, 10)})`, `${fmt(newest.ms)} ms`, '< 500 ms', newest.ms < 500));
    const month = await timed({ limit: 500, since: new Date(END - DAYS * DAY_MS) }, memory, repo);
    out(line(`500 runs since 30 days ago (${month.runs} read, back to ${month.oldest.slice(0, 10)})`, `${fmt(month.ms)} ms`, '< 2 s', month.ms < 2_000));
    const firstDay = END - DAYS * DAY_MS + 3_600_000;
    const old = await timed({ limit: 100, since: new Date(firstDay - 3_600_000), before: newEntryId(firstDay + DAY_MS) }, memory, repo);
    out(line(`runs of 30 days ago (${old.runs} read, back to ${old.oldest.slice(0, 10)})`, `${fmt(old.ms)} ms`, '< 500 ms', old.ms < 500));
    out(`load average at end: ${loadText()}${machineBusy() ? '  (machine busy)' : ''}`);
    await repo.close();
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`bench: ${error.stack ?? error}\n`);
  process.exit(1);
});
