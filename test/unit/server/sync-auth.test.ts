import { createHmac } from 'node:crypto';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../../engine/runtime/metrics.js';
import { buildServer } from '../../../engine/server/server.js';
import type { ServerDeps } from '../../../engine/server/server.js';

// Who may ask POST /api/v1/sync, before any engine work: the engine here counts the syncs it
// is asked for and answers with a fixed status.
const ADMIN = 'admin-token-0123456789abcdef';
const SYNC = 'sync-token-0123456789abcdef';

function serverWith(tokens: { adminToken: string | null; syncToken: string | null }) {
  let syncs = 0;
  const engine: ServerDeps['engine'] = {
    overloaded: () => null,
    receive: () => Promise.reject(new Error('receive must not be reached')),
    status: () => ({ policies: { revision: 'abc', source: { kind: 'git' } } }) as never,
    notReady: () => [],
    recent: { list: () => [] } as never,
    sync: async () => {
      syncs++;
      return { at: '2026-11-21T00:00:00Z', ok: true, revision: 'abc', diagnostics: [], problems: 0, error: null };
    },
  };
  const app = buildServer({ engine, metrics: createMetrics({ defaults: false }), log: pino({ level: 'silent' }), webhookToken: null, maxBodyBytes: 1024 * 1024, ...tokens });
  return { app, syncs: () => syncs };
}

const signature = (body: string) => `sha256=${createHmac('sha256', SYNC).update(body).digest('hex')}`;

describe('POST /api/v1/sync', () => {
  it('refuses a request with no token and no signature before reading its body, however large', async () => {
    const { app, syncs } = serverWith({ adminToken: ADMIN, syncToken: SYNC });
    const huge = 'x'.repeat(27 * 1024 * 1024); // over the route's 26 MiB limit: read, it would be a 413
    const res = await app.inject({ method: 'POST', url: '/api/v1/sync', headers: { 'content-type': 'application/json' }, payload: huge });
    expect(res.statusCode).toBe(401);
    expect(syncs()).toBe(0);
    await app.close();
  });

  it('takes a push signed with the sync token, the admin or sync token as bearer, and nothing else', async () => {
    const { app, syncs } = serverWith({ adminToken: ADMIN, syncToken: SYNC });
    const body = JSON.stringify({ ref: 'refs/heads/main' });
    const post = (headers: Record<string, string>, payload = body) => app.inject({ method: 'POST', url: '/api/v1/sync', headers: { 'content-type': 'application/json', ...headers }, payload });
    expect((await post({ 'x-github-event': 'push', 'x-hub-signature-256': signature(body) })).statusCode).toBe(200);
    expect((await post({ authorization: `Bearer ${ADMIN}` }, '')).statusCode).toBe(200);
    expect((await post({ authorization: `Bearer ${SYNC}` }, '')).statusCode).toBe(200);
    expect(syncs()).toBe(3);
    expect((await post({ 'x-github-event': 'push', 'x-hub-signature-256': signature(`${body} `) })).statusCode).toBe(401);
    expect((await post({ authorization: 'Bearer wrong-token-0123456789' })).statusCode).toBe(401);
    expect((await post({ 'x-github-event': 'ping', 'x-hub-signature-256': signature(body) })).json()).toEqual({ ok: true, event: 'ping' });
    expect((await post({ 'x-github-event': 'issues', 'x-hub-signature-256': signature(body) })).statusCode).toBe(202);
    expect(syncs()).toBe(3);
    await app.close();
  });

  it('refuses a signed push when no sync token is set to check it, and is open without any token', async () => {
    const adminOnly = serverWith({ adminToken: ADMIN, syncToken: null });
    const body = '{}';
    const signed = await adminOnly.app.inject({ method: 'POST', url: '/api/v1/sync', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature(body) }, payload: body });
    expect([signed.statusCode, adminOnly.syncs()]).toEqual([401, 0]);
    await adminOnly.app.close();

    const open = serverWith({ adminToken: null, syncToken: null });
    const res = await open.app.inject({ method: 'POST', url: '/api/v1/sync' });
    expect([res.statusCode, open.syncs()]).toEqual([200, 1]);
    await open.app.close();
  });
});
