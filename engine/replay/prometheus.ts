/**
 * Range queries of `ALERTS` over a long range, one chunk at a time, through engine/http (the
 * SSRF guard, a bound on each answer, retries). A chunk's answer is turned into series and
 * handed on before the next is asked for, so a week is never held at once.
 */
import { OUTBOUND_FAILURES, OutboundError, send } from '../http/client.js';
import type { OutboundRequest, OutboundResponse } from '../http/client.js';
import { alertLabels } from './episodes.js';
import type { ChunkSeries } from './episodes.js';

/** Prometheus refuses a range query of more points than this per series. */
export const MAX_POINTS = 11_000;
/** The largest chunk answer read; a larger one asks for a smaller --chunk or a narrower --match. */
const MAX_CHUNK_BYTES = 64 * 1024 * 1024;
const CHUNK_TIMEOUT_MS = 60_000;

export interface RangeQuery {
  /** Prometheus' base URL, e.g. http://prometheus:9090 (a path prefix is kept). */
  url: string;
  query: string;
  from: number;
  to: number;
  stepMs: number;
  chunkMs: number;
  /** engine/http's send; tests need none other. */
  send?: (request: OutboundRequest) => Promise<OutboundResponse>;
}

export interface Chunk {
  /** The chunk's last evaluation time (ms). */
  end: number;
  series: ChunkSeries[];
}

export class PrometheusError extends Error {}

interface Matrix {
  status: string;
  error?: string;
  data?: { resultType?: string; result?: { metric: Record<string, string>; values: [number, string][] }[] };
}

/** The evaluation windows: each chunk holds whole steps, the last ends at `to`. */
export function chunkBounds(from: number, to: number, stepMs: number, chunkMs: number): { start: number; end: number }[] {
  const steps = Math.max(1, Math.floor(chunkMs / stepMs));
  const bounds: { start: number; end: number }[] = [];
  for (let start = from; start <= to; start += steps * stepMs) bounds.push({ start, end: Math.min(start + (steps - 1) * stepMs, to) });
  return bounds;
}

function endpoint(base: string, start: number, end: number, q: RangeQuery): string {
  const url = new URL('api/v1/query_range', base.endsWith('/') ? base : `${base}/`);
  url.searchParams.set('query', q.query);
  url.searchParams.set('start', String(start / 1000));
  url.searchParams.set('end', String(end / 1000));
  url.searchParams.set('step', `${q.stepMs / 1000}s`);
  return url.toString();
}

function seriesOf(body: string, label: string): ChunkSeries[] {
  let answer: Matrix;
  try {
    answer = JSON.parse(body) as Matrix;
  } catch {
    throw new PrometheusError(`${label}: the answer is not JSON; is this the Prometheus HTTP API?`);
  }
  if (answer.status !== 'success' || answer.data?.resultType !== 'matrix' || !Array.isArray(answer.data.result)) {
    throw new PrometheusError(`${label}: ${answer.error ?? 'not a range query answer (matrix)'}`);
  }
  return answer.data.result.map((r) => ({
    labels: alertLabels(r.metric),
    // A NaN is no firing (a value written where a staleness marker would be).
    times: r.values.filter(([, v]) => !Number.isNaN(Number(v))).map(([t]) => Math.round(t * 1000)),
  }));
}

/** The error Prometheus gives in a 4xx or 5xx answer's JSON, if it gave one. */
function prometheusError(body: string): string | undefined {
  try {
    return (JSON.parse(body) as Matrix).error;
  } catch {
    return undefined;
  }
}

/** Each chunk's series, in time order. */
export async function* queryChunks(q: RangeQuery): AsyncGenerator<Chunk> {
  const host = new URL(q.url).hostname;
  const sendRequest = q.send ?? send;
  for (const { start, end } of chunkBounds(q.from, q.to, q.stepMs, q.chunkMs)) {
    const label = `Prometheus ${new URL(q.url).origin}, ${new Date(start).toISOString()} to ${new Date(end).toISOString()}`;
    let response: OutboundResponse;
    try {
      // The reviewer named this Prometheus: its host is allowed, loopback and private included.
      response = await sendRequest({ url: endpoint(q.url, start, end, q), method: 'GET', timeoutMs: CHUNK_TIMEOUT_MS, retry: true, allowHosts: [host], maxResponseBytes: MAX_CHUNK_BYTES });
    } catch (error) {
      if (!(error instanceof OutboundError)) throw error;
      if (error.failure === OUTBOUND_FAILURES.tooLarge) throw new PrometheusError(`${label}: the answer is larger than ${MAX_CHUNK_BYTES} bytes; give a smaller --chunk or a narrower --match`);
      const detail = error.response ? prometheusError(error.response.body) : undefined;
      throw new PrometheusError(detail ? `${label}: ${detail}` : error.message);
    }
    yield { end, series: seriesOf(response.body, label) };
  }
}
