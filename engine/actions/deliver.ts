/**
 * How a notification type sends one request and reports it as a run: through engine/http, with
 * retries within the action's timeout, secrets masked in what the audit keeps, and in a dry
 * run nothing sent. The audit's `execution.details` says what was (or would have been) sent
 * and the status of every attempt.
 */
import { redact } from '../exec/redact.js';
import { firstLine, OUTBOUND_FAILURES, OutboundError, send } from '../http/client.js';
import type { AttemptReport, OutboundMethod, OutboundResponse } from '../http/client.js';
import { formatDuration } from '../util/duration.js';
import type { RunContext, RunResult } from './types.js';

export interface Delivery {
  method: OutboundMethod;
  url: string;
  /** The URL as the audit shows it: the URL itself, or the secret reference that holds it. */
  shownUrl: string;
  headers: Record<string, string>;
  body: string;
}

/** Sends `delivery` (unless dry run); `secrets` are the values read for it, masked with the engine's own. */
export async function deliver(context: RunContext, delivery: Delivery, secrets: readonly string[]): Promise<RunResult> {
  const masked = [...context.secrets, ...secrets];
  const request = {
    method: delivery.method,
    url: delivery.shownUrl,
    headers: Object.fromEntries(Object.entries(delivery.headers).map(([k, v]) => [k, redact(v, masked)])),
    body: redact(delivery.body, masked),
  };
  if (context.dryRun) {
    return { ...ran(0, 'not sent (dry run)'), outcome: 'succeeded', details: { sent: false, request } };
  }
  const attempts: AttemptReport[] = [];
  const started = Date.now();
  try {
    const response = await send({
      url: delivery.url, method: delivery.method, headers: delivery.headers, body: delivery.body,
      timeoutMs: context.timeoutMs, retry: true, allowHosts: context.outbound?.allowHosts ?? [],
      signal: context.signal, secrets: masked, onAttempt: (a) => attempts.push(a),
    });
    return { ...ran(Date.now() - started, redact(answerLine(response), masked)), outcome: 'succeeded', details: { sent: true, request, attempts } };
  } catch (error) {
    if (!(error instanceof OutboundError)) throw error;
    const result = ran(Date.now() - started, error.response ? redact(answerLine(error.response), masked) : '');
    const details = { sent: attempts.length > 0, request, attempts };
    return { ...result, ...failureOf(error, context.timeoutMs), details };
  }
}

/** A run that never reached the point of sending: a missing secret, a template that gave no JSON. */
export function notSent(reason: string, details: Record<string, unknown> = {}): RunResult {
  return { ...ran(0, ''), outcome: 'failed', reason, details: { sent: false, ...details } };
}

function ran(durationMs: number, output: string): Omit<RunResult, 'outcome'> {
  return { exitCode: null, signal: null, durationMs, pgid: null, command: [], output, outputTruncated: false, reason: null };
}

function answerLine(response: OutboundResponse): string {
  const line = firstLine(response.body);
  return `HTTP ${response.status}${line === '' ? '' : ` ${line}`}`;
}

function failureOf(error: OutboundError, timeoutMs: number): Pick<RunResult, 'outcome' | 'reason'> {
  if (error.failure === OUTBOUND_FAILURES.timeout) return { outcome: 'timed_out', reason: `timed out after ${formatDuration(timeoutMs)}: ${error.message}` };
  if (error.failure === OUTBOUND_FAILURES.aborted) return { outcome: 'interrupted', reason: 'interrupted: the engine was stopping' };
  const tries = error.attempts > 1 ? ` (after ${error.attempts} attempts)` : '';
  return { outcome: 'failed', reason: `${error.message}${tries}` };
}
