/**
 * Rotated secrets, against the built `homeostat serve`: once a token file changes, the new
 * token is accepted and the old one refused (webhook, admin and sync tokens alike); SIGHUP
 * reads the files again and never stops the engine.
 */
import { mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ECHO_REPO } from '../helpers/echo-policy.js';
import { payload, waitFor, writeRepo } from '../helpers/engine.js';
import { untilHttpOk } from '../helpers/processes.js';
import { servedForFile } from '../helpers/serve.js';

const token = (name: string) => `${name}-0123456789abcdef0123`;

const served = servedForFile('homeostat-rotation-', (root) => {
  writeRepo(join(root, 'repo'), ECHO_REPO);
  mkdirSync(join(root, 'secrets'));
  writeFileSync(join(root, 'secrets', 'webhook.token'), `${token('webhook-1')}\n`);
  writeFileSync(join(root, 'secrets', 'admin.token'), token('admin-1'));
  // The sync token is reached through a link into a folder the engine does not watch: only
  // SIGHUP sees a change there.
  mkdirSync(join(root, 'vault'));
  writeFileSync(join(root, 'vault', 'sync.token'), token('sync-1'));
  symlinkSync(join(root, 'vault', 'sync.token'), join(root, 'secrets', 'sync.token'));
  const files = ['webhook', 'admin', 'sync'].flatMap((name) => [`--${name}-token-file`, join(root, 'secrets', `${name}.token`)]);
  return { args: ['--policies', join(root, 'repo'), ...files] };
});

async function status(method: 'GET' | 'POST', path: string, secret: string, body?: unknown): Promise<number> {
  const headers: Record<string, string> = { authorization: `Bearer ${secret}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${served.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  await response.arrayBuffer();
  return response.status;
}

const alerts = (secret: string) => status('POST', '/api/v1/alerts', secret, payload({ alertname: 'Rotation' }));

/** Each token's answers, for comparison in one expect. */
async function answers(webhook: string, admin: string, sync: string) {
  return { webhook: await alerts(webhook), admin: await status('GET', '/api/v1/status', admin), sync: await status('POST', '/api/v1/sync', sync) };
}

describe('rotating a token file', () => {
  it('refuses the old tokens and accepts the new ones once the files change', async () => {
    expect(await answers(token('webhook-1'), token('admin-1'), token('sync-1'))).toEqual({ webhook: 202, admin: 200, sync: 200 });

    writeFileSync(join(served.root, 'secrets', 'webhook.token'), `${token('webhook-2')}\n`);
    writeFileSync(join(served.root, 'secrets', '.admin.tmp'), token('admin-2'));
    renameSync(join(served.root, 'secrets', '.admin.tmp'), join(served.root, 'secrets', 'admin.token'));
    await waitFor(async () => (await alerts(token('webhook-2'))) === 202 && (await status('GET', '/api/v1/status', token('admin-2'))) === 200, 'the new tokens to be in force');
    expect(await answers(token('webhook-1'), token('admin-1'), token('nobody'))).toEqual({ webhook: 401, admin: 401, sync: 401 });

    const lines = served.engine.output().split('\n').filter((line) => line.includes('token file changed'));
    expect(lines.map((line) => (JSON.parse(line) as { token: string }).token).sort()).toEqual(['admin', 'webhook']);
    expect(served.engine.output()).not.toContain('0123456789abcdef0123');
  });

  it('reads the files again on SIGHUP, which leaves the engine running', async () => {
    writeFileSync(join(served.root, 'vault', 'sync.token'), token('sync-2'));
    served.engine.child.kill('SIGHUP');
    await waitFor(async () => (await status('POST', '/api/v1/sync', token('sync-2'))) === 200, 'the new sync token to be in force after SIGHUP');
    expect(await status('POST', '/api/v1/sync', token('sync-1'))).toBe(401);
    served.engine.child.kill('SIGHUP');
    await untilHttpOk(`${served.url}/healthz`, 'the engine to answer after SIGHUP');
    expect(await alerts(token('webhook-2'))).toBe(202);
    expect(served.engine.child.exitCode).toBeNull();
    expect(served.engine.output()).toMatch(/"reason":"SIGHUP".*token file changed/);
  });
});
