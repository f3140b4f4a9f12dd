import { pino } from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Alert } from '../../../engine/alerts/payload.js';
import type { AuditEntry } from '../../../engine/audit/entry.js';
import { createMetrics } from '../../../engine/runtime/metrics.js';
import type { Metrics } from '../../../engine/runtime/metrics.js';
import { RemediationTracker, RESOLUTION_GRACE_MS } from '../../../engine/runtime/remediation.js';

const T0 = Date.parse('2026-12-03T10:00:00Z');
const WINDOW = 30 * 60_000;
const STARTS_AT = '2026-12-03T09:58:00Z';

let now: number;
let metrics: Metrics;
let tracker: RemediationTracker;

function make(maxTracked?: number): void {
  metrics = createMetrics({ defaults: false });
  tracker = new RemediationTracker({ windowMs: WINDOW, metrics, log: pino({ level: 'silent' }), clock: () => now, ...(maxTracked ? { maxTracked } : {}) });
}

beforeEach(() => {
  now = T0;
  make();
});

interface Options {
  policy?: string;
  fingerprint?: string;
  phase?: 'actions' | 'onResolved';
  verdict?: 'run' | 'dry-run';
}

function intent(o: Options = {}): AuditEntry {
  return {
    apiVersion: 'homeostat.dev/v1',
    kind: 'action',
    id: `id-${Math.random()}`,
    at: new Date(now).toISOString(),
    revision: 'r1',
    alert: { fingerprint: o.fingerprint ?? 'f1', alertname: 'ServiceDown', status: 'firing', startsAt: STARTS_AT, labels: {}, groupKey: 'g', receiver: 'homeostat' },
    policy: o.policy ?? 'restart',
    action: 'restart',
    type: 'script',
    phase: o.phase ?? 'actions',
    target: 'web-1',
    params: {},
    description: null,
    verdict: o.verdict ?? 'run',
    reason: null,
    guards: { passed: [], refusedBy: null },
    approval: null,
    outcome: null,
    execution: null,
  };
}

function ended(entry: AuditEntry, outcome: 'succeeded' | 'failed', at = now): AuditEntry {
  return {
    ...entry,
    outcome,
    execution: {
      startedAt: new Date(at - 1000).toISOString(),
      endedAt: new Date(at).toISOString(),
      durationMs: 1000,
      exitCode: outcome === 'succeeded' ? 0 : 1,
      signal: null,
      pgid: null,
      dryRun: entry.verdict === 'dry-run',
      command: [],
      output: '',
      outputTruncated: false,
    },
  };
}

function resolvedAlert(endsAt: number, fingerprint = 'f1'): Alert {
  return { status: 'resolved', fingerprint, startsAt: STARTS_AT, endsAt: new Date(endsAt).toISOString() } as Alert;
}

async function value(name: string, labels: Record<string, string>): Promise<number> {
  const metric = await metrics.registry.getSingleMetric(name)!.get();
  return metric.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value ?? 0;
}

async function histogram(labels: Record<string, string>): Promise<{ count: number; sum: number }> {
  const metric = await metrics.registry.getSingleMetric('homeostat_time_to_remediation_seconds')!.get();
  const samples = metric.values as { metricName?: string; labels: Record<string, string | number>; value: number }[];
  const of = (suffix: string) => samples.find((v) => v.metricName === `homeostat_time_to_remediation_seconds_${suffix}` && Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value ?? 0;
  return { count: of('count'), sum: of('sum') };
}

const effective = (policy = 'restart') => value('homeostat_remediation_effective_total', { policy });
const ineffective = (policy = 'restart') => value('homeostat_remediation_ineffective_total', { policy });

describe('recovery metrics', () => {
  it("observes the time from the alert's startsAt to the action's outcome, by policy, type and outcome", async () => {
    const entry = intent();
    tracker.started(entry);
    now = T0 + 60_000;
    tracker.ended(ended(entry, 'succeeded'));
    // startsAt 09:58, ended 10:01: 180 s.
    expect(await histogram({ policy: 'restart', type: 'script', outcome: 'succeeded' })).toEqual({ count: 1, sum: 180 });
  });

  it('counts an alert that resolves within the window after the success as healed, once, whatever Alertmanager re-sends', async () => {
    const entry = intent();
    tracker.started(entry);
    tracker.ended(ended(entry, 'succeeded'));
    expect(tracker.tracked).toBe(1);
    now = T0 + 10 * 60_000;
    tracker.resolved(resolvedAlert(T0 + 9 * 60_000));
    tracker.resolved(resolvedAlert(T0 + 9 * 60_000)); // the resolved group re-sent
    now = T0 + 2 * WINDOW;
    tracker.sweep();
    expect([await effective(), await ineffective()]).toEqual([1, 0]);
    expect(tracker.tracked).toBe(0);
  });

  it('counts a success whose alert is still firing when the window and its grace end as not healed, and forgets it', async () => {
    const entry = intent();
    tracker.started(entry);
    tracker.ended(ended(entry, 'succeeded'));
    now = T0 + WINDOW + RESOLUTION_GRACE_MS; // not yet past
    tracker.sweep();
    expect([await effective(), await ineffective(), tracker.tracked]).toEqual([0, 0, 1]);
    now += 1;
    tracker.sweep();
    expect([await effective(), await ineffective(), tracker.tracked]).toEqual([0, 1, 0]);
    // Its resolution arriving later still counts nothing.
    tracker.resolved(resolvedAlert(now));
    expect([await effective(), await ineffective()]).toEqual([0, 1]);
  });

  it('waits a grace as long as the window when the window is shorter than five minutes', async () => {
    metrics = createMetrics({ defaults: false });
    tracker = new RemediationTracker({ windowMs: 60_000, metrics, log: pino({ level: 'silent' }), clock: () => now });
    const entry = intent();
    tracker.started(entry);
    tracker.ended(ended(entry, 'succeeded'));
    now = T0 + 120_000;
    tracker.sweep();
    expect(await ineffective()).toBe(0);
    now += 1;
    tracker.sweep();
    expect(await ineffective()).toBe(1);
  });

  it("judges by the alert's endsAt: a resolution delivered late within the grace but ended after the window is not healed", async () => {
    const entry = intent();
    tracker.started(entry);
    tracker.ended(ended(entry, 'succeeded'));
    now = T0 + WINDOW + 60_000;
    tracker.resolved(resolvedAlert(T0 + WINDOW + 30_000));
    expect([await effective(), await ineffective()]).toEqual([0, 1]);
  });

  it('counts a resolution delivered after the window, ended within it, as healed', async () => {
    const entry = intent();
    tracker.started(entry);
    tracker.ended(ended(entry, 'succeeded'));
    now = T0 + WINDOW + 4 * 60_000; // Alertmanager's group_interval delayed it
    tracker.sweep();
    tracker.resolved(resolvedAlert(T0 + WINDOW - 1000));
    expect([await effective(), await ineffective()]).toEqual([1, 0]);
  });

  it('counts an alert that resolved while the action ran as healed once the action succeeds', async () => {
    const entry = intent();
    tracker.started(entry);
    now = T0 + 1000;
    tracker.resolved(resolvedAlert(T0 + 500));
    expect(await effective()).toBe(0);
    now = T0 + 5000;
    tracker.ended(ended(entry, 'succeeded'));
    expect([await effective(), tracker.tracked]).toEqual([1, 0]);
  });

  it('counts nothing for an action that failed, and forgets it', async () => {
    const entry = intent();
    tracker.started(entry);
    tracker.resolved(resolvedAlert(T0));
    tracker.ended(ended(entry, 'failed'));
    now = T0 + 2 * WINDOW;
    tracker.sweep();
    expect([await effective(), await ineffective(), tracker.tracked]).toEqual([0, 0, 0]);
    expect(await histogram({ policy: 'restart', outcome: 'failed' })).toMatchObject({ count: 1 });
  });

  it('counts once per alert and policy when a policy has two actions, from the first success', async () => {
    const first = intent();
    const second = intent();
    tracker.started(first);
    tracker.started(second);
    tracker.ended(ended(first, 'succeeded'));
    now = T0 + 1000;
    tracker.ended(ended(second, 'succeeded'));
    tracker.resolved(resolvedAlert(T0 + 2000));
    expect([await effective(), tracker.tracked]).toEqual([1, 0]);
  });

  it('counts each policy that acted on the same alert apart', async () => {
    const a = intent({ policy: 'a' });
    const b = intent({ policy: 'b' });
    tracker.started(a);
    tracker.started(b);
    tracker.ended(ended(a, 'succeeded'));
    tracker.ended(ended(b, 'succeeded'));
    now = T0 + 60_000;
    tracker.resolved(resolvedAlert(T0 + 60_000));
    expect([await effective('a'), await effective('b')]).toEqual([1, 1]);
  });

  it('leaves dry runs and onResolved actions out', async () => {
    for (const entry of [intent({ verdict: 'dry-run' }), intent({ phase: 'onResolved', fingerprint: 'f2' })]) {
      tracker.started(entry);
      tracker.ended(ended(entry, 'succeeded'));
    }
    expect(tracker.tracked).toBe(0);
    tracker.resolved(resolvedAlert(T0));
    expect([await effective(), (await histogram({})).count]).toEqual([0, 0]);
  });

  it('counts a success of an action it was not told of (run after an approval)', async () => {
    tracker.ended(ended(intent(), 'succeeded'));
    now = T0 + 1000;
    tracker.resolved(resolvedAlert(T0 + 1000));
    expect(await effective()).toBe(1);
  });

  it('holds at most maxTracked pairs of alert and policy', async () => {
    make(2);
    for (const fingerprint of ['f1', 'f2', 'f3']) tracker.started(intent({ fingerprint }));
    expect(tracker.tracked).toBe(2);
  });

  it('counts the windows that ended at each scrape', async () => {
    metrics.setRemediationSweep(() => tracker.sweep());
    const entry = intent();
    tracker.started(entry);
    tracker.ended(ended(entry, 'succeeded'));
    now = T0 + WINDOW + RESOLUTION_GRACE_MS + 1;
    const text = await metrics.registry.metrics();
    expect(text).toContain('homeostat_remediation_ineffective_total{policy="restart"} 1');
    expect(text).toContain('homeostat_remediation_tracked 0');
  });
});
