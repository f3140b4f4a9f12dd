import { PrometheusSource } from '../enrichment/prometheus.js';
import type { EnrichmentSource } from '../policy/enrichment.js';
import type { PolicySet } from '../policy/types.js';
import { prometheusSettings } from '../runtime/enrichment.js';
import { UserError } from './errors.js';

/**
 * The Prometheus `--prometheus-url` names, with the auth and timeout of the set's
 * homeostat.yaml; null without the flag: the CLI asks no Prometheus unless told to.
 */
export function cliEnrichment(set: PolicySet, url: string | undefined): EnrichmentSource | null {
  if (url === undefined) return null;
  if (!/^https?:\/\/[^\s/@]+(\/\S*)?$/.test(url)) {
    throw new UserError(`--prometheus-url ${url}: give the base URL of a Prometheus, such as http://127.0.0.1:9090 (no credentials: put them in homeostat.yaml's prometheus auth)`);
  }
  return new PrometheusSource(prometheusSettings(set.settings.prometheus, url)!);
}
