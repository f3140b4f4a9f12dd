/**
 * engine/http against real listeners on this machine. Every URL here points at 127.0.0.0/8 or
 * ::1; the refusals are proved by a listener that saw no connection at all.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpClient, OutboundError, send } from '../../engine/http/client.js';
import type { Resolver } from '../../engine/http/client.js';
import { startReceiver } from '../helpers/receiver.js';
import type { Receiver } from '../helpers/receiver.js';

const receivers: Receiver[] = [];
async function receiver(...args: Parameters<typeof startReceiver>): Promise<Receiver> {
  const started = await startReceiver(...args);
  receivers.push(started);
  return started;
}
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

async function failure(promise: Promise<unknown>): Promise<OutboundError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(OutboundError);
  return error as OutboundError;
}

describe('the address check, before any connection', () => {
  it.each([
    ['127.0.0.2', (r: Receiver) => r.url, '127.0.0.2 is loopback (127.0.0.0/8)'],
    ['::1', (r: Receiver) => r.url, '::1 is loopback (::1)'],
    ['127.0.0.1', (r: Receiver) => `http://localhost:${r.port}`, 'localhost resolves to 127.0.0.1, which is loopback (127.0.0.0/8)'],
  ])('refuses a URL at %s unless allowlisted', async (host, urlOf, reason) => {
    const target = await receiver(host);
    const url = `${urlOf(target)}/hook`;
    const refused = await failure(send({ url, method: 'POST', body: '{}', timeoutMs: 5000, retry: true, allowHosts: [] }));
    expect(refused.failure).toBe('refused');
    expect(refused.message).toContain(reason);
    expect(refused.attempts).toBe(0);
    expect(target.connections()).toBe(0);

    const allowHost = new URL(url).hostname;
    const response = await send({ url, method: 'POST', body: '{}', timeoutMs: 5000, allowHosts: [allowHost] });
    expect(response).toMatchObject({ status: 200, body: 'ok', attempts: 1 });
    expect(target.requests).toHaveLength(1);
  });

  it('refuses a public-looking name that the resolver answers with a loopback address', async () => {
    const target = await receiver('127.0.0.1');
    const resolve: Resolver = async () => [{ address: '127.0.0.1', family: 4 }];
    const client = createHttpClient({ resolve });
    try {
      const url = `http://hooks.example.com:${target.port}/x`;
      const refused = await failure(client.send({ url, method: 'GET', timeoutMs: 5000, allowHosts: [] }));
      expect(refused.message).toContain('hooks.example.com resolves to 127.0.0.1');
      expect(target.connections()).toBe(0);
      // Allowlisted, the connection goes to the very address that was checked.
      const response = await client.send({ url, method: 'GET', timeoutMs: 5000, allowHosts: ['hooks.example.com'] });
      expect(response.status).toBe(200);
      expect(target.requests[0]!.headers.host).toBe(`hooks.example.com:${target.port}`);
    } finally {
      await client.close();
    }
  });

  it('refuses URLs that are not http or https', async () => {
    const refused = await failure(send({ url: 'file:///etc/passwd', method: 'GET', timeoutMs: 1000, allowHosts: [] }));
    expect(refused).toMatchObject({ failure: 'invalid', message: 'GET file: URL: only http and https URLs are sent' });
  });
});

describe('answers, retries and bounds', () => {
  const allowHosts = ['127.0.0.1'];

  it('retries a 503 once and returns the 200 that follows', async () => {
    const target = await receiver('127.0.0.1', [{ status: 503, body: 'busy' }, { status: 200, body: 'ok' }]);
    const response = await send({ url: `${target.url}/hook`, method: 'POST', body: 'x', timeoutMs: 10_000, retry: true, allowHosts });
    expect(response).toMatchObject({ status: 200, attempts: 2 });
    expect(target.requests.map((r) => r.body)).toEqual(['x', 'x']);
  });

  it('honours Retry-After on a 429', async () => {
    const target = await receiver('127.0.0.1', [{ status: 429, headers: { 'retry-after': '0' } }, { status: 204 }]);
    const response = await send({ url: target.url, method: 'POST', timeoutMs: 10_000, retry: true, allowHosts });
    expect(response).toMatchObject({ status: 204, attempts: 2 });
  });

  it('gives up on a 429 whose Retry-After is beyond the timeout, without waiting for it', async () => {
    const target = await receiver('127.0.0.1', [{ status: 429, headers: { 'retry-after': '3600' }, body: 'slow down' }]);
    const error = await failure(send({ url: target.url, method: 'POST', timeoutMs: 10_000, retry: true, allowHosts }));
    expect(error).toMatchObject({ failure: 'status', attempts: 1, message: `POST ${target.url}: HTTP 429: slow down` });
    expect(target.requests).toHaveLength(1);
  });

  it('fails a 400 at once with the first line of the answer, not retried', async () => {
    const target = await receiver('127.0.0.1', [{ status: 400, body: 'invalid_payload\nmore detail' }]);
    const error = await failure(send({ url: target.url, method: 'POST', timeoutMs: 10_000, retry: true, allowHosts }));
    expect(error).toMatchObject({ failure: 'status', attempts: 1, message: `POST ${target.url}: HTTP 400: invalid_payload` });
    expect(error.response?.status).toBe(400);
    expect(target.requests).toHaveLength(1);
  });

  it('does not retry without retry: true', async () => {
    const target = await receiver('127.0.0.1', [{ status: 500 }, { status: 200 }]);
    const error = await failure(send({ url: target.url, method: 'GET', timeoutMs: 10_000, allowHosts }));
    expect(error).toMatchObject({ failure: 'status', attempts: 1 });
    expect(target.requests).toHaveLength(1);
  });

  it('retries a refused connection until the timeout and says so', async () => {
    const gone = await receiver('127.0.0.1');
    await gone.close();
    const error = await failure(send({ url: gone.url, method: 'POST', timeoutMs: 1500, retry: true, allowHosts }));
    expect(error.failure).toBe('connection');
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.attempts).toBeGreaterThan(1);
  });

  it('never follows a redirect', async () => {
    const inside = await receiver('127.0.0.1');
    const target = await receiver('127.0.0.1', [{ status: 302, headers: { location: `${inside.url}/secret` } }]);
    const error = await failure(send({ url: target.url, method: 'GET', timeoutMs: 5000, retry: true, allowHosts }));
    expect(error).toMatchObject({ failure: 'redirect', message: `GET ${target.url}: HTTP 302, a redirect, not followed` });
    expect(inside.connections()).toBe(0);
  });

  it('refuses a body larger than the bound', async () => {
    const target = await receiver('127.0.0.1', [{ status: 200, body: 'x'.repeat(5000) }]);
    const error = await failure(send({ url: target.url, method: 'GET', timeoutMs: 5000, allowHosts, maxResponseBytes: 1000 }));
    expect(error).toMatchObject({ failure: 'too-large', message: `GET ${target.url}: the response is larger than 1000 bytes` });
  });

  it('times out a receiver that never answers', async () => {
    const target = await receiver('127.0.0.1', [{ status: 200, hang: true }]);
    const error = await failure(send({ url: target.url, method: 'GET', timeoutMs: 300, retry: true, allowHosts }));
    expect(error).toMatchObject({ failure: 'timeout', message: `GET ${target.url}: no answer within 300 ms` });
  });

  it('stops when the caller aborts', async () => {
    const target = await receiver('127.0.0.1', [{ status: 200, hang: true }]);
    const controller = new AbortController();
    const pending = send({ url: target.url, method: 'GET', timeoutMs: 30_000, allowHosts, signal: controller.signal });
    await import('../helpers/wait.js').then(({ waitFor }) => waitFor(() => target.requests.length === 1, 'the request'));
    controller.abort();
    expect(await failure(pending)).toMatchObject({ failure: 'aborted' });
  });

  it('masks secrets in the error and in the body it carries, and never names the path', async () => {
    const secret = 'T0K3N-abcdef';
    const target = await receiver('127.0.0.1', [{ status: 403, body: `bad token ${secret}` }]);
    const error = await failure(send({ url: `${target.url}/services/${secret}`, method: 'POST', timeoutMs: 5000, allowHosts, secrets: [secret] }));
    expect(error.message).toBe(`POST ${target.url}: HTTP 403: bad token ***`);
    expect(JSON.stringify(error.response)).not.toContain(secret);
  });

  it('sends credentials written in the URL as basic auth', async () => {
    const target = await receiver('127.0.0.1');
    await send({ url: target.url.replace('http://', 'http://user:pa%20ss@'), method: 'GET', timeoutMs: 5000, allowHosts });
    expect(target.requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from('user:pa ss').toString('base64')}`);
  });
});
