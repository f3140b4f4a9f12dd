/**
 * The engine's evaluator of each policy set, with its enrichment source: the Prometheus of
 * the set's homeostat.yaml, its url replaced by `serve --prometheus-url` when given. Made once
 * per set, when the set first decides a payload.
 */
import type { Logger } from 'pino';
import { PrometheusSource } from '../enrichment/prometheus.js';
import { DEFAULT_ENRICHMENT_TIMEOUT_MS } from '../policy/compile.js';
import { Evaluator } from '../policy/evaluate.js';
import type { PolicySet, PrometheusSettings } from '../policy/types.js';
import type { Metrics } from './metrics.js';

export class Evaluators {
  private readonly bySet = new WeakMap<PolicySet, Evaluator>();

  constructor(
    private readonly prometheusUrl: string | null,
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {}

  of(set: PolicySet): Evaluator {
    let evaluator = this.bySet.get(set);
    if (!evaluator) {
      evaluator = new Evaluator(set, this.sourceFor(set));
      this.bySet.set(set, evaluator);
    }
    return evaluator;
  }

  private sourceFor(set: PolicySet): PrometheusSource | null {
    const settings = prometheusSettings(set.settings.prometheus, this.prometheusUrl);
    const enriching = set.policies.filter((p) => p.enrich.length > 0).length;
    if (!settings) {
      if (enriching) this.log.warn({ revision: set.revision, policies: enriching }, 'policies query Prometheus and none is configured (homeostat.yaml prometheus.url or --prometheus-url): they take no action');
      return null;
    }
    const { metrics } = this;
    return new PrometheusSource(settings, {
      onQuery(outcome, seconds) {
        metrics.enrichmentQueries.inc({ result: outcome });
        metrics.enrichmentDuration.observe(seconds);
      },
    });
  }
}

/** homeostat.yaml's prometheus with the url of --prometheus-url, or null when neither names one. */
export function prometheusSettings(fromRepo: PrometheusSettings | null, url: string | null): PrometheusSettings | null {
  if (url) return { timeoutMs: DEFAULT_ENRICHMENT_TIMEOUT_MS, bearerToken: null, basicAuth: null, ...fromRepo, url };
  return fromRepo;
}
