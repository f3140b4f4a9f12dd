import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../../engine/runtime/metrics.js';
import { buildServer } from '../../../engine/server/server.js';
import type { ServerDeps } from '../../../engine/server/server.js';

// The server's own request handling, before any engine work: the engine here only answers
// whether it is overloaded, and fails the test if asked to decide anything.
function serverWith(overload: string | null) {
  const metrics = createMetrics();
  const engine: ServerDeps['engine'] = {
    overloaded: () => overload,
    receive: () => Promise.reject(new Error('receive must not be reached')),
    status: () => ({}) as never,
    notReady: () => [],
    recent: { list: () => [] } as never,
    sync: () => Promise.reject(new Error('sync must not be reached')),
  };
  const app = buildServer({ engine, metrics, log: pino({ level: 'silent' }), webhookToken: 't0ken', adminToken: null, maxBodyBytes: 1024 * 1024 });
  return { app, metrics };
}

describe('webhook back-pressure', () => {
  it('answers 503 before reading the body while the engine is overloaded, so Alertmanager retries', async () => {
    const { app, metrics } = serverWith('overloaded: 40001 audit entries wait for git (limit 40000); retry later');
    // Not JSON at all: had the body been parsed, this would be a 400.
    const res = await app.inject({ method: 'POST', url: '/api/v1/alerts', headers: { authorization: 'Bearer t0ken', 'content-type': 'application/json' }, payload: '{not json' });
    expect(res.statusCode).toBe(503);
    expect(res.json().error).toMatch(/^overloaded: 40001 audit entries/);
    expect(await metrics.registry.getSingleMetricAsString('homeostat_webhook_requests_total')).toMatch(/code="503"\} 1/);
    await app.close();
  });

  it('still checks the token first, and parses the body when not overloaded', async () => {
    const overloaded = serverWith('overloaded');
    const unauthenticated = await overloaded.app.inject({ method: 'POST', url: '/api/v1/alerts', headers: { 'content-type': 'application/json' }, payload: '{}' });
    expect(unauthenticated.statusCode).toBe(401);
    await overloaded.app.close();
    const { app } = serverWith(null);
    const res = await app.inject({ method: 'POST', url: '/api/v1/alerts', headers: { authorization: 'Bearer t0ken', 'content-type': 'application/json' }, payload: '{not json' });
    expect(res.statusCode).toBe(400);
    await app.close();
  });
});
