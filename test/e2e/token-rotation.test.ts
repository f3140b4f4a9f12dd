/**
 * Rotated secrets, against the built `homeostat serve`: once a token file changes, the new
 * token is accepted and the old one refused (webhook, admin and sync tokens alike); SIGHUP
 * reads the files again and never stops the engine.
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ECHO_REPO } from '../helpers/echo-policy.js';
import { payload, waitFor, writeRepo } from '../helpers/engine.js';
import { freePort, untilHttpOk } from '../helpers/processes.js';
import type { Spawned } from '../helpers/processes.js';
import { serveReady } from '../helpers/serve.js';

const token = (name: string) => `${name}-0123456789abcdef0123`;

let root: string;
let port: number;
let serve: Spawned;

async function status(method: 'GET' | 'POST', path: string, secret: string, body?: unknown): Promise<number> {
  const headers: Record<string, string> = { authorization: `Bearer ${secret}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  await response.arrayBuffer();
  return response.status;
}

const alerts = (secret: string) => status('POST', '/api/v1/alerts', secret, payload({ alertname: 'Rotation' }));

/** Each token's answers, for comparison in one expect. */
async function answers(webhook: string, admin: string, sync: string) {
  return { webhook: await alerts(webhook), admin: await status('GET', '/api/v1/status', admin), sync: await status('POST', '/api/v1/sync', sync) };
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'homeostat-rotation-'));
  writeRepo(join(root, 'repo'), ECHO_REPO);
  mkdirSync(join(root, 'secrets'));
  writeFileSync(join(root, 'secrets', 'webhook.token'), `${token('webhook-1')}\n`);
  writeFileSync(join(root, 'secrets', 'admin.token'), token('admin-1'));
  // The sync token is reached through a link into a folder the engine does not watch: only
  // SIGHUP sees a change there.
  mkdirSync(join(root, 'vault'));
  writeFileSync(join(root, 'vault', 'sync.token'), token('sync-1'));
  symlinkSync(join(root, 'vault', 'sync.token'), join(root, 'secrets', 'sync.token'));
  port = await freePort();
  const files = ['webhook', 'admin', 'sync'].flatMap((name) => [`--${name}-token-file`, join(root, 'secrets', `${name}.token`)]);
  await serveReady(port, ['--policies', join(root, 'repo'), '--data-dir', join(root, 'data'), ...files], {}, root, (started) => (serve = started));
}, 60_000);

afterAll(async () => {
  serve?.child.kill('SIGTERM');
  expect((await serve?.exited)?.code).toBe(0);
  rmSync(root, { recursive: true, force: true });
});

describe('rotating a token file', () => {
  it('refuses the old tokens and accepts the new ones once the files change', async () => {
    expect(await answers(token('webhook-1'), token('admin-1'), token('sync-1'))).toEqual({ webhook: 202, admin: 200, sync: 200 });

    writeFileSync(join(root, 'secrets', 'webhook.token'), `${token('webhook-2')}\n`);
    writeFileSync(join(root, 'secrets', '.admin.tmp'), token('admin-2'));
    renameSync(join(root, 'secrets', '.admin.tmp'), join(root, 'secrets', 'admin.token'));
    await waitFor(async () => (await alerts(token('webhook-2'))) === 202 && (await status('GET', '/api/v1/status', token('admin-2'))) === 200, 'the new tokens to be in force');
    expect(await answers(token('webhook-1'), token('admin-1'), token('nobody'))).toEqual({ webhook: 401, admin: 401, sync: 401 });

    const lines = serve.output().split('\n').filter((line) => line.includes('token file changed'));
    expect(lines.map((line) => (JSON.parse(line) as { token: string }).token).sort()).toEqual(['admin', 'webhook']);
    expect(serve.output()).not.toContain('0123456789abcdef0123');
  });

  it('reads the files again on SIGHUP, which leaves the engine running', async () => {
    writeFileSync(join(root, 'vault', 'sync.token'), token('sync-2'));
    serve.child.kill('SIGHUP');
    await waitFor(async () => (await status('POST', '/api/v1/sync', token('sync-2'))) === 200, 'the new sync token to be in force after SIGHUP');
    expect(await status('POST', '/api/v1/sync', token('sync-1'))).toBe(401);
    serve.child.kill('SIGHUP');
    await untilHttpOk(`http://127.0.0.1:${port}/healthz`, 'the engine to answer after SIGHUP');
    expect(await alerts(token('webhook-2'))).toBe(202);
    expect(serve.child.exitCode).toBeNull();
    expect(serve.output()).toMatch(/"reason":"SIGHUP".*token file changed/);
  });
});
