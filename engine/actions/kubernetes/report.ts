/** What an operation reports for the audit entry: the object before and after, and what it found. */
export interface ObjectRef {
  kind: string;
  name: string;
  namespace?: string;
}

export interface PodReport {
  namespace: string;
  name: string;
  /** evicted, gone (already), skipped (DaemonSet, mirror) or blocked (by a PodDisruptionBudget). */
  result: 'evicted' | 'gone' | 'skipped' | 'blocked';
  why?: string;
}

export interface OperationReport {
  object: ObjectRef;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  /** Said when nothing needed doing, or of a bound that applied. */
  note?: string;
  pods?: PodReport[];
}

/** Writes that meet a 409 are re-read and sent again this many times in all. */
export const MAX_CONFLICT_ATTEMPTS = 5;

export class ConflictError extends Error {
  constructor(what: string) {
    super(`${what} changed under every one of ${MAX_CONFLICT_ATTEMPTS} attempts (409 Conflict each time); nothing was changed`);
  }
}
