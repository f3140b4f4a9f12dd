import { describe, expect, it } from 'vitest';
import { PrometheusSource, valueOf } from '../../../engine/enrichment/prometheus.js';
import type { OutboundRequest, OutboundResponse } from '../../../engine/http/client.js';
import { OutboundError, OUTBOUND_FAILURES } from '../../../engine/http/client.js';
import type { PrometheusSettings } from '../../../engine/policy/types.js';
import { inlineAlert } from '../../helpers/alerts.js';

const ORIGIN = 'http://prom:9090';
const vector = (...values: string[]) => ({ status: 'success', data: { resultType: 'vector', result: values.map((v, i) => ({ metric: { i: String(i) }, value: [1, v] })) } });

function source(settings: Partial<PrometheusSettings>, answer: (request: OutboundRequest) => OutboundResponse | Error, env: NodeJS.ProcessEnv = {}) {
  const sent: OutboundRequest[] = [];
  const outcomes: string[] = [];
  const prometheus = new PrometheusSource(
    { url: `${ORIGIN}/prefix/`, timeoutMs: 2_000, bearerToken: null, basicAuth: null, ...settings },
    {
      env,
      clock: () => 1_000,
      async send(request) {
        sent.push(request);
        const result = answer(request);
        if (result instanceof Error) throw result;
        return result;
      },
      onQuery: (outcome) => outcomes.push(outcome),
    },
  );
  return { prometheus, sent, outcomes };
}

const ok = (body: unknown): OutboundResponse => ({ status: 200, headers: {}, body: JSON.stringify(body), attempts: 1 });
const context = (deadline: number | null = null) => ({ alert: inlineAlert({ labels: { alertname: 'A' } }), name: 'load', deadline });

describe('PrometheusSource', () => {
  it('posts an instant query with the bearer token, allowing only its own host, bounded by the deadline, never retried', async () => {
    const { prometheus, sent, outcomes } = source({ bearerToken: { env: 'PROM_TOKEN' } }, () => ok(vector('9')), { PROM_TOKEN: 's3cret-token' });
    expect(await prometheus.query('node_load1{instance="a"}', context(1_500))).toBe(9);
    expect(sent).toEqual([{
      url: `${ORIGIN}/prefix/api/v1/query`, method: 'POST', body: 'query=node_load1%7Binstance%3D%22a%22%7D', timeoutMs: 500, retry: false,
      allowHosts: ['prom'], secrets: ['s3cret-token'],
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', authorization: 'Bearer s3cret-token' },
    }]);
    expect(outcomes).toEqual(['ok']);
  });

  it('sends basic auth from a secret, and refuses the engine\'s own variables', async () => {
    const basic = source({ basicAuth: { username: 'homeostat', password: { env: 'PROM_PASSWORD' } } }, () => ok(vector()), { PROM_PASSWORD: 'pw' });
    expect(await basic.prometheus.query('up', context())).toBeNull();
    expect(basic.sent[0]!.headers!.authorization).toBe(`Basic ${Buffer.from('homeostat:pw').toString('base64')}`);
    const engine = source({ bearerToken: { env: 'HOMEOSTAT_ADMIN_TOKEN' } }, () => ok(vector('1')), { HOMEOSTAT_ADMIN_TOKEN: 'admin-token-value' });
    await expect(engine.prometheus.query('up', context())).rejects.toThrow(/^Prometheus http:\/\/prom:9090: homeostat\.yaml prometheus auth: secret env HOMEOSTAT_ADMIN_TOKEN: the engine's own HOMEOSTAT_\* settings cannot be read/);
    expect(engine.sent).toEqual([]);
  });

  it('fails with no time left, as a timeout, without sending', async () => {
    const { prometheus, sent, outcomes } = source({}, () => ok(vector('1')));
    await expect(prometheus.query('up', context(1_000))).rejects.toThrow('no time left');
    expect(sent).toEqual([]);
    expect(outcomes).toEqual(['timeout']);
  });

  it('says what Prometheus said of a bad query, and counts timeouts apart from errors', async () => {
    const bad = { status: 400, headers: {}, body: JSON.stringify({ status: 'error', errorType: 'bad_data', error: '1:5: parse error: unexpected "}"' }), attempts: 1 };
    const refused = source({}, () => new OutboundError(OUTBOUND_FAILURES.status, 'POST http://prom:9090: HTTP 400', bad));
    await expect(refused.prometheus.query('up}', context())).rejects.toThrow('Prometheus http://prom:9090: HTTP 400: bad_data: 1:5: parse error: unexpected "}"');
    const slow = source({}, () => new OutboundError(OUTBOUND_FAILURES.timeout, 'POST http://prom:9090: no answer within 2000 ms'));
    await expect(slow.prometheus.query('up', context())).rejects.toThrow('Prometheus POST http://prom:9090: no answer within 2000 ms');
    expect([...refused.outcomes, ...slow.outcomes]).toEqual(['error', 'timeout']);
  });
});

describe('valueOf', () => {
  it('reads one series or a scalar as a number, no series as null, a string as a string', () => {
    expect(valueOf(vector('0.25'), ORIGIN)).toBe(0.25);
    expect(valueOf(vector('NaN'), ORIGIN)).toBeNaN();
    expect(valueOf(vector('+Inf'), ORIGIN)).toBe(Infinity);
    expect(valueOf(vector('-Inf'), ORIGIN)).toBe(-Infinity);
    expect(valueOf(vector(), ORIGIN)).toBeNull();
    expect(valueOf({ status: 'success', data: { resultType: 'scalar', result: [1, '3'] } }, ORIGIN)).toBe(3);
    expect(valueOf({ status: 'success', data: { resultType: 'string', result: [1, 'x'] } }, ORIGIN)).toBe('x');
  });

  it('refuses several series and a range vector', () => {
    expect(() => valueOf(vector('1', '2'), ORIGIN)).toThrow('the query gives 2 series; make it give one (match one series, or aggregate: max(…), sum(…))');
    expect(() => valueOf({ status: 'success', data: { resultType: 'matrix', result: [] } }, ORIGIN)).toThrow('gives a matrix result; give an instant vector or a scalar');
  });
});
