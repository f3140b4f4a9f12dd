/**
 * The page and its parts for a logged-in browser: GET / (every section), GET
 * /ui/sections/ID (one section, as htmx polls it), GET /actions/ID and /ui/entries/ID (an audit
 * entry's details), and the sections' buttons. A request without a session is sent to the
 * login form (htmx is told to go there: HX-Redirect). A button needs an admin session, the
 * page's own origin and the session's CSRF token; a viewer's is refused.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isEntryId } from '../audit/entry.js';
import type { Assets } from './assets.js';
import { sessionOf } from './auth.js';
import type { WebAuth } from './auth.js';
import { entryDetails, entryPage } from './entry-page.js';
import { errorPage } from './error-page.js';
import { html } from './html.js';
import type { Html } from './html.js';
import { page } from './layout.js';
import { SECTIONS } from './sections/index.js';
import { refreshEvent, sectionFrame } from './sections/frame.js';
import { sameOriginOnly } from './session-routes.js';
import { csrfMatches, ROLES } from './sessions.js';
import type { Session } from './sessions.js';
import type { Answer, SectionRoutes, View, WebEngine } from './view.js';

export interface PageRouteDeps {
  auth: WebAuth;
  assets: Assets;
  clock: () => number;
  engine: WebEngine;
}

const HTML = 'text/html; charset=utf-8';

function fromHtmx(request: FastifyRequest): boolean {
  return request.headers['hx-request'] === 'true';
}

export function pageRoutes(app: FastifyInstance, deps: PageRouteDeps): void {
  const { auth, assets, engine } = deps;
  const view = (session: Session): View => ({ engine, session, now: deps.clock() });

  /** The session, or null once the answer (to the login form) is sent. */
  const loggedIn = (request: FastifyRequest, reply: FastifyReply): Session | null => {
    const session = sessionOf(auth, request);
    if (session) return session;
    if (fromHtmx(request)) void reply.code(401).header('hx-redirect', '/login').send('');
    else void reply.redirect('/login', 303);
    return null;
  };
  const send = (reply: FastifyReply, body: Html, status = 200) => reply.code(status).type(HTML).send(body.text);

  app.get('/', async (request, reply) => {
    const session = loggedIn(request, reply);
    if (!session) return reply;
    const v = view(session);
    const body = html`<h1>On call</h1>
${SECTIONS.map((s) => sectionFrame(s, v))}`;
    return send(reply, page('homeostat', assets, body, session));
  });

  app.get<{ Params: { id: string } }>('/ui/sections/:id', async (request, reply) => {
    const session = loggedIn(request, reply);
    if (!session) return reply;
    const section = SECTIONS.find((s) => s.id === request.params.id);
    if (!section) return errorPage(reply, assets, 404, 'No such section.');
    return send(reply, section.render(view(session)));
  });

  const entryRoute = (render: (entry: NonNullable<ReturnType<WebEngine['recent']['get']>>, session: Session) => Html) => async (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
    const session = loggedIn(request, reply);
    if (!session) return reply;
    const { id } = request.params;
    const entry = isEntryId(id) ? engine.recent.get(id) : undefined;
    if (!entry) return errorPage(reply, assets, 404, `No recent entry ${id}: older entries are in the audit repository (homeostat audit show ID).`);
    return send(reply, render(entry, session));
  };
  app.get('/actions/:id', entryRoute((entry, session) => page(`Entry ${entry.id}: homeostat`, assets, entryPage(entry), session)));
  app.get('/ui/entries/:id', entryRoute((entry) => entryDetails(entry)));

  const answer = (request: FastifyRequest, reply: FastifyReply, sectionId: string, a: Answer) => {
    if (fromHtmx(request)) return reply.code(a.status).type(HTML).header('hx-trigger', refreshEvent({ id: sectionId })).send(html`${a.text}`.text);
    if (a.status < 400) return reply.redirect(`/#${sectionId}`, 303);
    return errorPage(reply, assets, a.status, a.text);
  };
  for (const section of SECTIONS) {
    const routes: SectionRoutes = {
      post: (path, handle) => {
        app.post<{ Params: Record<string, string> }>(path, { onRequest: sameOriginOnly(auth.externalUrl, assets) }, async (request, reply) => {
          const session = loggedIn(request, reply);
          if (!session) return reply;
          const form = (request.body ?? {}) as Record<string, string>;
          if (!csrfMatches(session, form._csrf)) return answer(request, reply, section.id, { status: 403, text: 'Refused: the form was not from this session; reload the page.' });
          if (session.role !== ROLES.admin) {
            request.log.warn({ ip: request.ip, url: request.url }, 'web page request refused: a viewer session is read-only');
            return answer(request, reply, section.id, { status: 403, text: 'Refused: logged in with the viewer token, this page is read-only.' });
          }
          const { _csrf: _, ...fields } = form;
          return answer(request, reply, section.id, await handle({ params: request.params, form: fields, view: view(session), ip: request.ip }));
        });
      },
    };
    section.register?.(routes);
  }
}
