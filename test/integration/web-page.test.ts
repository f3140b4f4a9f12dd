/**
 * The web page's routes on a real engine (one process, real journal, git audit and scripts),
 * driven through inject(): login with the admin or viewer token for a session cookie, the
 * cookie's attributes, CSRF and origin checks on every state-changing request, attempts
 * limited, a viewer refused a run, sessions ended by logout and by a rotated token, hostile
 * labels escaped, the headers every answer carries.
 */
import Fastify from 'fastify';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LiveToken } from '../../engine/server/tokens.js';
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
let app: ReturnType<typeof Fastify>;
let admin = ADMIN;
const adminToken: LiveToken = { current: () => admin };

beforeAll(async () => {
  t = await startTestEngine({ files: { ...ECHO_REPO, 'rules/nightly.yaml': SCHEDULE } });
  await waitFor(() => t!.engine.schedules.list().length === 1, 'the schedule to be active');
  app = Fastify();
  await app.register(webPage({ engine: t.engine, adminToken, viewerToken: VIEWER, externalUrl: null }));
});
afterAll(async () => {
  await app?.close();
  t = await closeTestEngine(t);
});

function cookiesOf(response: LightMyRequestResponse): Record<string, string> {
  return Object.fromEntries(response.cookies.map((c) => [c.name, c.value]));
}

/** Logs in through the form as a browser would; the session cookie. */
async function login(token: string, headers: Record<string, string> = SAME): Promise<{ response: LightMyRequestResponse; session?: string }> {
  const form = await app.inject({ method: 'GET', url: '/login' });
  const nonce = /name="_csrf" value="([^"]+)"/.exec(form.body)![1]!;
  const response = await app.inject({
    method: 'POST',
    url: '/login',
    headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
    cookies: cookiesOf(form),
    payload: new URLSearchParams({ _csrf: nonce, token }).toString(),
  });
  return { response, session: cookiesOf(response).homeostat_session };
}

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
    // A cookie with a forged signature opens nothing.
    const forged = await overview(`${session!.split('.')[0]}.AAAA`);
    expect(forged.statusCode).toBe(303);
  });

  it('refuses a wrong token, a form without its nonce, a login from another site, and limits attempts', async () => {
    const wrong = await login('not-the-token-at-all-000000');
    expect([wrong.response.statusCode, wrong.session]).toEqual([401, undefined]);
    expect(wrong.response.body).toContain('That is not a token of this engine.');
    const crossSite = await login(ADMIN, { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' });
    expect([crossSite.response.statusCode, crossSite.session]).toEqual([403, undefined]);
    const noNonce = await app.inject({ method: 'POST', url: '/login', headers: { ...SAME, 'content-type': 'application/x-www-form-urlencoded' }, payload: `token=${ADMIN}` });
    expect(noNonce.statusCode).toBe(403);
    const fails = [];
    for (let i = 0; i < 10; i++) fails.push((await login('wrong-token-0000000000000000', { ...SAME, 'x-forwarded-for': 'ignored' })).response.statusCode);
    // One failure above, nine here reach the limit of ten; the tenth attempt is refused unheard.
    expect(fails).toEqual([401, 401, 401, 401, 401, 401, 401, 401, 401, 429]);
    const limited = await login(ADMIN);
    expect([limited.response.statusCode, limited.session]).toEqual([429, undefined]);
    expect(Number(limited.response.headers['retry-after'])).toBeGreaterThan(0);
  });
});
