/** Small statistics and formatting helpers for the benchmark output. */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

/** The q-quantile (0..1) of an ascending-sorted array, nearest rank. */
export function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Latency summary in microseconds of an array of nanosecond durations. */
export function latencySummary(nanos) {
  const sorted = Float64Array.from(nanos).sort();
  const us = (v) => v / 1e3;
  let total = 0;
  for (const v of sorted) total += v;
  return {
    count: sorted.length,
    meanUs: us(total / sorted.length),
    p50Us: us(quantile(sorted, 0.5)),
    p90Us: us(quantile(sorted, 0.9)),
    p99Us: us(quantile(sorted, 0.99)),
    p999Us: us(quantile(sorted, 0.999)),
    maxUs: us(sorted[sorted.length - 1]),
  };
}

export function fmt(value, digits = 0) {
  return Number(value).toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function mb(kilobytes) {
  return `${fmt(kilobytes / 1024, 0)} MB`;
}

/** One result line: label, figure, goal, verdict (or none when informational). */
export function line(label, figure, goal = null, met = null) {
  const left = `  ${label.padEnd(56)} ${String(figure).padStart(16)}`;
  if (goal === null) return left;
  return `${left}   goal ${goal.padEnd(12)} ${met ? 'goal met' : 'goal MISSED'}`;
}

/**
 * This process's peak RSS in KiB: VmHWM of /proc/self/status, the high-water mark of this
 * program's own memory. process.resourceUsage().maxRSS is not that: a child started with
 * fork + exec carries the parent's RSS at the fork into its maxRSS (measured here: a child of
 * a 343 MB parent reported 305 MB, its VmHWM 43 MB). Off Linux, maxRSS is all there is.
 */
export function peakRssKb() {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]);
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS;
}

export const now = () => process.hrtime.bigint();
export const msSince = (t0) => Number(now() - t0) / 1e6;
/** The load averages, as `uptime` prints them. */
export const loadText = () => loadavg().map((l) => l.toFixed(2)).join(' ');
/** Whether more runs than there are cores: wall-clock figures are then inflated. */
export const machineBusy = () => loadavg()[0] > cpus().length;
