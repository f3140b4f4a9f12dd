/**
 * The scheduler's overhead (`npm run build && node bench/schedules.mjs`), with 1,000 schedules
 * in one Scheduler (engine/schedule/scheduler.ts, from dist/), on real time:
 *
 * - idle: 1,000 schedules none of which comes due in the window (`0 3 1 1 *`): the CPU the
 *   process spends, from process.cpuUsage() over a window shorter than a minute, scaled to a
 *   minute; and what one wake-up costs (the timer wakes at least once a minute to notice a
 *   wall clock set forward or back), timed over 1,000 forced wake-ups;
 * - spread: 1,000 schedules each due once a minute, at second i % 60 (some 17 due each
 *   second): CPU per minute, and the lateness of each dispatch after its due time, p50/p99;
 * - burst: 1,000 schedules all due every 10 seconds, at the same instant: the lateness of the
 *   last of them is how long one wake-up takes to hand over 1,000 due runs.
 *
 * Activating 1,000 schedules computes each one's next due time with croner (timed apart);
 * lateness is counted from WARM_UP_MS after it, since a due time that passes while the
 * activation still runs is dispatched when it ends.
 *
 * The dispatch is a no-op that resolves at once: these figures are the scheduler's own, not the
 * engine's decision, journal write and action that follow a due time (bench/webhook.mjs and
 * bench/audit-commit.mjs measure those). A benchmark, not a test: it exits 0 whatever the
 * figures, and prints "goal met" / "goal MISSED" beside each.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fmt, line, machineBusy, quantile } from './stats.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { Scheduler } = await import(pathToFileURL(join(ROOT, 'dist/engine/schedule/scheduler.js')).href);

const SCHEDULES = 1_000;
const WINDOW_MS = { idle: 20_000, spread: 20_000, burst: 20_000 };
const GOALS = { idleCpuMsPerMinute: 50, p99LatenessMs: 50, burstLastMs: 250 };
const out = (text = '') => process.stdout.write(text + '\n');
const log = { info() {}, warn() {}, error() {} };

function schedule(name, cron) {
  return {
    name, cron, timezone: 'UTC', startingDeadlineMs: 600_000, source: { file: 'rules/bench.yaml', line: 1 }, targets: { hosts: ['h'] }, inventory: null,
    concurrencyPolicy: 'Forbid', actions: [], dryRun: false,
    guards: { cooldownMs: 0, rateLimit: null, concurrency: 1, approval: { required: false, ttlMs: 0 }, window: null },
  };
}

/** Dispatches in the first WARM_UP_MS after activation are not counted: see the activation figure. */
const WARM_UP_MS = 2_000;

async function measure(crons, windowMs) {
  const lateness = [];
  let counting = false;
  const scheduler = new Scheduler(
    {
      clock: Date.now,
      log,
      mark: async () => undefined,
      dispatch: async (due) => {
        if (counting) for (const at of due.owed.run) lateness.push(Date.now() - at);
      },
    },
    new Map(),
  );
  const activation0 = performance.now();
  await scheduler.activate(crons.map((cron, i) => schedule(`s-${i}`, cron)));
  const activationMs = performance.now() - activation0;
  await new Promise((resolve) => setTimeout(resolve, WARM_UP_MS));
  counting = true;
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - wall0;
  scheduler.stop();
  const cpuMs = (cpu.user + cpu.system) / 1000;
  return { cpuMsPerMinute: (cpuMs * 60_000) / wallMs, wallMs, activationMs, lateness: lateness.sort((a, b) => a - b), scheduler };
}

async function wakeCost(crons) {
  const scheduler = new Scheduler({ clock: Date.now, log, mark: async () => undefined, dispatch: async () => undefined }, new Map());
  await scheduler.activate(crons.map((cron, i) => schedule(`s-${i}`, cron)));
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < 1_000; i++) scheduler['tick']();
  const cpu = process.cpuUsage(cpu0);
  scheduler.stop();
  return (cpu.user + cpu.system) / 1000 / 1_000;
}

out(`schedules: ${SCHEDULES} in one scheduler; dispatch is a no-op (the scheduler's own overhead); CPU from process.cpuUsage(), windows of ${WINDOW_MS.idle / 1000} s scaled to a minute`);
const idleCrons = Array.from({ length: SCHEDULES }, () => '0 3 1 1 *');
const idle = await measure(idleCrons, WINDOW_MS.idle);
out(line('idle: CPU per minute', `${fmt(idle.cpuMsPerMinute, 1)} ms (measured over ${fmt(idle.wallMs / 1000, 1)} s)`, `< ${GOALS.idleCpuMsPerMinute} ms`, idle.cpuMsPerMinute < GOALS.idleCpuMsPerMinute));
const wake = await wakeCost(idleCrons);
out(line('idle: one wake-up (at least one a minute)', `${fmt(wake, 3)} ms CPU`));

const spread = await measure(Array.from({ length: SCHEDULES }, (_, i) => `${i % 60} * * * * *`), WINDOW_MS.spread);
const p50 = quantile(spread.lateness, 0.5);
const p99 = quantile(spread.lateness, 0.99);
out(line('activation of 1,000 schedules (their next due times)', `${fmt(spread.activationMs, 0)} ms`));
out(line('spread (each once a minute): CPU per minute', `${fmt(spread.cpuMsPerMinute, 1)} ms over ${fmt(spread.wallMs / 1000, 1)} s, ${spread.lateness.length} runs`));
out(line('spread: lateness after due time p50 / p99', `${fmt(p50, 1)} / ${fmt(p99, 1)} ms`, `p99 < ${GOALS.p99LatenessMs} ms`, p99 < GOALS.p99LatenessMs));

const burst = await measure(Array.from({ length: SCHEDULES }, () => '*/10 * * * * *'), WINDOW_MS.burst);
const last = burst.lateness.at(-1);
out(line('burst (1,000 due at once, every 10 s): lateness p50 / p99 / last', `${fmt(quantile(burst.lateness, 0.5), 1)} / ${fmt(quantile(burst.lateness, 0.99), 1)} / ${fmt(last, 1)} ms, ${burst.lateness.length} runs`, `last < ${GOALS.burstLastMs} ms`, last < GOALS.burstLastMs));
out(line('burst: CPU per minute', `${fmt(burst.cpuMsPerMinute, 1)} ms`));
if (machineBusy()) out('(machine busy: load average above the number of cores; figures are pessimistic)');
