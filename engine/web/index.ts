/**
 * The web page for the people on call, at GET / of the engine's own fastify instance: the
 * engine's state, the latest actions with their audit details, the routine jobs with a
 * run-now button, refusals by guard. Server-rendered HTML, updated in place by htmx (served
 * from the engine, no build step, no CDN). Owns the page's routes, sessions and the
 * protections around them (login, CSRF, Content-Security-Policy, escaping); reads the engine
 * through its public methods and never touches the JSON API's routes, which keep their bearer
 * tokens (a session cookie opens none of them).
 */
import { randomBytes } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Token } from '../server/tokens.js';
import { loadAssets } from './assets.js';
import type { NamedToken, WebAuth } from './auth.js';
import { pageRoutes } from './page-routes.js';
import { securityHeaders } from './request-checks.js';
import { sessionRoutes } from './session-routes.js';
import { Sessions } from './sessions.js';
import { errorPage } from './error-page.js';
import type { WebEngine } from './view.js';

export type { WebEngine } from './view.js';
export type { NamedToken } from './auth.js';

export interface WebDeps {
  engine: WebEngine;
  /** The admin tokens, each with the name its answers are given in. */
  admins: readonly NamedToken[];
  viewerToken: Token;
  /** The engine's address as browsers reach it (--external-url): its origin is the page's own. */
  externalUrl: string | null;
  clock?: () => number;
}

/** A form's fields: a token, a CSRF token, a reason. */
const FORM_BODY_LIMIT = 8 * 1024;

/** A plugin: `app.register(webPage(deps))`. */
export function webPage(deps: WebDeps) {
  return async (app: FastifyInstance): Promise<void> => {
    const clock = deps.clock ?? Date.now;
    const assets = loadAssets();
    const auth: WebAuth = { sessions: new Sessions(clock), admins: deps.admins, viewerToken: deps.viewerToken, externalUrl: deps.externalUrl };
    // Signs the session cookie: a cookie not made here is refused before its session is looked up.
    await app.register(fastifyCookie, { secret: randomBytes(32).toString('base64') });
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });
    app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply) => {
      securityHeaders(reply);
      if (!request.url.startsWith('/assets/')) void reply.header('cache-control', 'no-store');
    });
    app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
      const status = error.statusCode ?? 500;
      if (status >= 500) request.log.error({ err: error, url: request.url }, 'web page request failed');
      else request.log.warn({ url: request.url, problem: error.message }, 'web page request refused');
      return errorPage(reply, assets, status, status >= 500 ? 'Something went wrong; the engine log says what.' : error.message);
    });
    app.get<{ Params: { file: string } }>('/assets/:file', async (request, reply) => {
      const asset = assets.byPath.get(`/assets/${request.params.file}`);
      if (!asset) return errorPage(reply, assets, 404, 'No such file.');
      return reply.type(asset.type).header('cache-control', 'public, max-age=31536000, immutable').send(asset.body);
    });
    // Browsers ask for it on every page; no icon rather than a 404 in their console.
    app.get('/favicon.ico', async (_request, reply) => reply.code(204).send());
    sessionRoutes(app, { auth, assets, clock });
    pageRoutes(app, { auth, assets, clock, engine: deps.engine });
  };
}
