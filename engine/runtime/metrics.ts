/**
 * The engine's Prometheus metrics, on a registry of its own (so that tests and two engines in
 * one process never share counters). Label values are bounded sets, never anything from an
 * alert; policy names (the repository's own, a bounded set) label the recovery metrics, for
 * policies whose actions ran, and the refusals.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export function createMetrics(options: { defaults?: boolean } = {}) {
  // Read at each scrape for homeostat_ready; the engine sets it once it exists.
  let readiness: (() => boolean) | null = null;
  // Run at each scrape before homeostat_remediation_tracked is read (windows that ended are counted).
  let sweep: (() => void) | null = null;
  const registry = new Registry();
  if (options.defaults !== false) collectDefaultMetrics({ register: registry, prefix: 'homeostat_' });
  const registers = [registry];
  return {
    registry,
    setReadiness(check: () => boolean): void {
      readiness = check;
    },
    setRemediationSweep(run: () => void): void {
      sweep = run;
    },
    webhookRequests: new Counter({ name: 'homeostat_webhook_requests_total', help: 'Webhook requests by HTTP status code.', labelNames: ['code'] as const, registers }),
    alertsReceived: new Counter({ name: 'homeostat_alerts_received_total', help: 'Alerts received on the webhook, by status.', labelNames: ['status'] as const, registers }),
    alertsTruncated: new Counter({ name: 'homeostat_alerts_truncated_total', help: 'Alerts Alertmanager left out of the webhooks it sent (max_alerts, the payload\'s truncatedAlerts): never seen, never decided.', registers }),
    decisions: new Counter({ name: 'homeostat_decisions_total', help: 'Decisions by verdict (duplicate: a re-sent alert already decided).', labelNames: ['verdict'] as const, registers }),
    actions: new Counter({ name: 'homeostat_actions_total', help: 'Actions that ended, by type and outcome.', labelNames: ['type', 'outcome'] as const, registers }),
    actionDuration: new Histogram({
      name: 'homeostat_action_duration_seconds',
      help: 'How long actions ran, by type.',
      labelNames: ['type'] as const,
      buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
      registers,
    }),
    refusals: new Counter({ name: 'homeostat_refusals_total', help: 'Actions refused, by the guard or check that refused them and by policy (duplicates apart: decisions_total{verdict="duplicate"}).', labelNames: ['guard', 'policy'] as const, registers }),
    // Recovery metrics (remediation.ts). Their policy label is the policy repository's own
    // names, never an alert's: one series per policy that acted.
    // First: its collect() counts the windows that ended, before the counters below are read.
    remediationTracked: new Gauge({
      name: 'homeostat_remediation_tracked',
      help: 'Pairs of alert and policy whose action waits, runs, or succeeded and awaits the resolution.',
      registers,
      collect() {
        sweep?.();
      },
    }),
    timeToRemediation: new Histogram({
      name: 'homeostat_time_to_remediation_seconds',
      help: "Time from an alert's startsAt to the outcome of a live action it triggered, by policy, type and outcome.",
      labelNames: ['policy', 'type', 'outcome'] as const,
      buckets: [10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 43200, 86400],
      registers,
    }),
    remediationEffective: new Counter({ name: 'homeostat_remediation_effective_total', help: "Alerts that resolved within the remediation window after a policy's action succeeded, by policy (once per alert and policy).", labelNames: ['policy'] as const, registers }),
    remediationIneffective: new Counter({ name: 'homeostat_remediation_ineffective_total', help: "Alerts still firing when the remediation window after a policy's successful action ended, by policy (once per alert and policy).", labelNames: ['policy'] as const, registers }),
    queueDepth: new Gauge({ name: 'homeostat_queue_depth', help: 'Actions waiting to run (not yet started).', registers }),
    running: new Gauge({ name: 'homeostat_actions_running', help: 'Actions running now.', registers }),
    auditBacklog: new Gauge({ name: 'homeostat_audit_backlog', help: 'Journaled audit records not yet committed to the audit repository.', registers }),
    auditUnpushed: new Gauge({ name: 'homeostat_audit_unpushed_commits', help: 'Audit commits not yet pushed to the audit remote.', registers }),
    auditFailures: new Counter({ name: 'homeostat_audit_commit_failures_total', help: 'Failed attempts to commit to the audit repository.', registers }),
    policyReloads: new Counter({ name: 'homeostat_policy_reloads_total', help: 'Policy loads by result (activated, rejected).', labelNames: ['result'] as const, registers }),
    policyActive: new Gauge({ name: 'homeostat_policy_active_info', help: 'The active policy revision (value 1).', labelNames: ['revision'] as const, registers }),
    policyCount: new Gauge({ name: 'homeostat_policies', help: 'Policies in the active set.', registers }),
    policyRejected: new Gauge({ name: 'homeostat_policy_rejected_info', help: 'The last policy revision refused, and the code of its first problem (value 1; none since the last activation: no series).', labelNames: ['revision', 'code'] as const, registers }),
    enrichmentQueries: new Counter({ name: 'homeostat_enrichment_queries_total', help: 'Prometheus enrichment queries by result (ok, no-data: no series, timeout, error).', labelNames: ['result'] as const, registers }),
    enrichmentDuration: new Histogram({ name: 'homeostat_enrichment_query_duration_seconds', help: 'How long Prometheus enrichment queries took, failed ones included.', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5], registers }),
    enrichmentRefused: new Counter({ name: 'homeostat_enrichment_refusals_total', help: 'Actions not taken because an enrichment query of their policy failed (fail closed; the reason is audited).', registers }),
    ready: new Gauge({
      name: 'homeostat_ready',
      help: '1 when the engine takes alerts and runs actions.',
      registers,
      collect() {
        if (readiness) this.set(readiness() ? 1 : 0);
      },
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
