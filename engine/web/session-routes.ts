/**
 * GET /login, POST /login, POST /logout. A login is checked for its origin (before its body
 * is read), its form nonce, the attempts limit, then the token: the admin token opens an
 * admin session, the viewer token a read-only one. Logs say who (role, address), never the
 * token.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Assets } from './assets.js';
import { anyToken, endSession, loginNonce, loginNonceMatches, sessionOf, startSession, whoPresents } from './auth.js';
import type { WebAuth } from './auth.js';
import { errorPage } from './error-page.js';
import { page } from './layout.js';
import { LoginLimit } from './login-limit.js';
import { loginPage } from './login.js';
import { crossSiteReason } from './request-checks.js';
import { csrfMatches } from './sessions.js';

export interface SessionRouteDeps {
  auth: WebAuth;
  assets: Assets;
  clock: () => number;
}

type Form = Record<string, string> | undefined;

/** onRequest: a state-changing request from another site is refused before its body is read. */
export function sameOriginOnly(externalUrl: string | null, assets: Assets) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const reason = crossSiteReason(request, externalUrl);
    if (reason === null) return;
    request.log.warn({ ip: request.ip, url: request.url, reason }, 'web page request refused: not from the page itself');
    await errorPage(reply, assets, 403, `Refused: this request did not come from this engine's page (${reason}).`);
  };
}

export function sessionRoutes(app: FastifyInstance, deps: SessionRouteDeps): void {
  const { auth, assets } = deps;
  const limit = new LoginLimit(deps.clock);
  const noToken = () => !anyToken(auth);
  const form = (request: FastifyRequest, reply: FastifyReply, status: number, error?: string) =>
    reply.code(status).type('text/html; charset=utf-8').send(page('Log in: homeostat', assets, loginPage({ nonce: loginNonce(auth, request, reply), noToken: noToken(), ...(error ? { error } : {}) })).text);

  app.get('/login', async (request, reply) => {
    if (sessionOf(auth, request)) return reply.redirect('/', 303);
    return form(request, reply, noToken() ? 503 : 200);
  });

  app.post('/login', { onRequest: sameOriginOnly(auth.externalUrl, assets) }, async (request, reply) => {
    const body = request.body as Form;
    if (!loginNonceMatches(request, body?._csrf)) return form(request, reply, 403, 'The form was too old or not from this page: log in again.');
    const wait = limit.waitFor(request.ip);
    if (wait > 0) {
      request.log.warn({ ip: request.ip }, 'web login refused: too many failed attempts');
      void reply.header('retry-after', String(Math.ceil(wait / 1000)));
      return form(request, reply, 429, `Too many failed attempts: try again in ${Math.ceil(wait / 60_000)} minute(s).`);
    }
    const presented = typeof body?.token === 'string' ? body.token.trim() : '';
    const who = whoPresents(auth, presented);
    if (!who) {
      limit.failed(request.ip);
      request.log.warn({ ip: request.ip }, 'web login failed: not the admin or the viewer token');
      return form(request, reply, 401, noToken() ? 'Nobody can log in: this engine has no admin or viewer token.' : 'That is not a token of this engine.');
    }
    const session = auth.sessions.create(who.role, who.name, who.token);
    startSession(auth, request, reply, session);
    request.log.info({ ip: request.ip, role: who.role, name: who.name }, 'web login');
    return reply.redirect('/', 303);
  });

  app.post('/logout', { onRequest: sameOriginOnly(auth.externalUrl, assets) }, async (request, reply) => {
    const session = sessionOf(auth, request);
    if (session && !csrfMatches(session, (request.body as Form)?._csrf)) return errorPage(reply, assets, 403, 'Refused: the form was not from this session; reload the page and log out again.');
    endSession(auth, reply, session);
    if (session) request.log.info({ ip: request.ip, role: session.role, name: session.name }, 'web logout');
    return reply.redirect('/login', 303);
  });
}
