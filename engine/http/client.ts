/**
 * engine/http: the one module that makes outbound HTTP requests (notifications, Prometheus
 * queries), and the only importer of undici. It owns the SSRF guard (the address connected to
 * is checked at connect time, redirects are never followed), the bound on a response's size,
 * retries with backoff within one timeout, and secrets masked in every error it throws. It
 * must not know what the requests are for: engine/actions/ and the enrichment decide that.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request as undiciRequest } from 'undici';
import { redact } from '../exec/redact.js';
import { guardedConnector } from './connector.js';
import { OUTBOUND_FAILURES, OutboundError } from './errors.js';
import { systemResolver } from './guard.js';
import type { Resolver } from './guard.js';
import { backoffMs, retryAfterMs } from './retry.js';

export { OUTBOUND_FAILURES, OutboundError } from './errors.js';
export type { OutboundFailure } from './errors.js';
export { decideAddresses, hostAllowed, resolveChecked, systemResolver, ALLOWLIST_SETTING } from './guard.js';
export type { Resolver, ResolvedAddress } from './guard.js';
export { nonPublicRange } from './address.js';

export type OutboundMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface OutboundRequest {
  url: string;
  method: OutboundMethod;
  headers?: Record<string, string>;
  body?: string;
  /** The whole exchange, retries and their pauses included. */
  timeoutMs: number;
  /** Try again after a connection error, a 5xx or a 429 (honouring Retry-After), within timeoutMs. */
  retry?: boolean;
  /** Hosts allowed to resolve to non-public addresses (homeostat.yaml spec.outbound.allowHosts). */
  allowHosts: readonly string[];
  signal?: AbortSignal;
  /** Masked as '***' in every error message and in the response body returned with an error. */
  secrets?: readonly string[];
  /** The largest response body read, in bytes (default 1 MiB); larger is an error. */
  maxResponseBytes?: number;
  /** Told of each attempt as it ends: its status, or why it got none (secrets masked). */
  onAttempt?(attempt: AttemptReport): void;
}

export interface AttemptReport {
  attempt: number;
  status: number | null;
  error: string | null;
}

export interface OutboundResponse {
  status: number;
  /** Lower-case names; repeated headers joined with ', '. */
  headers: Record<string, string>;
  body: string;
  /** Attempts made, this one included. */
  attempts: number;
}

export interface HttpClientOptions {
  /** How names are resolved (tests answer a private address for a public-looking name). */
  resolve?: Resolver;
  random?: () => number;
}

export interface HttpClient {
  send(request: OutboundRequest): Promise<OutboundResponse>;
  /** Closes the pooled connections. */
  close(): Promise<void>;
}

const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;
const CONNECT_TIMEOUT_MS = 10_000;

export function createHttpClient(options: HttpClientOptions = {}): HttpClient {
  const resolve = options.resolve ?? systemResolver;
  const random = options.random ?? Math.random;
  // One pool per allowlist: the connector is fixed when an Agent is made.
  const agents = new Map<string, Agent>();
  function agentFor(allowHosts: readonly string[]): Agent {
    const key = JSON.stringify(allowHosts);
    let agent = agents.get(key);
    if (agent === undefined) {
      agent = new Agent({ connect: guardedConnector(allowHosts, resolve, CONNECT_TIMEOUT_MS) });
      agents.set(key, agent);
    }
    return agent;
  }
  return {
    send: (request) => sendWith(agentFor(request.allowHosts), request, random),
    async close() {
      const closing = [...agents.values()].map((agent) => agent.close());
      agents.clear();
      await Promise.all(closing);
    },
  };
}

const defaultClient = createHttpClient();

/** Sends one request through the engine's shared client; throws an OutboundError saying why it failed. */
export function send(request: OutboundRequest): Promise<OutboundResponse> {
  return defaultClient.send(request);
}

async function sendWith(agent: Agent, request: OutboundRequest, random: () => number): Promise<OutboundResponse> {
  const secrets = request.secrets ?? [];
  const prepared = prepare(request, secrets);
  const deadline = Date.now() + request.timeoutMs;
  const timeout = AbortSignal.timeout(request.timeoutMs);
  const signal = request.signal ? AbortSignal.any([timeout, request.signal]) : timeout;
  for (let attempts = 1; ; attempts++) {
    let failure: OutboundError;
    try {
      const response = await exchange(agent, prepared, request, signal, attempts);
      request.onAttempt?.({ attempt: attempts, status: response.status, error: null });
      if (response.status >= 200 && response.status < 300) return response;
      failure = statusError(prepared.label, response, secrets);
    } catch (error) {
      failure = outboundError(error, prepared.label, request, timeout, secrets);
      if (failure.failure !== OUTBOUND_FAILURES.refused && failure.failure !== OUTBOUND_FAILURES.invalid) {
        request.onAttempt?.({ attempt: attempts, status: null, error: failure.message });
      }
    }
    if (failure.failure !== OUTBOUND_FAILURES.refused && failure.failure !== OUTBOUND_FAILURES.invalid) failure.attempts = attempts;
    if (!request.retry || !failure.retryable) throw failure;
    const pause = retryAfterMs(failure.response?.headers['retry-after'], Date.now()) ?? backoffMs(attempts, random);
    if (Date.now() + pause >= deadline) throw failure;
    try {
      await sleep(pause, undefined, { signal });
    } catch (error) {
      throw outboundError(error, prepared.label, request, timeout, secrets);
    }
  }
}

interface Prepared {
  url: URL;
  headers: Record<string, string>;
  /** What errors call the request: method and origin, never the path (a webhook's path is its secret). */
  label: string;
}

function prepare(request: OutboundRequest, secrets: readonly string[]): Prepared {
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    throw new OutboundError(OUTBOUND_FAILURES.invalid, redact(`${request.method} ${request.url}: not a URL`, secrets));
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new OutboundError(OUTBOUND_FAILURES.invalid, `${request.method} ${url.protocol} URL: only http and https URLs are sent`);
  }
  const label = `${request.method} ${url.origin}`;
  const headers = { ...request.headers };
  if (url.username !== '' || url.password !== '') {
    const user = decodeURIComponent(url.username);
    const password = decodeURIComponent(url.password);
    headers.authorization ??= `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    url.username = '';
    url.password = '';
  }
  return { url, headers, label };
}

async function exchange(agent: Agent, prepared: Prepared, request: OutboundRequest, signal: AbortSignal, attempts: number): Promise<OutboundResponse> {
  const answer = await undiciRequest(prepared.url, {
    method: request.method,
    headers: prepared.headers,
    body: request.body,
    dispatcher: agent,
    signal,
  });
  const body = await readBounded(answer.body, request.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES, prepared.label);
  return { status: answer.statusCode, headers: flatHeaders(answer.headers), body, attempts };
}

async function readBounded(body: AsyncIterable<Buffer> & { destroy(error?: Error): void }, maxBytes: number, label: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > maxBytes) {
      body.destroy();
      throw new OutboundError(OUTBOUND_FAILURES.tooLarge, `${label}: the response is larger than ${maxBytes} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function flatHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

function statusError(label: string, response: OutboundResponse, secrets: readonly string[]): OutboundError {
  const masked = { ...response, body: redact(response.body, secrets) };
  if (response.status >= 300 && response.status < 400) {
    return new OutboundError(OUTBOUND_FAILURES.redirect, `${label}: HTTP ${response.status}, a redirect, not followed`, masked);
  }
  const line = firstLine(masked.body);
  return new OutboundError(OUTBOUND_FAILURES.status, redact(`${label}: HTTP ${response.status}${line === '' ? '' : `: ${line}`}`, secrets), masked);
}

/** The receiver's first line of text, at most 200 characters, for a one-line reason. */
export function firstLine(body: string): string {
  const line = body.trimStart().split(/\r?\n/, 1)[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

function outboundError(error: unknown, label: string, request: OutboundRequest, timeout: AbortSignal, secrets: readonly string[]): OutboundError {
  if (error instanceof OutboundError) return error;
  if (timeout.aborted) return new OutboundError(OUTBOUND_FAILURES.timeout, `${label}: no answer within ${request.timeoutMs} ms`);
  if (request.signal?.aborted) return new OutboundError(OUTBOUND_FAILURES.aborted, `${label}: aborted`);
  const cause = error as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  const code = cause.code ?? cause.cause?.code ?? cause.name;
  return new OutboundError(OUTBOUND_FAILURES.connection, redact(`${label}: ${cause.message} (${code})`, secrets), null, code);
}
