/**
 * Enrichment of one alert for one policy: its queries rendered from the alert (escaped,
 * template/promql.ts), asked of a source (Prometheus in the engine and `simulate
 * --prometheus-url`, a test case's values in `homeostat test`), each rendered query asked once
 * per alert evaluation. Pure but for the source it is given.
 *
 * Fail closed: when a query cannot be answered (the source down, slow past the deadline, an
 * error, no source at all), the result carries the reason and the policy takes no action; when
 * a query cannot be rendered (a label it needs is missing) the policy does not match, as a
 * condition on that label would not.
 */
import type { Alert } from '../alerts/payload.js';
import { renderPromql } from '../template/promql.js';
import type { PromqlTemplate } from '../template/promql.js';
import { TemplateRenderError } from '../template/template.js';

/** A query's value: a number (one series, or a scalar), a string, or null (no series). */
export type EnrichmentValue = number | string | null;

/** A query of a policy: an `enrich:` entry (named) or a `prometheus` condition's own query. */
export interface CompiledEnrichment {
  name: string | null;
  source: string;
  query: PromqlTemplate;
}

/** What the audit records of each query. */
export interface EnrichmentRecord {
  name: string | null;
  query: string;
  value?: EnrichmentValue;
  error?: string;
}

export interface EnrichmentResult {
  /** By enrich name: `{{ enrichment.NAME }}`. A null value (no series) is left out, so a template reading it fails. */
  values: Record<string, EnrichmentValue>;
  /** By query source: the `prometheus` fact's values. */
  bySource: ReadonlyMap<string, EnrichmentValue>;
  records: EnrichmentRecord[];
  /** Why a query was not answered: the policy fails closed. */
  error: string | null;
}

export interface QueryContext {
  alert: Alert;
  /** The enrich entry's name; null for a condition's own query. */
  name: string | null;
  /** When the answer is due (ms since the epoch): past it the query fails; null: the source's own timeout. */
  deadline: number | null;
}

/** Where enrichment values come from. A failure throws, with a message fit for the audit. */
export interface EnrichmentSource {
  /** How long the queries for one payload may take in all (a deadline is set from it). */
  readonly timeoutMs?: number;
  query(query: string, context: QueryContext): Promise<EnrichmentValue>;
}

/** Said when there is no source to ask. */
export const NO_SOURCE = 'no Prometheus to query: set prometheus.url in homeostat.yaml or give --prometheus-url';

/** Rendered queries and their answers, shared by the policies evaluated for one alert. */
export type QueryCache = Map<string, Promise<EnrichmentValue>>;

/**
 * The policy's queries for the alert, asked concurrently; null when one cannot be rendered
 * (the policy does not match).
 */
export async function enrich(
  queries: readonly CompiledEnrichment[],
  scope: object,
  source: EnrichmentSource | null,
  context: { alert: Alert; deadline: number | null; cache: QueryCache },
): Promise<EnrichmentResult | null> {
  const rendered: string[] = [];
  for (const q of queries) {
    try {
      rendered.push(renderPromql(q.query, scope));
    } catch (error) {
      if (error instanceof TemplateRenderError) return null;
      throw error;
    }
  }
  const answers = await Promise.allSettled(
    queries.map((q, i) => {
      const query = rendered[i]!;
      let answer = context.cache.get(query);
      if (!answer) {
        answer = source ? source.query(query, { alert: context.alert, name: q.name, deadline: context.deadline }) : Promise.reject(new Error(NO_SOURCE));
        context.cache.set(query, answer);
      }
      return answer;
    }),
  );
  const result: EnrichmentResult = { values: {}, bySource: new Map(), records: [], error: null };
  const bySource = result.bySource as Map<string, EnrichmentValue>;
  answers.forEach((answer, i) => {
    const q = queries[i]!;
    const query = rendered[i]!;
    if (answer.status === 'rejected') {
      const error = (answer.reason as Error)?.message ?? String(answer.reason);
      result.records.push({ name: q.name, query, error });
      result.error ??= `enrichment ${q.name ?? JSON.stringify(query)}: ${error}`;
      return;
    }
    // JSON has no NaN or ±Inf: the audit says them as Prometheus does.
    const recorded = typeof answer.value === 'number' && !Number.isFinite(answer.value) ? promNumber(answer.value) : answer.value;
    result.records.push({ name: q.name, query, value: recorded });
    bySource.set(q.source, answer.value);
    if (q.name !== null && answer.value !== null) result.values[q.name] = answer.value;
  });
  return result;
}

function promNumber(value: number): string {
  return Number.isNaN(value) ? 'NaN' : value > 0 ? '+Inf' : '-Inf';
}
