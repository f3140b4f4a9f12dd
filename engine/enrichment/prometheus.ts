/**
 * engine/enrichment: the engine's enrichment source, a real Prometheus. Each query is one
 * instant query (POST URL/api/v1/query) through engine/http, bounded by what is left of the
 * payload's deadline, never retried (a retry would only eat the time the webhook's answer
 * waits on). The Prometheus host is allowed to be on loopback or a private network: it is the
 * operator's own, named in homeostat.yaml or by `--prometheus-url`, never by an alert.
 * Owns no decision: a failure is thrown with a reason fit for the audit, and the policy fails
 * closed (engine/policy/enrichment.ts).
 */
import { OUTBOUND_FAILURES, OutboundError, send as sendOutbound } from '../http/client.js';
import type { OutboundRequest, OutboundResponse } from '../http/client.js';
import type { EnrichmentSource, EnrichmentValue, QueryContext } from '../policy/enrichment.js';
import type { PrometheusSettings } from '../policy/types.js';
import { readSecret } from '../actions/secrets.js';
import type { SecretRef as Ref } from '../actions/secrets.js';

/** How a query ended, for the metrics: a bounded set. */
export type QueryOutcome = 'ok' | 'no-data' | 'timeout' | 'error';

export interface PrometheusDeps {
  send?: (request: OutboundRequest) => Promise<OutboundResponse>;
  env?: NodeJS.ProcessEnv;
  clock?: () => number;
  /** Told of every query as it ends. */
  onQuery?(outcome: QueryOutcome, seconds: number): void;
}

/** Prometheus's instant-query answer (its HTTP API v1). */
interface QueryAnswer {
  status?: string;
  errorType?: string;
  error?: string;
  data?: { resultType?: string; result?: unknown };
}

export class PrometheusSource implements EnrichmentSource {
  readonly timeoutMs: number;
  private readonly endpoint: string;
  private readonly origin: string;
  private readonly allowHosts: readonly string[];
  private readonly headers: Record<string, string>;
  private readonly secrets: readonly string[];
  /** Why no query can be made (a secret that cannot be read), or null. */
  private readonly broken: string | null;
  private readonly send: (request: OutboundRequest) => Promise<OutboundResponse>;
  private readonly clock: () => number;

  constructor(
    settings: PrometheusSettings,
    private readonly deps: PrometheusDeps = {},
  ) {
    const url = new URL(settings.url);
    this.timeoutMs = settings.timeoutMs;
    this.origin = url.origin;
    this.endpoint = `${url.origin}${url.pathname.replace(/\/+$/, '')}/api/v1/query`;
    this.allowHosts = [url.hostname];
    this.send = deps.send ?? sendOutbound;
    this.clock = deps.clock ?? Date.now;
    const auth = authorization(settings, deps.env ?? process.env);
    this.headers = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...(auth.header ? { authorization: auth.header } : {}) };
    this.secrets = auth.secrets;
    this.broken = auth.error;
  }

  async query(query: string, context: QueryContext): Promise<EnrichmentValue> {
    const started = this.clock();
    try {
      const value = valueOf(await this.ask(query, context.deadline, started), this.origin);
      this.deps.onQuery?.(value === null ? 'no-data' : 'ok', (this.clock() - started) / 1000);
      return value;
    } catch (error) {
      this.deps.onQuery?.(error instanceof TimedOut ? 'timeout' : 'error', (this.clock() - started) / 1000);
      throw error;
    }
  }

  /** Every series of an instant vector, with its labels (minHealthy's node health, engine/health/). */
  async series(query: string): Promise<Series[]> {
    const answer = await this.ask(query, null, this.clock());
    if (answer.status !== 'success' || !answer.data) throw new Error(`Prometheus ${this.origin}: ${answer.errorType ?? 'error'}: ${answer.error ?? 'no data in the answer'}`);
    if (answer.data.resultType !== 'vector') throw new Error(`Prometheus ${this.origin}: the query gives a ${answer.data.resultType ?? 'unknown'} result; give an instant vector, one series per node`);
    return (answer.data.result as { metric?: Record<string, string>; value: [number, string] }[]).map((s) => ({ labels: s.metric ?? {}, value: sampleValue(s.value[1]) }));
  }

  private async ask(query: string, deadline: number | null, now: number): Promise<QueryAnswer> {
    if (this.broken) throw new Error(`Prometheus ${this.origin}: ${this.broken}`);
    const timeoutMs = Math.min(this.timeoutMs, (deadline ?? Infinity) - now);
    if (timeoutMs <= 0) throw new TimedOut(`Prometheus ${this.origin}: no time left: this webhook's queries took the whole enrichment timeout (${this.timeoutMs} ms)`);
    let response: OutboundResponse;
    try {
      response = await this.send({ url: this.endpoint, method: 'POST', headers: this.headers, body: `query=${encodeURIComponent(query)}`, timeoutMs, retry: false, allowHosts: this.allowHosts, secrets: this.secrets });
    } catch (error) {
      if (error instanceof OutboundError && error.response) throw new Error(`Prometheus ${this.origin}: HTTP ${error.response.status}${apiError(error.response.body)}`);
      if (error instanceof OutboundError && error.failure === OUTBOUND_FAILURES.timeout) throw new TimedOut(`Prometheus ${error.message}`);
      throw new Error(`Prometheus ${(error as Error).message}`);
    }
    return parse(response.body, this.origin);
  }
}

/** One series of an instant vector. */
export interface Series {
  labels: Record<string, string>;
  value: number;
}

/** No answer within the time left: counted apart from errors. */
class TimedOut extends Error {}

function authorization(settings: PrometheusSettings, env: NodeJS.ProcessEnv): { header: string | null; secrets: string[]; error: string | null } {
  try {
    if (settings.bearerToken) {
      const token = readSecret(settings.bearerToken as Ref, env);
      return { header: `Bearer ${token}`, secrets: [token], error: null };
    }
    if (settings.basicAuth) {
      const password = readSecret(settings.basicAuth.password as Ref, env);
      const encoded = Buffer.from(`${settings.basicAuth.username}:${password}`).toString('base64');
      return { header: `Basic ${encoded}`, secrets: [password, encoded], error: null };
    }
  } catch (error) {
    return { header: null, secrets: [], error: `homeostat.yaml prometheus auth: ${(error as Error).message}` };
  }
  return { header: null, secrets: [], error: null };
}

function apiError(body: string): string {
  try {
    const answer = JSON.parse(body) as QueryAnswer;
    if (answer.error) return `: ${answer.errorType ?? 'error'}: ${answer.error.split('\n')[0]!.slice(0, 300)}`;
  } catch {
    // not Prometheus's JSON: the status says enough
  }
  return '';
}

function parse(body: string, origin: string): QueryAnswer {
  try {
    return JSON.parse(body) as QueryAnswer;
  } catch {
    throw new Error(`Prometheus ${origin}: the answer is not JSON; is the URL a Prometheus (its /api/v1/query)?`);
  }
}

/**
 * An instant query's value as a condition compares it: one series or a scalar is a number
 * (NaN and ±Inf as Prometheus says them), no series is null, a string result is a string.
 * Several series are refused: which one a condition meant cannot be guessed.
 */
export function valueOf(answer: QueryAnswer, origin: string): EnrichmentValue {
  if (answer.status !== 'success' || !answer.data) throw new Error(`Prometheus ${origin}: ${answer.errorType ?? 'error'}: ${answer.error ?? 'no data in the answer'}`);
  const { resultType, result } = answer.data;
  if (resultType === 'scalar' || resultType === 'string') {
    const text = (result as [number, string])[1];
    return resultType === 'string' ? text : sampleValue(text);
  }
  if (resultType !== 'vector') throw new Error(`Prometheus ${origin}: the query gives a ${resultType ?? 'unknown'} result; give an instant vector or a scalar`);
  const series = result as { value: [number, string] }[];
  if (series.length === 0) return null;
  if (series.length > 1) throw new Error(`Prometheus ${origin}: the query gives ${series.length} series; make it give one (match one series, or aggregate: max(…), sum(…))`);
  return sampleValue(series[0]!.value[1]);
}

/** A sample as Prometheus writes it: a float, NaN, +Inf or -Inf. */
function sampleValue(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}
