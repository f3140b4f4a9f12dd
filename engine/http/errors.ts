/** Why an outbound request did not give a usable answer, as a typed error a caller can branch on. */
import type { OutboundResponse } from './client.js';

export const OUTBOUND_FAILURES = {
  /** The URL is not http(s), or the request is malformed: a policy or settings mistake. */
  invalid: 'invalid',
  /** The host resolves to a non-public address and is not allowlisted (SSRF guard). */
  refused: 'refused',
  /** The name did not resolve. */
  unresolved: 'unresolved',
  /** No connection, or it broke before an answer (refused, reset, TLS). */
  connection: 'connection',
  /** The receiver answered with a status other than 2xx (4xx, or 5xx/429 after the retries). */
  status: 'status',
  /** A 3xx: redirects are never followed, so a redirect cannot lead to an internal address. */
  redirect: 'redirect',
  /** The answer's body was larger than the bound. */
  tooLarge: 'too-large',
  /** The whole exchange, retries included, took longer than its timeout. */
  timeout: 'timeout',
  /** The caller's signal aborted (the engine is stopping). */
  aborted: 'aborted',
} as const;

export type OutboundFailure = (typeof OUTBOUND_FAILURES)[keyof typeof OUTBOUND_FAILURES];

export class OutboundError extends Error {
  readonly failure: OutboundFailure;
  /** Attempts made, the last one included (0: the request was refused before any was made). */
  attempts: number;
  /** The last answer when there was one (failure 'status' or 'redirect'), body redacted. */
  readonly response: OutboundResponse | null;
  /** The system's code for a connection or resolver failure (ECONNREFUSED, ENOTFOUND), else null. */
  readonly code: string | null;

  constructor(failure: OutboundFailure, message: string, response: OutboundResponse | null = null, code: string | null = null) {
    super(message);
    this.name = 'OutboundError';
    this.failure = failure;
    this.code = code;
    this.attempts = response?.attempts ?? 0;
    this.response = response;
  }

  /** Worth another attempt within the timeout. */
  get retryable(): boolean {
    if (this.failure === OUTBOUND_FAILURES.connection) return true;
    const status = this.response?.status ?? 0;
    return this.failure === OUTBOUND_FAILURES.status && (status >= 500 || status === 429);
  }
}
