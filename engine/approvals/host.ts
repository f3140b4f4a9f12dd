/**
 * What the approvals and the kill switch are given of the engine (engine/runtime/engine.ts
 * wires it): the state they keep, the clock, the active policy set, and the engine's own way
 * of deciding — in a turn of its own, journaled (entries, state, guards' memory in one write)
 * before it resolves — and of running an action (audit commit first).
 */
import type { Logger } from 'pino';
import type { Alert } from '../alerts/payload.js';
import type { AuditEntry } from '../audit/entry.js';
import type { RuntimePause } from '../plan/guards.js';
import type { GuardLedger } from '../plan/ledger.js';
import type { GuardFacts } from '../plan/node-guards.js';
import type { CompiledAction, OutboundSettings, PolicySet, ResolvedSettings } from '../policy/types.js';
import type { StateChange, StateStore } from '../state/store.js';

/** An action a payload's decision held for approval (runtime/intake.ts collects them). */
export interface Held {
  entry: AuditEntry;
  alert: Alert;
  /** The policy's approval ttl. */
  ttlMs: number;
}

/** An approved action, as the engine's executor runs it (a runtime Job). */
export interface ApprovedJob {
  entry: AuditEntry;
  alert: Alert;
  action: CompiledAction;
  outbound: OutboundSettings;
  settings: ResolvedSettings;
}

export interface Decided {
  entries: AuditEntry[];
  /** Dedup keys to remember. */
  seen: string[];
  /** State to change in the same journal write. */
  changes?: StateChange[];
}

export interface ApprovalHost {
  clock(): number;
  log: Logger;
  state: StateStore;
  /** `serve --dry-run`: an approved action runs in dry-run. */
  dryRun: boolean;
  active(): { set: PolicySet; root: string } | null;
  /** The pause in force through the API (pause.ts), read when an approval is answered. */
  pause(): RuntimePause | null;
  /**
   * Runs `task` in a turn of the engine (no payload is decided meanwhile) and journals what it
   * returns in one write; resolves, once that is durable, with the promise of each entry's
   * commit to the audit repository. Throws NotReadyError when nothing can be decided durably.
   */
  decide(task: (ledger: GuardLedger, now: number) => Decided): Promise<Map<string, Promise<void>>>;
  /**
   * What the node guards (minHealthy, protected) need to know to check these actions of the
   * active revision now, read before the turn as a payload's are; absent: nothing is read.
   */
  facts?(actions: readonly CompiledAction[]): Promise<GuardFacts>;
  /** Queues a job whose intent is journaled; it starts once `committed` (its intent in git). */
  submit(job: ApprovedJob, committed: Promise<void>, repoDir: string): void;
}

/** An engine event entry (kind event) at `now`. */
export function eventEntry(id: string, now: number, revision: string, name: 'paused' | 'resumed', message: string, details: Record<string, unknown>): AuditEntry {
  return { apiVersion: 'homeostat.dev/v1', kind: 'event', id, at: new Date(now).toISOString(), revision, event: { name, message, details } };
}
