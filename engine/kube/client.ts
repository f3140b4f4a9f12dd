/**
 * Requests to the Kubernetes API. Each request has a timeout and ends with the action's
 * signal; 429 and 5xx answers are retried with a bounded exponential backoff (Retry-After is
 * honoured up to the bound), never beyond the action's deadline; a connection that fails is
 * retried for reads only, as a write may have been applied. A session records every call an
 * action made for its audit entry, and in a dry run sends each write with dryRun=All.
 *
 * The credentials and TLS settings come from @kubernetes/client-node's KubeConfig; the
 * requests are made here, on node:http(s), because an operation needs what the generated
 * clients make awkward: a timeout and an abort per request, the patch content types, the
 * eviction subresource's 429 handed back to the caller, and the statuses a retry depends on.
 */
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import type { IncomingMessage, RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LoadedKubeConfig } from './config.js';
import type { ApiStatus } from './errors.js';
import { apiError, KubeApiError } from './errors.js';
import type { Verb } from './permissions.js';
import { isPermitted } from './permissions.js';

export interface KubeRequest {
  verb: Verb;
  apiGroup: string;
  resource: string;
  method: 'GET' | 'PATCH' | 'PUT' | 'POST' | 'DELETE';
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  contentType?: string;
  /** Statuses handed back to the caller rather than thrown or retried (404 while waiting, 409, an eviction's 429). */
  accept?: readonly number[];
}

export interface KubeResponse<T> {
  status: number;
  body: T;
}

/** One request as the audit entry records it. */
export interface ApiCall {
  method: string;
  path: string;
  dryRun: boolean;
  /** 0 when no answer came. */
  status: number;
  attempt: number;
  durationMs: number;
}

export interface KubeClientOptions {
  requestTimeoutMs?: number;
  /** Further attempts after the first, for 429 and 5xx. */
  retries?: number;
  backoffMs?: number;
  maxBackoffMs?: number;
  clock?: () => number;
}

const RETRIED = new Set([429, 500, 502, 503, 504]);
const MAX_BODY = 64 * 1024 * 1024;

export class KubeClient {
  readonly server: string;
  readonly source: string;
  private readonly httpAgent = new HttpAgent({ keepAlive: true });
  private readonly httpsAgent = new HttpsAgent({ keepAlive: true });
  readonly options: Required<KubeClientOptions>;

  constructor(private readonly loaded: LoadedKubeConfig, options: KubeClientOptions = {}) {
    this.server = loaded.server.replace(/\/+$/, '');
    this.source = loaded.source;
    this.options = { requestTimeoutMs: 15_000, retries: 4, backoffMs: 200, maxBackoffMs: 3_000, clock: Date.now, ...options };
  }

  session(options: { signal: AbortSignal; deadline: number; dryRun: boolean }): KubeSession {
    return new KubeSession(this, options.signal, options.deadline, options.dryRun);
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  /** One attempt: the status and the parsed body (null when empty or not JSON). */
  async send(method: string, url: URL, body: string | null, contentType: string | undefined, signal: AbortSignal): Promise<{ status: number; body: unknown; retryAfter: string | undefined }> {
    const options: RequestOptions & { rejectUnauthorized?: boolean } = {
      method,
      headers: { Accept: 'application/json', 'User-Agent': 'homeostat', ...(body !== null ? { 'Content-Type': contentType ?? 'application/json', 'Content-Length': Buffer.byteLength(body) } : {}) },
    };
    await this.loaded.config.applyToHTTPSOptions(options as never);
    const https = url.protocol === 'https:';
    return new Promise((resolve, reject) => {
      const req = (https ? httpsRequest : httpRequest)(url, { ...options, agent: https ? this.httpsAgent : this.httpAgent, signal }, (res) => {
        readBody(res).then((text) => resolve({ status: res.statusCode ?? 0, body: parseJson(text), retryAfter: header(res, 'retry-after') }), reject);
      });
      req.on('error', reject);
      req.end(body ?? undefined);
    });
  }
}

export class KubeSession {
  readonly calls: ApiCall[] = [];
  /** When the first request was sent (the benchmark's figure). */
  firstRequestAt: number | null = null;

  constructor(
    private readonly client: KubeClient,
    readonly signal: AbortSignal,
    readonly deadline: number,
    readonly dryRun: boolean,
  ) {}

  now(): number {
    return this.client.options.clock();
  }

  async request<T>(req: KubeRequest): Promise<KubeResponse<T>> {
    if (!isPermitted(req.apiGroup, req.resource, req.verb)) {
      throw new Error(`bug: ${req.verb} ${req.resource} (group "${req.apiGroup}") is not in KUBE_PERMISSIONS; list it there and in deploy/rbac.yaml`);
    }
    const { options } = this.client;
    const write = req.method !== 'GET';
    const dryRun = write && this.dryRun;
    const url = new URL(this.client.server + req.path);
    for (const [key, value] of Object.entries(req.query ?? {})) url.searchParams.set(key, value);
    if (dryRun) url.searchParams.set('dryRun', 'All');
    const body = req.body === undefined ? null : JSON.stringify(req.body);
    for (let attempt = 1; ; attempt++) {
      const left = this.deadline - this.now();
      if (left <= 0) throw new KubeApiError(`${req.method} ${req.path}: the action's time ran out before the request was sent`, 0, null);
      const signal = AbortSignal.any([this.signal, AbortSignal.timeout(Math.min(options.requestTimeoutMs, left))]);
      const started = this.now();
      this.firstRequestAt ??= started;
      const call: ApiCall = { method: req.method, path: url.pathname + (req.query ? `?${new URLSearchParams(req.query).toString()}` : ''), dryRun, status: 0, attempt, durationMs: 0 };
      this.calls.push(call);
      let answer: Awaited<ReturnType<KubeClient['send']>>;
      try {
        answer = await this.client.send(req.method, url, body, req.contentType, signal);
      } catch (error) {
        call.durationMs = this.now() - started;
        if (this.signal.aborted) throw new KubeApiError(`${req.method} ${req.path}: interrupted: the engine was stopping`, 0, null);
        const why = signal.aborted ? `no answer within ${Math.min(options.requestTimeoutMs, left)} ms` : (error as Error).message;
        if (write || attempt > options.retries) throw new KubeApiError(`${req.method} ${this.client.server}${req.path}: ${why}`, 0, null);
        await this.pause(attempt, undefined);
        continue;
      }
      call.status = answer.status;
      call.durationMs = this.now() - started;
      if (answer.status >= 200 && answer.status < 300) return { status: answer.status, body: answer.body as T };
      if (req.accept?.includes(answer.status)) return { status: answer.status, body: answer.body as T };
      if (RETRIED.has(answer.status) && attempt <= options.retries && (await this.pause(attempt, answer.retryAfter))) continue;
      throw apiError({ ...req }, answer.status, asStatus(answer.body));
    }
  }

  /** Waits before another attempt; false when the deadline would pass first. */
  private async pause(attempt: number, retryAfter: string | undefined): Promise<boolean> {
    const { backoffMs, maxBackoffMs } = this.client.options;
    const asked = retryAfter !== undefined && /^\d+$/.test(retryAfter) ? Number(retryAfter) * 1000 : 0;
    const wait = Math.min(maxBackoffMs, Math.max(asked, backoffMs * 2 ** (attempt - 1)));
    if (this.now() + wait >= this.deadline) return false;
    await sleep(wait, undefined, { signal: this.signal }).catch(() => undefined);
    return !this.signal.aborted;
  }
}

function asStatus(body: unknown): ApiStatus | null {
  return body && typeof body === 'object' ? (body as ApiStatus) : null;
}

function header(res: IncomingMessage, name: string): string | undefined {
  const value = res.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function readBody(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) {
      res.destroy();
      throw new Error(`the answer is larger than ${MAX_BODY} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
