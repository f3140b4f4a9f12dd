/**
 * The web page's routes on a real engine (one process, real journal, git audit and scripts) and
 * the server `serve` builds around it,
 * driven through inject(): login with the admin or viewer token for a session cookie, the
 * cookie's attributes, CSRF and origin checks on every state-changing request, attempts
 * limited, a viewer refused a run, sessions ended by logout and by a rotated token, hostile
 * labels escaped, the headers every answer carries.
 */
import Fastify from 'fastify';
import type { LightMyRequestResponse } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LiveToken } from '../../engine/server/tokens.js';
import { createMetrics } from '../../engine/runtime/metrics.js';
import { buildServer } from '../../engine/server/server.js';
import { webPage } from '../../engine/web/index.js';
import { ECHO_REPO } from '../helpers/echo-policy.js';
import { closeTestEngine, payload, startTestEngine, waitFor } from '../helpers/engine.js';
import type { TestEngine } from '../helpers/engine.js';

const ADMIN = 'admin-token-0123456789abcdef';
const VIEWER = 'viewer-token-0123456789abcdef';
const ORIGIN = 'http://localhost:80';
const SAME = { origin: ORIGIN, 'sec-fetch-site': 'same-origin' };

const SCHEDULE = `apiVersion: homeostat/v1
kind: Schedule
metadata: { name: nightly-echo }
spec:
  cron: '0 3 1 1 *'
  timezone: Europe/Berlin
  targets: { hosts: [web-1] }
  actions:
    - name: echo
      script: { path: scripts/echo.sh, args: ['{{ target }}'] }
`;

let t: TestEngine | undefined;
let app: ReturnType<typeof buildServer>;
let admin = ADMIN;
const adminToken: LiveToken = { current: () => admin };

/** The engine's HTTP server with the page, as `serve` builds it (each has its own sessions and login limit). */
/** (Wrapped: a fastify instance is thenable, and an async function would unwrap it.) */
async function pageApp(): Promise<{ server: ReturnType<typeof buildServer> }> {
  const server = buildServer({
    engine: t!.engine, metrics: createMetrics({ defaults: false }), log: pino({ level: 'silent' }),
    webhookToken: null, adminToken, viewerToken: VIEWER, externalUrl: 'https://homeostat.example', maxBodyBytes: 1024 * 1024,
  });
  await server.ready();
  return { server };
}

beforeAll(async () => {
  t = await startTestEngine({ files: { ...ECHO_REPO, 'rules/nightly.yaml': SCHEDULE } });
  await waitFor(() => t!.engine.schedules.list().length === 1, 'the schedule to be active');
  app = (await pageApp()).server;
});
afterAll(async () => {
  await app?.close();
  t = await closeTestEngine(t);
});

function cookiesOf(response: LightMyRequestResponse): Record<string, string> {
  return Object.fromEntries(response.cookies.map((c) => [c.name, c.value]));
}

/** Logs in through the form as a browser would; the session cookie. */
async function login(token: string, headers: Record<string, string> = SAME, on: Pick<typeof app, 'inject'> = app): Promise<{ response: LightMyRequestResponse; session?: string }> {
  const form = await on.inject({ method: 'GET', url: '/login' });
  const nonce = /name="_csrf" value="([^"]+)"/.exec(form.body)![1]!;
  const response = await on.inject({
    method: 'POST',
    url: '/login',
    headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
    cookies: cookiesOf(form),
    payload: new URLSearchParams({ _csrf: nonce, token }).toString(),
  });
  return { response, session: cookiesOf(response).homeostat_session };
}

const loginOn = login;

async function overview(session: string) {
  return app.inject({ method: 'GET', url: '/', cookies: { homeostat_session: session } });
}

function csrfOf(body: string): string {
  return /name="_csrf" value="([^"]+)"/.exec(body)![1]!;
}

async function runNow(session: string, csrf: string, headers: Record<string, string> = SAME) {
  return app.inject({
    method: 'POST',
    url: '/ui/schedules/nightly-echo/run',
    headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded', 'hx-request': 'true' },
    cookies: { homeostat_session: session },
    payload: new URLSearchParams({ _csrf: csrf }).toString(),
  });
}

describe('the web page', () => {
  it('sends a browser without a session to the login form, which carries the strict headers', async () => {
    const root = await app.inject({ method: 'GET', url: '/' });
    expect([root.statusCode, root.headers.location]).toEqual([303, '/login']);
    const poll = await app.inject({ method: 'GET', url: '/ui/sections/actions', headers: { 'hx-request': 'true' } });
    expect([poll.statusCode, poll.headers['hx-redirect']]).toEqual([401, '/login']);
    const form = await app.inject({ method: 'GET', url: '/login' });
    expect(form.statusCode).toBe(200);
    expect(form.headers['content-security-policy']).toBe("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    expect(form.headers['x-frame-options']).toBe('DENY');
    expect(form.headers['referrer-policy']).toBe('same-origin');
    expect(form.headers['cache-control']).toBe('no-store');
    expect(form.body).not.toMatch(/<script>|<style|style=| on[a-z]+=/);
  });

  it('opens an HttpOnly, SameSite=Strict, signed session with expiry for the admin token', async () => {
    const { response, session } = await login(ADMIN);
    expect([response.statusCode, response.headers.location]).toEqual([303, '/']);
    const cookie = response.cookies.find((c) => c.name === 'homeostat_session')!;
    expect({ httpOnly: cookie.httpOnly, sameSite: cookie.sameSite, path: cookie.path, maxAge: cookie.maxAge }).toEqual({ httpOnly: true, sameSite: 'Strict', path: '/', maxAge: 43_200 });
    // Signed: the session id, a dot, the signature.
    expect(session).toMatch(/^[A-Za-z0-9_-]{43}\.[A-Za-z0-9+/_-]+$/);
    const page = await overview(session!);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Logged in as <strong>admin</strong>');
    expect(page.body).toContain('id="run-nightly-echo"');
    // The JSON API keeps its bearer token: the session cookie opens none of it.
    const api = await app.inject({ method: 'GET', url: '/api/v1/status', cookies: { homeostat_session: session! } });
    expect(api.statusCode).toBe(401);
    // A cookie with a forged signature opens nothing.
    const forged = await overview(`${session!.split('.')[0]}.AAAA`);
    expect(forged.statusCode).toBe(303);
  });

  it('refuses a wrong token, a form without its nonce, a login from another site, and limits attempts', async () => {
    const { server: own } = await pageApp();
    const login = (token: string, headers: Record<string, string> = SAME) => loginOn(token, headers, own);
    const wrong = await login('not-the-token-at-all-000000');
    expect([wrong.response.statusCode, wrong.session]).toEqual([401, undefined]);
    expect(wrong.response.body).toContain('That is not a token of this engine.');
    const crossSite = await login(ADMIN, { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' });
    expect([crossSite.response.statusCode, crossSite.session]).toEqual([403, undefined]);
    const noNonce = await own.inject({ method: 'POST', url: '/login', headers: { ...SAME, 'content-type': 'application/x-www-form-urlencoded' }, payload: `token=${ADMIN}` });
    expect(noNonce.statusCode).toBe(403);
    const fails = [];
    for (let i = 0; i < 10; i++) fails.push((await login('wrong-token-0000000000000000', { ...SAME, 'x-forwarded-for': 'ignored' })).response.statusCode);
    // One failure above, nine here reach the limit of ten; the tenth attempt is refused unheard.
    expect(fails).toEqual([401, 401, 401, 401, 401, 401, 401, 401, 401, 429]);
    const limited = await login(ADMIN);
    expect([limited.response.statusCode, limited.session]).toEqual([429, undefined]);
    expect(Number(limited.response.headers['retry-after'])).toBeGreaterThan(0);
    await own.close();
  });
});

describe('buttons and what they may do', () => {
  it('runs a schedule for an admin session from the page, and shows the run', async () => {
    const { session } = await login(ADMIN);
    const csrf = csrfOf((await overview(session!)).body);
    const asked = await runNow(session!, csrf);
    expect(asked.statusCode).toBe(202);
    expect(asked.headers['hx-trigger']).toBe('refresh-schedules');
    expect(asked.body).toBe('nightly-echo: run asked for on 1 target (web-1); its outcome follows below.');
    const run = await waitFor(() => t!.engine.recent.list({ kind: 'run' }).find((e) => e.outcome === 'succeeded'), 'the run to succeed');
    expect(run.schedule).toMatchObject({ name: 'nightly-echo', trigger: 'manual', by: 'admin (web page, from 127.0.0.1)' });
    const section = await app.inject({ method: 'GET', url: '/ui/sections/schedules', cookies: { homeostat_session: session! } });
    expect(section.body).toContain(`href="/actions/${run.id}"`);
    expect(section.body).toMatch(/<span class="badge ok">succeeded<\/span>/);
    const details = await app.inject({ method: 'GET', url: `/actions/${run.id}`, cookies: { homeostat_session: session! } });
    expect(details.body).toContain('<pre>hello web-1\n</pre>');
  });

  it('refuses a run to a viewer session, to a form without the CSRF token, and to another site', async () => {
    const viewer = (await login(VIEWER)).session!;
    const viewerPage = (await overview(viewer)).body;
    expect(viewerPage).toContain('Logged in as <strong>viewer</strong> (read only)');
    expect(viewerPage).not.toContain('Run now');
    const runs = () => t!.engine.recent.list({ kind: 'run' }).length;
    const before = runs();
    const byViewer = await runNow(viewer, csrfOf(viewerPage));
    expect([byViewer.statusCode, byViewer.body]).toEqual([403, 'Refused: logged in with the viewer token, this page is read-only.']);

    const session = (await login(ADMIN)).session!;
    const csrf = csrfOf((await overview(session)).body);
    expect((await runNow(session, 'a-guessed-token')).statusCode).toBe(403);
    expect((await runNow(session, csrfOf(viewerPage))).statusCode).toBe(403);
    const crossSite = await runNow(session, csrf, { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' });
    expect(crossSite.statusCode).toBe(403);
    expect(crossSite.body).toContain('Sec-Fetch-Site is cross-site, not same-origin');
    // An older browser sends no Sec-Fetch-Site: its Origin decides.
    expect((await runNow(session, csrf, { origin: 'http://evil.example' })).body).toContain('Origin is another site');
    expect((await runNow(session, csrf, {})).statusCode).toBe(403);
    // --external-url names the page's origin behind a proxy.
    expect((await runNow(session, csrf, { origin: 'https://homeostat.example' })).statusCode).toBe(202);
    await waitFor(() => t!.engine.recent.list({ kind: 'run' }).every((e) => e.outcome !== null), 'the run to end');
    expect(runs()).toBe(before + 1);
  });

  it('shows a hostile label as text, in the list and in the details', async () => {
    const hostile = '<script>alert(1)</script><img src=x onerror="alert(2)">';
    expect((await t!.post(payload({ alertname: 'Echo', host: 'web-9', note: hostile }))).statusCode).toBe(202);
    const entry = await waitFor(() => t!.engine.recent.list().find((e) => e.alert?.labels.note === hostile && e.outcome), 'the hostile alert to be decided');
    const session = (await login(ADMIN)).session!;
    const details = await app.inject({ method: 'GET', url: `/actions/${entry.id}`, cookies: { homeostat_session: session } });
    expect(details.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=&quot;alert(2)&quot;&gt;');
    expect(details.body).not.toContain('<script>alert');
    expect(details.body).not.toContain('<img');
  });
});

describe('the end of a session', () => {
  it('ends at logout: the cookie opens nothing after', async () => {
    const session = (await login(ADMIN)).session!;
    const csrf = csrfOf((await overview(session)).body);
    const out = await app.inject({ method: 'POST', url: '/logout', headers: { ...SAME, 'content-type': 'application/x-www-form-urlencoded' }, cookies: { homeostat_session: session }, payload: `_csrf=${csrf}` });
    expect([out.statusCode, out.headers.location]).toEqual([303, '/login']);
    expect(cookiesOf(out).homeostat_session).toBe('');
    expect((await overview(session)).statusCode).toBe(303);
  });

  it('ends when the token it was opened with is rotated', async () => {
    const session = (await login(ADMIN)).session!;
    expect((await overview(session)).statusCode).toBe(200);
    admin = 'admin-token-rotated-0123456789';
    try {
      expect((await overview(session)).statusCode).toBe(303);
      expect((await login(ADMIN)).response.statusCode).toBe(401);
      expect((await login(admin)).response.statusCode).toBe(303);
    } finally {
      admin = ADMIN;
    }
  });
});

describe('several admin tokens', () => {
  it('opens a session in the name of the admin token given, and runs in that name', async () => {
    const page = Fastify();
    await page.register(webPage({ engine: t!.engine, admins: [{ name: 'alice', token: 'alice-token-0123456789abcdef' }, { name: 'bob', token: 'bob-token-0123456789abcdef' }], viewerToken: null, externalUrl: null }));
    try {
      const { session } = await login('bob-token-0123456789abcdef', SAME, page);
      const body = (await page.inject({ method: 'GET', url: '/', cookies: { homeostat_session: session! } })).body;
      expect(body).toContain('Logged in as <strong>bob</strong> (admin)');
      const asked = await page.inject({
        method: 'POST', url: '/ui/schedules/nightly-echo/run', cookies: { homeostat_session: session! },
        headers: { ...SAME, 'content-type': 'application/x-www-form-urlencoded', 'hx-request': 'true' }, payload: `_csrf=${encodeURIComponent(csrfOf(body))}`,
      });
      expect(asked.statusCode).toBe(202);
      const run = await waitFor(() => t!.engine.recent.list({ kind: 'run' }).find((e) => e.schedule?.by?.startsWith('bob')), "bob's run");
      expect(run.schedule?.by).toBe('bob (web page, from 127.0.0.1)');
      await waitFor(() => t!.engine.recent.list({ kind: 'run' }).every((e) => e.outcome !== null), 'the run to end');
    } finally {
      await page.close();
    }
  });
});
