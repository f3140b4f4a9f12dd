/**
 * What a client may cost before it has shown a token: nothing past its headers. A request
 * answered before its body was read (401, 413, 503) closes its connection, so the body is never
 * read to the end (Node would otherwise read and drop all of it to reuse the connection); a
 * request that says `Expect: 100-continue` is told to go on only once the token has been
 * checked; and every request must arrive, headers and body, within a bound.
 */
import type { IncomingMessage, ServerOptions, ServerResponse } from 'node:http';
import type { FastifyInstance, RawServerDefault } from 'fastify';
import type { Logger } from 'pino';

/**
 * Node checks its request and header timeouts only every connectionsCheckingInterval (30 s by
 * default), so a 30 s bound could hold a connection for a minute: check a tenth as often as the
 * bound, at least every second.
 */
export function arrivalTimeouts(requestTimeoutMs: number): { requestTimeout: number; http: ServerOptions } {
  const check = Math.max(10, Math.min(1_000, Math.floor(requestTimeoutMs / 10)));
  return {
    requestTimeout: requestTimeoutMs,
    http: { requestTimeout: requestTimeoutMs, headersTimeout: requestTimeoutMs, connectionsCheckingInterval: check },
  };
}

/** Adds the hooks; call before the routes are declared, so that every route has them. */
export function guardConnections(app: FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, Logger>): void {
  const awaitingContinue = new WeakSet<IncomingMessage>();
  // With a 'checkContinue' listener Node sends no 100 Continue by itself: the request goes
  // through the onRequest hooks (the token check) first, and preParsing says go on.
  app.server.on('checkContinue', (request: IncomingMessage, response: ServerResponse) => {
    awaitingContinue.add(request);
    app.server.emit('request', request, response);
  });
  app.addHook('preParsing', async (request, reply, payload) => {
    if (awaitingContinue.delete(request.raw) && !request.is404) reply.raw.writeContinue();
    return payload;
  });
  app.addHook('onSend', async (request, reply, payload) => {
    if (request.raw.complete === false) void reply.header('connection', 'close');
    return payload;
  });
}
