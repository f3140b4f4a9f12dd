import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../../engine/runtime/metrics.js';
import { buildServer } from '../../../engine/server/server.js';
import type { ServerDeps } from '../../../engine/server/server.js';
import { fixtureBody } from '../../helpers/alerts.js';
import { capturedLog } from '../../helpers/log-lines.js';

// A fingerprint the caller sends is compared with the one of the labels; the webhook logs the
// mismatches in one line per webhook, however many alerts carry one.
describe('fingerprints sent that differ from the labels', () => {
  it('are logged once per webhook, the first ten named by index with both values', async () => {
    const { log, lines } = capturedLog();
    const engine: ServerDeps['engine'] = {
      overloaded: () => null,
      receive: async (payload) => ({ alerts: payload.alerts.length, decisions: 0, duplicates: 0, actions: 0, revision: 'r1', truncatedAlerts: 0 }),
      status: () => ({}) as never,
      notReady: () => [],
      recent: { list: () => [] } as never,
      sync: () => Promise.reject(new Error('sync must not be reached')),
    };
    const app = buildServer({ engine, metrics: createMetrics({ defaults: false }), log, webhookToken: null, adminToken: null, maxBodyBytes: 1024 * 1024 });
    const body = fixtureBody('node-down-two-instances.json') as { alerts: Record<string, unknown>[] };
    const alerts = Array.from({ length: 12 }, (_, i) => ({ ...body.alerts[0], labels: { alertname: 'NodeDown', i: String(i) }, fingerprint: '0123456789abcdef' }));
    const response = await app.inject({ method: 'POST', url: '/api/v1/alerts', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ ...body, alerts }) });
    expect(response.statusCode).toBe(202);
    const logged = lines.filter((l) => String(l.msg).startsWith('alert fingerprints sent differ'));
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: 40, count: 12 });
    const first = logged[0]!.first as { index: number; sent: string; computed: string }[];
    expect(first.map((m) => m.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(first[0]).toEqual({ index: 0, sent: '0123456789abcdef', computed: expect.stringMatching(/^[0-9a-f]{16}$/) });
    await app.close();
  });
});
