/**
 * The guards' ledger written the plainest way: lists and a map, every query a scan. The
 * reference the engine's IndexedLedger is checked against (test/unit/runtime/ledger.test.ts).
 */
import type { GuardLedger, LedgerEntry } from '../../engine/plan/ledger.js';

export class MemoryLedger implements GuardLedger {
  private readonly keys = new Set<string>();
  private readonly entries: LedgerEntry[] = [];
  private readonly last = new Map<string, number>();

  seen(key: string): boolean {
    return this.keys.has(key);
  }

  markSeen(key: string): void {
    this.keys.add(key);
  }

  lastStart(policy: string, phase: string, target: string): number | undefined {
    return this.last.get(`${policy}\0${phase}\0${target}`);
  }

  countPolicy(policy: string, phase: string, since: number): number {
    return this.entries.filter((e) => e.policy === policy && e.phase === phase && e.at >= since).length;
  }

  countDisruptive(since: number): number {
    return this.entries.filter((e) => e.disruptive && e.at >= since).length;
  }

  nthLatestPolicy(policy: string, phase: string, n: number): number | undefined {
    return this.entries.filter((e) => e.policy === policy && e.phase === phase).map((e) => e.at).sort((a, b) => b - a)[n - 1];
  }

  nthLatestDisruptive(n: number): number | undefined {
    return this.entries.filter((e) => e.disruptive).map((e) => e.at).sort((a, b) => b - a)[n - 1];
  }

  record(entry: LedgerEntry): void {
    this.entries.push(entry);
    this.last.set(`${entry.policy}\0${entry.phase}\0${entry.target}`, entry.at);
  }
}
