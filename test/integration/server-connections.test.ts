/**
 * What a client costs the server before it has shown a token, over real sockets against
 * buildServer(...).listen on 127.0.0.1: an unauthenticated body is not read (the connection is
 * closed after the 401), `Expect: 100-continue` gets the 401 and no 100, and a request that
 * trickles in, headers or body, is cut off once --request-timeout has passed.
 */
import { once } from 'node:events';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics } from '../../engine/runtime/metrics.js';
import { buildServer } from '../../engine/server/server.js';
import type { ServerDeps } from '../../engine/server/server.js';
import { fixtureBody } from '../helpers/alerts.js';
import { waitFor } from '../helpers/wait.js';

const TOKEN = 'connections-token-0123456789';
const BODY = JSON.stringify(fixtureBody('service-down-nginx.json'));

let app: ReturnType<typeof buildServer> | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** A server whose engine accepts whatever reaches it; counts what it was given. */
async function listening(options: { requestTimeoutMs?: number } = {}) {
  const received: number[] = [];
  const engine: ServerDeps['engine'] = {
    overloaded: () => null,
    receive: async (payload) => {
      received.push(payload.alerts.length);
      return { alerts: payload.alerts.length, decisions: 0, duplicates: 0, actions: 0, revision: 'r1', truncatedAlerts: 0 };
    },
    status: () => ({}) as never,
    notReady: () => [],
    recent: { list: () => [] } as never,
    sync: () => Promise.reject(new Error('sync must not be reached')),
  };
  app = buildServer({ engine, metrics: createMetrics({ defaults: false }), log: pino({ level: 'silent' }), webhookToken: TOKEN, adminToken: null, maxBodyBytes: 200 * 1024 * 1024, ...options });
  // What the server read from its connections, counted as they close.
  const read = { bytes: 0 };
  app.server.on('connection', (socket: Socket) => socket.on('close', () => (read.bytes += socket.bytesRead)));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as { port: number };
  return { port, received, read };
}

/** A raw HTTP/1.1 connection: what it received, and whether the server has closed it. */
async function open(port: number) {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const state = { text: '', closed: false, written: 0 };
  socket.on('data', (chunk: Buffer) => (state.text += chunk.toString('latin1')));
  socket.on('error', () => {}); // EPIPE / ECONNRESET once the server has closed: expected here
  socket.on('close', () => (state.closed = true));
  const write = (data: string | Buffer) =>
    new Promise<void>((resolve) => {
      if (state.closed || socket.destroyed) return resolve();
      state.written += data.length;
      if (socket.write(data)) return resolve();
      const done = () => {
        socket.off('drain', done);
        socket.off('close', done);
        resolve();
      };
      socket.on('drain', done);
      socket.on('close', done);
    });
  return { socket, state, write };
}

function head(lines: string[], requestLine = 'POST /api/v1/alerts HTTP/1.1'): string {
  return `${[requestLine, 'Host: 127.0.0.1', 'Content-Type: application/json', ...lines].join('\r\n')}\r\n\r\n`;
}

describe('an unauthenticated request', () => {
  it('gets its 401 and its connection closed, its 100 MB body not read', async () => {
    const { port, received, read } = await listening();
    const total = 100 * 1024 * 1024;
    const client = await open(port);
    await client.write(head([`Content-Length: ${total}`]));
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    while (!client.state.closed && client.state.written < total) await client.write(chunk);
    await waitFor(() => client.state.closed, 'the server to close the connection');
    expect(client.state.text).toMatch(/^HTTP\/1\.1 401 Unauthorized\r\n/);
    expect(client.state.text.toLowerCase()).toContain('\r\nconnection: close\r\n');
    // The kernel's socket buffers take some megabytes before the close is seen; the body is 100.
    expect(read.bytes).toBeLessThan(total / 4);
    expect(client.state.written).toBeLessThan(total / 2);
    expect(received).toEqual([]);
  });

  it('that expects 100-continue gets the 401 and no 100 Continue; with the token it gets the 100, then the 202', async () => {
    const { port, received } = await listening();
    const refused = await open(port);
    await refused.write(head(['Expect: 100-continue', `Content-Length: ${BODY.length}`]));
    await waitFor(() => refused.state.closed, 'the server to answer and close the connection');
    expect(refused.state.text).toMatch(/^HTTP\/1\.1 401 Unauthorized\r\n/);
    expect(refused.state.text).not.toContain('100 Continue');

    const accepted = await open(port);
    await accepted.write(head(['Expect: 100-continue', `Authorization: Bearer ${TOKEN}`, `Content-Length: ${BODY.length}`]));
    await waitFor(() => accepted.state.text.startsWith('HTTP/1.1 100 Continue\r\n\r\n'), 'the 100 Continue');
    await accepted.write(BODY);
    await waitFor(() => accepted.state.text.includes('HTTP/1.1 202 Accepted'), 'the 202');
    expect(received).toEqual([1]);
    accepted.socket.destroy();
  });
});

describe('a request to a route that does not exist', () => {
  it('gets its 404 and its connection closed, its 40 MiB body neither read nor parsed', async () => {
    const { port, read } = await listening();
    const total = 40 * 1024 * 1024;
    const client = await open(port);
    await client.write(head([`Content-Length: ${total}`], 'POST /nope HTTP/1.1'));
    const chunk = Buffer.alloc(1024 * 1024, 0x7b); // '{': not JSON, were it parsed
    while (!client.state.closed && client.state.written < total) await client.write(chunk);
    await waitFor(() => client.state.closed, 'the server to close the connection');
    expect(client.state.text).toMatch(/^HTTP\/1\.1 (404|415) /);
    expect(client.state.text).not.toContain('not valid JSON');
    expect(read.bytes).toBeLessThan(total / 4);
  });

  it('that expects 100-continue gets no 100 Continue', async () => {
    const { port } = await listening();
    for (const requestLine of ['POST /nope HTTP/1.1', 'PUT /api/v1/alerts HTTP/1.1', 'POST /api/v1/alerts/ HTTP/1.1']) {
      const client = await open(port);
      await client.write(head(['Expect: 100-continue', `Authorization: Bearer ${TOKEN}`, `Content-Length: ${BODY.length}`], requestLine));
      await waitFor(() => client.state.text.includes('\r\n\r\n'), `an answer to ${requestLine}`, 10_000);
      expect(client.state.text, requestLine).not.toContain('100 Continue');
      expect(client.state.text, requestLine).toMatch(/^HTTP\/1\.1 4\d\d /);
      client.socket.destroy();
    }
  });
});

describe('a request that trickles in', () => {
  // Long enough for a loaded machine to take the first bytes, short enough for a test.
  const BOUND_MS = 1_000;

  /** Writes one byte every 20 ms until the server closes the connection. */
  async function trickle(client: Awaited<ReturnType<typeof open>>, byte: string): Promise<void> {
    const timer = setInterval(() => void client.write(byte), 20);
    try {
      await waitFor(() => client.state.closed, 'the server to close the trickling connection', 30 * BOUND_MS);
    } finally {
      clearInterval(timer);
    }
  }

  it('is answered 408 and closed when its body takes longer than --request-timeout, token or not', async () => {
    const { port, received } = await listening({ requestTimeoutMs: BOUND_MS });
    const client = await open(port);
    await client.write(head([`Authorization: Bearer ${TOKEN}`, 'Content-Length: 100000']));
    await trickle(client, ' ');
    expect(client.state.text).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(received).toEqual([]);
  });

  it('is answered 408 and closed when its headers take longer than --request-timeout', async () => {
    const { port } = await listening({ requestTimeoutMs: BOUND_MS });
    const client = await open(port);
    await client.write('POST /api/v1/alerts HTTP/1.1\r\nX-Slow: ');
    await trickle(client, 'a');
    expect(client.state.text).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
  });

  it('that says nothing at all is closed too', async () => {
    const { port } = await listening({ requestTimeoutMs: BOUND_MS });
    const client = await open(port);
    await waitFor(() => client.state.closed, 'the server to close the silent connection', 30 * BOUND_MS);
  });
});
