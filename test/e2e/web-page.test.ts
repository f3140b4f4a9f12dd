/**
 * The web page in real headless Chromium (Debian's `chromium`, driven by puppeteer-core),
 * against the built `homeostat serve`: log in by keyboard, watch a decided action appear
 * without a reload after a captured Alertmanager payload is posted, open its audit details,
 * run a schedule from the page and see its run; a viewer cannot run one; a label holding
 * `<script>` is text and runs nothing; a POST from another site is refused; logout ends the
 * session; times in the viewer's zone with UTC on hover; the phone width; axe-core finds no
 * serious or critical violation on any page. Screenshots are written to
 * $HOMEOSTAT_WEB_SCREENSHOTS (docs/ holds the committed ones) or the test's temp root.
 */
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ECHO_REPO } from '../helpers/echo-policy.js';
import { payload, writeRepo } from '../helpers/engine.js';
import { launchChromium, seriousViolations, watchPageProblems } from '../helpers/browser.js';
import { freePort } from '../helpers/processes.js';
import { servedForFile } from '../helpers/serve.js';
import { waitFor } from '../helpers/wait.js';
import { AM, ROOT } from './run-cli.js';

const ADMIN = 'admin-token-0123456789abcdef';
const VIEWER = 'viewer-token-0123456789abcdef';
const WEBHOOK = 'webhook-token-0123456789abcdef';
const HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">';

const RESTART = `apiVersion: homeostat/v1
kind: Policy
metadata: { name: restart-failed-service, owner: team-web }
spec:
  match: { alertname: ServiceDown }
  target: '{{ labels.instance | host }}'
  actions:
    - name: restart
      script: { path: scripts/restart.sh, args: ['{{ target }}', '{{ labels.name }}'] }
  guards: { cooldown: 30m }
`;

const SCHEDULE = `apiVersion: homeostat/v1
kind: Schedule
metadata: { name: check-dns-nightly, owner: team-net }
spec:
  cron: '0 3 * * *'
  timezone: Europe/Berlin
  targets: { hosts: [dns-1] }
  actions:
    - name: check
      script: { path: scripts/echo.sh, args: ['{{ target }}'] }
`;

const served = servedForFile('homeostat-web-', (root) => {
  writeRepo(join(root, 'repo'), {
    ...ECHO_REPO,
    'rules/restart.yaml': RESTART,
    'rules/routine.yaml': SCHEDULE,
    'scripts/restart.sh': '#!/bin/sh\necho "systemctl restart $2 on $1"\necho "$2 active (running)"\n',
  });
  mkdirSync(join(root, 'secrets'));
  writeFileSync(join(root, 'secrets', 'admin.token'), ADMIN);
  writeFileSync(join(root, 'secrets', 'viewer.token'), `${VIEWER}\n`);
  return {
    args: ['--policies', join(root, 'repo'), '--admin-token-file', join(root, 'secrets', 'admin.token'), '--viewer-token-file', join(root, 'secrets', 'viewer.token')],
    env: { HOMEOSTAT_WEBHOOK_TOKEN: WEBHOOK },
  };
});

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

function screenshotDir(): string {
  const dir = process.env.HOMEOSTAT_WEB_SCREENSHOTS ? resolve(ROOT, process.env.HOMEOSTAT_WEB_SCREENSHOTS) : join(served.root, 'screenshots');
  mkdirSync(dir, { recursive: true });
  return dir;
}

async function postAlerts(body: unknown): Promise<void> {
  const response = await fetch(`${served.url}/api/v1/alerts`, { method: 'POST', headers: { authorization: `Bearer ${WEBHOOK}`, 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  expect(response.status).toBe(202);
}

/** A fresh browser context (its own cookies), its page watched for CSP violations and script errors. */
async function newPage(viewport = { width: 1280, height: 900 }) {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.setViewport(viewport);
  await page.emulateTimezone('Asia/Kolkata');
  const problems = await watchPageProblems(page);
  return { page, problems, close: () => context.close() };
}

/** Logs in by keyboard: the token typed into the form, Enter. */
async function logIn(page: Page, token: string): Promise<void> {
  await page.goto(`${served.url}/`);
  expect(new URL(page.url()).pathname).toBe('/login');
  await page.focus('#token');
  await page.keyboard.type(token);
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  expect(new URL(page.url()).pathname).toBe('/');
}

const text = (page: Page, selector: string) => page.$eval(selector, (e) => (e as unknown as { innerText: string }).innerText);

async function runCount(): Promise<number> {
  const response = await fetch(`${served.url}/api/v1/runs`, { headers: { authorization: `Bearer ${ADMIN}` } });
  return ((await response.json()) as { runs: unknown[] }).runs.length;
}

describe('the web page in Chromium', () => {
  let admin: Awaited<ReturnType<typeof newPage>>;
  afterAll(async () => admin?.close());

  it('logs in with the admin token, and the login page has no serious accessibility violation', async () => {
    admin = await newPage();
    await admin.page.goto(`${served.url}/`);
    expect(await seriousViolations(admin.page)).toEqual([]);
    await logIn(admin.page, ADMIN);
    expect(await text(admin.page, 'header.top')).toContain('Logged in as admin');
    expect(await text(admin.page, '#status')).toMatch(/ready/);
  });

  it('shows a decided action after a captured payload is posted, without a reload', async () => {
    const { page } = admin;
    await page.evaluate('window.__sameDocument = true');
    await postAlerts(readFileSync(join(ROOT, AM, 'service-down-nginx.json'), 'utf8'));
    // A second alert for the same host within the cooldown: refused, counted by guard.
    await postAlerts(payload({ alertname: 'ServiceDown', instance: 'web-2:9100', name: 'php-fpm.service' }));
    await page.waitForFunction(`document.querySelector('#actions')?.innerText.includes('succeeded')`, { timeout: 30_000 });
    const actions = await text(page, '#actions');
    expect(actions).toMatch(/ServiceDown[\s\S]*restart-failed-service \/ restart[\s\S]*web-2[\s\S]*succeeded/);
    expect(actions).toMatch(/refused\s+by cooldown/);
    await page.waitForFunction(`document.querySelector('#refusals')?.innerText.includes('cooldown')`, { timeout: 30_000 });
    expect(await page.evaluate('window.__sameDocument')).toBe(true);
    expect(await seriousViolations(page)).toEqual([]);
  });

  it("shows times in the viewer's zone, UTC on hover", async () => {
    const time = await admin.page.$eval('#actions time', (e) => ({ text: (e as unknown as { innerText: string }).innerText, title: e.getAttribute('title'), datetime: e.getAttribute('datetime') }));
    expect(time.title).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
    expect(time.text).toContain('GMT+5:30');
    // 05:30 later than UTC, as Kolkata is.
    const utc = new Date(time.datetime!);
    const local = new Date(utc.getTime() + 5.5 * 3_600_000);
    expect(time.text).toContain(`${String(local.getUTCHours() % 12 || 12).padStart(2, '0')}:${String(local.getUTCMinutes()).padStart(2, '0')}`);
    expect(await text(admin.page, '[data-time-zone]')).toBe('Asia/Calcutta');
  });

  it("opens an action's audit entry: rendered parameters, guards, output tail", async () => {
    const { page } = admin;
    const link = await page.$$eval('#actions tbody tr', (rows) => rows.map((r) => ({ text: (r as unknown as { innerText: string }).innerText, href: r.querySelector('a')?.getAttribute('href') })).find((r) => r.text.includes('succeeded'))?.href);
    await Promise.all([page.waitForNavigation(), page.click(`a[href="${link}"]`)]);
    const details = await text(page, 'main');
    expect(details).toContain('"args": [\n    "web-2",\n    "nginx.service"\n  ]');
    expect(details).toMatch(/Passed\s+duplicate, resolved, paused, maintenance, protected, storm, window, cooldown, rate-limit, blast-radius/);
    expect(details).toContain('systemctl restart nginx.service on web-2\nnginx.service active (running)');
    expect(await seriousViolations(page)).toEqual([]);
    await Promise.all([page.waitForNavigation(), page.click('a[href="/"]')]);
  });

  it('runs a schedule from the page by keyboard, and shows the run', async () => {
    const { page } = admin;
    const before = await runCount();
    await page.focus('#run-check-dns-nightly');
    await page.keyboard.press('Enter');
    await page.waitForFunction(`document.querySelector('#msg-schedules').innerText.includes('run asked for')`, { timeout: 30_000 });
    expect(await text(page, '#msg-schedules')).toBe('check-dns-nightly: run asked for on 1 target (dns-1); its outcome follows below.');
    await page.waitForFunction(`document.querySelector('#schedules').innerText.match(/check-dns-nightly manual by admin \\(web page[^\\n]*\\s+dns-1\\s+succeeded/)`, { timeout: 30_000 });
    expect(await runCount()).toBe(before + 1);
    // The button keeps the keyboard focus across the section's refreshes.
    expect(await page.evaluate('document.activeElement.id')).toBe('run-check-dns-nightly');
    expect(await seriousViolations(page)).toEqual([]);
    writeFileSync(join(screenshotDir(), 'web-desktop.png'), await page.screenshot({ fullPage: true }));
  });

  it('shows a label holding <script> as text, and runs nothing of it', async () => {
    const { page, problems } = admin;
    await postAlerts(payload({ alertname: 'Echo', host: HOSTILE }));
    await page.waitForFunction(`document.querySelector('#actions').innerText.includes(${JSON.stringify(HOSTILE)})`, { timeout: 30_000 });
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    expect(await page.evaluate(`document.querySelectorAll('main script, main img').length`)).toBe(0);
    const link = await page.$$eval('#actions tbody tr', (rows, hostile) => rows.find((r) => (r as unknown as { innerText: string }).innerText.includes(hostile as string))?.querySelector('a')?.getAttribute('href'), HOSTILE);
    await Promise.all([page.waitForNavigation(), page.click(`a[href="${link}"]`)]);
    expect(await text(page, 'main')).toContain(`host\t${HOSTILE}`);
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    expect(await problems()).toEqual([]);
  });

  it('refuses a POST from another site, though the browser is logged in', async () => {
    const attacker = await freePort();
    // Same host, another port: the same site, so SameSite=Strict sends the cookie; the origin check must refuse it.
    const form = `<!doctype html><form method="post" action="${served.url}/ui/schedules/check-dns-nightly/run"><input type="hidden" name="_csrf" value="guessed"></form><script>document.forms[0].submit()</script>`;
    const server: Server = createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/html' }).end(form));
    await new Promise<void>((done) => server.listen(attacker, '127.0.0.1', done));
    try {
      const before = await runCount();
      const { page } = admin;
      const refused = page.waitForResponse((r) => r.url().endsWith('/run'));
      await page.goto(`http://127.0.0.1:${attacker}/`);
      const response = await refused;
      expect(response.status()).toBe(403);
      await page.waitForSelector('main .message.error');
      expect(await text(page, 'main')).toContain('Refused: this request did not come from this engine\'s page (Sec-Fetch-Site is same-site, not same-origin).');
      expect(await runCount()).toBe(before);
      expect(await seriousViolations(page)).toEqual([]);
    } finally {
      await new Promise((done) => server.close(done));
    }
  });

  it('logs out: the page asks for a login again', async () => {
    const { page } = admin;
    await page.goto(`${served.url}/`);
    await Promise.all([page.waitForNavigation(), page.click('header.top button[type=submit]')]);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.goto(`${served.url}/`);
    expect(new URL(page.url()).pathname).toBe('/login');
    // An entry no longer kept: a page that says where it is, as accessible as the others.
    await logIn(page, ADMIN);
    const gone = await page.goto(`${served.url}/actions/20200101T000000000Z-00000000`);
    expect(gone?.status()).toBe(404);
    expect(await text(page, 'main')).toContain('No recent entry 20200101T000000000Z-00000000: older entries are in the audit repository (homeostat audit show ID).');
    expect(await seriousViolations(page)).toEqual([]);
  });
});

describe('a viewer, and a phone', () => {
  it('a viewer token sees the page but cannot run a schedule', async () => {
    const viewer = await newPage();
    try {
      await logIn(viewer.page, VIEWER);
      expect(await text(viewer.page, 'header.top')).toContain('Logged in as viewer (read only)');
      expect(await viewer.page.$$('#schedules button')).toEqual([]);
      expect(await text(viewer.page, '#schedules')).toContain('check-dns-nightly');
      const before = await runCount();
      // The page's own origin and the session's CSRF token: refused for the role alone.
      const status = await viewer.page.evaluate(`fetch('/ui/schedules/check-dns-nightly/run', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: '_csrf=' + encodeURIComponent(document.querySelector('input[name=_csrf]').value) }).then((r) => r.status)`);
      expect(status).toBe(403);
      expect(await runCount()).toBe(before);
      expect(await seriousViolations(viewer.page)).toEqual([]);
    } finally {
      await viewer.close();
    }
  });

  it('works at 375 px wide', async () => {
    const phone = await newPage({ width: 375, height: 812, isMobile: true, hasTouch: true, deviceScaleFactor: 2 } as never);
    try {
      await logIn(phone.page, ADMIN);
      await phone.page.waitForFunction(`document.querySelector('#actions').innerText.includes('succeeded')`);
      expect(await phone.page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
      const button = await phone.page.$eval('#run-check-dns-nightly', (e) => e.getBoundingClientRect().toJSON() as { width: number; height: number; right: number });
      expect(button.height).toBeGreaterThanOrEqual(44);
      expect(button.right).toBeLessThanOrEqual(375);
      expect(await seriousViolations(phone.page)).toEqual([]);
      expect(await phone.problems()).toEqual([]);
      await phone.page.setViewport({ width: 375, height: 812, deviceScaleFactor: 1, isMobile: true, hasTouch: true });
      writeFileSync(join(screenshotDir(), 'web-phone.png'), await phone.page.screenshot({ fullPage: true }));
    } finally {
      await phone.close();
    }
  });

  it('fails naming the Debian package when chromium is missing', async () => {
    await expect(launchChromium('chromium-not-installed-here')).rejects.toThrow('install the Debian package chromium (apt-get install chromium)');
  });
});
