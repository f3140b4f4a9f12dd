/**
 * The routine jobs' metrics, on the engine's registry: runs by schedule and outcome, and when
 * each schedule last succeeded, so that Prometheus can alert on a routine job that stopped
 * succeeding (`time() - homeostat_schedule_last_success_timestamp_seconds > 86400`). Label
 * values are schedule names: as many as the repository has schedules, never from an alert.
 */
import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';

export function scheduleMetrics(registry: Registry) {
  const registers = [registry];
  return {
    runs: new Counter({ name: 'homeostat_schedule_runs_total', help: 'Routine job runs by schedule and outcome, one per target and action (succeeded, failed, timed_out, interrupted, refused, skipped, missed).', labelNames: ['schedule', 'outcome'] as const, registers }),
    lastSuccess: new Gauge({ name: 'homeostat_schedule_last_success_timestamp_seconds', help: 'When a run of the schedule last succeeded (Unix time; no series before the first success).', labelNames: ['schedule'] as const, registers }),
    nextRun: new Gauge({ name: 'homeostat_schedule_next_run_timestamp_seconds', help: 'When the schedule is next due (Unix time).', labelNames: ['schedule'] as const, registers }),
  };
}

export type ScheduleMetrics = ReturnType<typeof scheduleMetrics>;
