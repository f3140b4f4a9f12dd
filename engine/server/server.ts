/**
 * The HTTP API of `homeostat serve`, built as a fastify instance (tests call inject(); only
 * `serve` listens). Owns request handling only: authentication, payload parsing and validation,
 * status codes, logs of refusals, what a connection may cost. Decisions, journal and actions
 * belong to the engine.
 */
import type { Readable } from 'node:stream';
import Fastify, { LogController } from 'fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { PayloadResult } from '../alerts/payload.js';
import { SERVE_DEFAULTS } from '../config/serve-config.js';
import type { Engine } from '../runtime/engine.js';
import { NotReadyError } from '../runtime/engine.js';
import type { Metrics } from '../runtime/metrics.js';
import { parseDuration } from '../util/duration.js';
import { hubSignatureMatches, presentedToken, tokenMatches } from './auth.js';
import { readBodyChunks } from './body-chunks.js';
import { arrivalTimeouts, guardConnections } from './connections.js';
import { currentToken } from './tokens.js';
import type { Token } from './tokens.js';
import { parseWebhookBody } from './webhook-body.js';
import { scheduleRoutes } from './schedules.js';
import { webPage } from '../web/index.js';

export interface ServerDeps {
  engine: Pick<Engine, 'receive' | 'status' | 'notReady' | 'overloaded' | 'recent' | 'sync'> & Partial<Pick<Engine, 'schedules' | 'runHistory'>>;
  metrics: Metrics;
  log: Logger;
  /** A token read from a file is checked as it is now: a rotated one is refused. */
  webhookToken: Token;
  adminToken: Token;
  /** The web page's read-only token (the admin token logs in with every right). */
  viewerToken?: Token;
  /** The engine's address as browsers reach it: the web page's own origin besides the Host asked for. */
  externalUrl?: string | null;
  /** The policy repository's push webhook secret, also a bearer token for POST /api/v1/sync. */
  syncToken?: Token;
  maxBodyBytes: number;
  /** How long a request may take to arrive, headers and body (--request-timeout). */
  requestTimeoutMs?: number;
}

const DEFAULT_REQUEST_TIMEOUT_MS = parseDuration(SERVE_DEFAULTS['request-timeout'])!;

/** Fingerprint mismatches named in the log line of one webhook (index, sent, computed). */
const MISMATCHES_LOGGED = 10;

/** A push webhook's body: GitHub's push payloads are capped at 25 MB. */
const SYNC_BODY_LIMIT = 26 * 1024 * 1024;

export function buildServer(deps: ServerDeps) {
  const app = Fastify({
    loggerInstance: deps.log,
    // The routes log what happened in their own words; fastify's per-request lines are noise.
    logController: new LogController({ disableRequestLogging: true }),
    // Alertmanager posts a whole group at once: the limit is --max-body (32 MiB by default).
    bodyLimit: deps.maxBodyBytes,
    // While stopping, new requests get 503, which Alertmanager retries.
    return503OnClosing: true,
    ...arrivalTimeouts(deps.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS),
  });
  const { engine, metrics } = deps;
  guardConnections(app);
  // Only the webhook and sync routes read a body, each with its own parser and after its token
  // check: any other request (an unknown route too) is answered without its body being read.
  app.removeAllContentTypeParsers();

  const requireToken = (token: Token, realm: string) => async (request: FastifyRequest, reply: FastifyReply) => {
    const expected = currentToken(token);
    if (expected === null) return;
    // onRequest runs before the body is read: an unauthenticated storm costs no parsing.
    if (!tokenMatches(presentedToken(request.headers.authorization), expected)) {
      request.log.warn({ ip: request.ip, url: request.url }, 'request refused: missing or wrong token');
      await reply.code(401).header('www-authenticate', `Bearer realm="${realm}"`).send({ error: 'unauthorized: give the token as Authorization: Bearer TOKEN (or basic auth with the token as password)' });
    }
  };

  app.setErrorHandler((error: Error & { code?: string; statusCode?: number }, request, reply) => {
    const status = error.statusCode ?? 500;
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      request.log.error(
        { bytes: Number(request.headers['content-length'] ?? 0), limit: deps.maxBodyBytes },
        'webhook body over the limit and refused; Alertmanager does not retry a 413, so these alerts are lost: set max_alerts in its webhook_config, or raise --max-body',
      );
      return reply.code(413).send({ error: `body over ${deps.maxBodyBytes} bytes: set max_alerts in Alertmanager's webhook_config or raise --max-body` });
    }
    if (status === 413) {
      request.log.error({ problem: error.message }, 'webhook body refused: too large to parse; Alertmanager does not retry a 413, so these alerts are lost');
      return reply.code(413).send({ error: error.message });
    }
    if (status < 500) {
      request.log.warn({ code: error.code, url: request.url }, 'request refused');
      return reply.code(status).send({ error: error.message });
    }
    request.log.error({ err: error, url: request.url }, 'request failed');
    return reply.code(500).send({ error: 'internal error; see the engine log' });
  });

  // Past the backlog limit a storm is answered 503 (Alertmanager retries) before its body is
  // read: parsing what would be refused anyway would only slow the catching up.
  const shedWhenOverloaded = async (request: FastifyRequest, reply: FastifyReply) => {
    if (reply.sent) return;
    const overload = engine.overloaded();
    if (overload === null) return;
    request.log.warn({ reason: overload }, 'webhook refused before its body was read: not ready or overloaded (Alertmanager will retry)');
    await reply.code(503).send({ error: overload });
  };

  // Every answer of the webhook is counted once, by its status code: refusals before the body
  // (401, 503), of the body (413, 400) and after it (202, 503).
  const countAnswer = async (_request: FastifyRequest, reply: FastifyReply) => {
    metrics.webhookRequests.inc({ code: String(reply.statusCode) });
  };
  // The webhook reads its body as the chunks it arrived in and parses it itself (webhook-body.ts,
  // body-chunks.ts): a label named
  // __proto__ is data, and a large body is parsed off this thread.
  void app.register(async (webhook) => {
    webhook.removeAllContentTypeParsers();
    webhook.addContentTypeParser('application/json', async (request: FastifyRequest, payload: Readable) =>
      parseWebhookBody(await readBodyChunks(payload, request.headers['content-length'], deps.maxBodyBytes)),
    );
    webhook.post('/api/v1/alerts', { onRequest: [requireToken(deps.webhookToken, 'webhook'), shedWhenOverloaded], onResponse: countAnswer }, async (request, reply) => {
      const split = request.body as PayloadResult;
      if (!split.ok) {
        const p = split.problems[0]!;
        request.log.warn({ pointer: p.pointer, problem: p.message }, 'webhook payload refused: not an Alertmanager webhook payload (version 4)');
        return reply.code(400).send({ error: `not an Alertmanager webhook payload (version 4): ${p.pointer || '/'} ${p.message}` });
      }
      const mismatches = split.fingerprintMismatches;
      // One line per webhook, not per alert: a storm of wrong fingerprints is one event.
      if (mismatches.length) request.log.warn({ count: mismatches.length, first: mismatches.slice(0, MISMATCHES_LOGGED) }, 'alert fingerprints sent differ from those of their labels; the computed ones are used');
      try {
        const result = await engine.receive(split.payload);
        request.log.info({ groupKey: split.payload.group.groupKey, ...result }, 'alerts decided');
        return reply.code(202).send(result);
      } catch (error) {
        if (!(error instanceof NotReadyError)) throw error;
        request.log.warn({ reason: error.message }, 'webhook refused: not ready (Alertmanager will retry)');
        return reply.code(503).send({ error: `not ready: ${error.message}` });
      }
    });
  });

  const admin = { onRequest: requireToken(deps.adminToken, 'admin') };
  app.get('/api/v1/status', admin, async () => engine.status());
  app.get<{ Querystring: { policy?: string; target?: string; outcome?: string; limit?: string } }>('/api/v1/actions', admin, async (request) => {
    const { policy, target, outcome, limit } = request.query;
    const n = limit === undefined ? 100 : Math.min(500, Math.max(1, Number.parseInt(limit, 10) || 100));
    return { actions: engine.recent.list({ policy, target, outcome, limit: n }) };
  });
  // One recent entry, as notifications link to it (--external-url); older ones are in the audit repository.
  app.get<{ Params: { id: string } }>('/api/v1/actions/:id', admin, async (request, reply) => {
    const entry = engine.recent.get(request.params.id);
    if (!entry) return reply.code(404).send({ error: `no recent entry ${request.params.id}: older entries are in the audit repository (homeostat audit show ID)` });
    return entry;
  });
  if (engine.schedules && engine.runHistory) void app.register(scheduleRoutes({ runHistory: engine.runHistory, schedules: engine.schedules }, admin.onRequest));

  // POST /api/v1/sync: fetch the policy remote now. Accepted with the admin or the sync token
  // as bearer, or as a GitHub push webhook signed with the sync token (X-Hub-Signature-256),
  // whose signature covers the raw body: this route reads its body as bytes.
  void app.register(async (sync) => {
    sync.removeAllContentTypeParsers();
    sync.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: SYNC_BODY_LIMIT }, (_request, body, done) => done(null, body));
    const tokens = () => ({ admin: currentToken(deps.adminToken), sync: currentToken(deps.syncToken ?? null) });
    const byToken = (request: FastifyRequest) => Object.values(tokens()).some((t) => t !== null && tokenMatches(presentedToken(request.headers.authorization), t));
    const refuse = (request: FastifyRequest, reply: FastifyReply) => {
      request.log.warn({ ip: request.ip, signed: request.headers['x-hub-signature-256'] !== undefined }, 'sync refused: no valid token or push signature');
      return reply.code(401).send({ error: 'unauthorized: sign the push webhook with the sync token (X-Hub-Signature-256), or give the admin or sync token as Authorization: Bearer TOKEN' });
    };
    // Before the body is read: only a request with a valid token, or one that says it is signed
    // while a sync token exists to check it, gets its body read.
    const mayRead = async (request: FastifyRequest, reply: FastifyReply) => {
      const { admin, sync: syncToken } = tokens();
      const open = admin === null && syncToken === null;
      const signed = syncToken !== null && typeof request.headers['x-hub-signature-256'] === 'string';
      if (!open && !signed && !byToken(request)) await refuse(request, reply);
    };
    sync.post('/api/v1/sync', { onRequest: mayRead }, async (request, reply) => {
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const { admin, sync: syncToken } = tokens();
      const open = admin === null && syncToken === null;
      const signature = request.headers['x-hub-signature-256'];
      const bySignature = syncToken !== null && typeof signature === 'string' && hubSignatureMatches(signature, body, syncToken);
      if (!open && !bySignature && !byToken(request)) return refuse(request, reply);
      const event = request.headers['x-github-event'];
      if (event === 'ping') return reply.code(200).send({ ok: true, event: 'ping' });
      if (event !== undefined && event !== 'push') return reply.code(202).send({ ok: true, ignored: `event ${String(event)}: only push syncs` });
      const report = await engine.sync();
      const status = engine.status().policies;
      request.log.info({ revision: status.revision, ok: report.ok, event: event ?? 'sync' }, 'policy sync requested');
      return reply.code(200).send({ ok: report.ok, revision: status.revision, lastLoad: report, source: status.source });
    });
  });

  // The web page at GET / (engine/web/): its own sessions, cookies and form bodies, in its own scope.
  void app.register(webPage({ engine, admins: [{ name: 'admin', token: deps.adminToken }], viewerToken: deps.viewerToken ?? null, externalUrl: deps.externalUrl ?? null }));

  app.get('/healthz', async () => ({ ok: true }));
  app.get('/readyz', async (_request, reply) => {
    const reasons = engine.notReady();
    return reply.code(reasons.length ? 503 : 200).send({ ready: reasons.length === 0, reasons });
  });
  app.get('/metrics', async (_request, reply) => {
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return app;
}
