import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../../engine/runtime/metrics.js';
import { buildServer } from '../../../engine/server/server.js';
import type { ServerDeps } from '../../../engine/server/server.js';
import { fixtureBody } from '../../helpers/alerts.js';

// homeostat_webhook_requests_total counts every answer of the webhook once, by status code,
// wherever the request was refused. The engine here accepts whatever reaches it.
describe('webhook answers in the metrics', () => {
  it('counts each answer once: 401 before the body, 413 and 400 of the body, 202 after it', async () => {
    const metrics = createMetrics({ defaults: false });
    const engine: ServerDeps['engine'] = {
      overloaded: () => null,
      receive: async () => ({ alerts: 1, decisions: 0, duplicates: 0, actions: 0, revision: 'r1', truncatedAlerts: 0 }),
      status: () => ({}) as never,
      notReady: () => [],
      recent: { list: () => [] } as never,
      sync: () => Promise.reject(new Error('sync must not be reached')),
    };
    const body = JSON.stringify(fixtureBody('service-down-nginx.json'));
    const app = buildServer({ engine, metrics, log: pino({ level: 'silent' }), webhookToken: 'webhook-token-0123456789', adminToken: null, maxBodyBytes: body.length + 10 });
    const post = (payload: string, auth = 'Bearer webhook-token-0123456789') => app.inject({ method: 'POST', url: '/api/v1/alerts', headers: { authorization: auth, 'content-type': 'application/json' }, payload });
    const codes = [
      (await post(body, 'Bearer wrong')).statusCode,
      (await post(`${body}${' '.repeat(100)}`)).statusCode,
      (await post('{not json')).statusCode,
      (await post(JSON.stringify({ version: '3', alerts: [] }))).statusCode,
      (await post(body)).statusCode,
    ];
    expect(codes).toEqual([401, 413, 400, 400, 202]);
    const counted = (await metrics.webhookRequests.get()).values.map((v) => [v.labels.code, v.value]).sort();
    expect(counted).toEqual([['202', 1], ['400', 2], ['401', 1], ['413', 1]]);
    await app.close();
  });
});
