/**
 * The approvals' and the kill switch's metrics, on the engine's registry, read when scraped:
 * how many approvals wait for a person (alert on one waiting long: it will expire), and
 * whether the engine refuses new actions because it is paused (either switch).
 */
import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';

export function approvalMetrics(registry: Registry, read: { pending(): number; paused(): boolean }): void {
  const registers = [registry];
  new Gauge({
    name: 'homeostat_approvals_pending',
    help: 'Actions held for approval, waiting for an answer.',
    registers,
    collect() {
      this.set(read.pending());
    },
  });
  new Gauge({
    name: 'homeostat_paused',
    help: "1 while new actions are refused by a pause (homeostat.yaml's paused: true, or homeostat pause), else 0.",
    registers,
    collect() {
      this.set(read.paused() ? 1 : 0);
    },
  });
}
