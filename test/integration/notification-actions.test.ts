/**
 * The notification types sending for real, to receivers on 127.0.0.1 (allowlisted): Slack's
 * incoming webhook, PagerDuty's Events API v2, a JSON webhook and an SMTP server (the
 * smtp-server package). Secrets are read from the environment and a file; no value read
 * appears in what a run returns.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SMTPServer } from 'smtp-server';
import { ACTION_TYPES } from '../../engine/actions/registry.js';
import type { ParentOutcome, RunContext, RunResult } from '../../engine/actions/types.js';
import { inlineAlert } from '../helpers/alerts.js';
import { startReceiver } from '../helpers/receiver.js';
import type { Receiver } from '../helpers/receiver.js';

const SLACK_SECRET = 'T00000000/B00000000/slack-secret-path-9c1e';
const ROUTING_KEY = 'pd-routing-key-5f2a7c9e0b1d';
const HEADER_TOKEN = 'webhook-bearer-3a8d1f6c';
const SMTP_PASSWORD = 'smtp-password-7b4e2a';
const SECRETS = [SLACK_SECRET, ROUTING_KEY, HEADER_TOKEN, SMTP_PASSWORD];

let dir = '';
const receivers: Receiver[] = [];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'homeostat-notify-'));
  process.env.TEST_PD_ROUTING_KEY = ROUTING_KEY;
  process.env.TEST_SMTP_USER = 'homeostat';
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  delete process.env.TEST_SLACK_URL;
  delete process.env.TEST_PD_ROUTING_KEY;
  delete process.env.TEST_SMTP_USER;
});
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});
async function receiver(...args: Parameters<typeof startReceiver>): Promise<Receiver> {
  const r = await startReceiver(...args);
  receivers.push(r);
  return r;
}

const firing = inlineAlert({ labels: { alertname: 'NodeDown', instance: 'web-1:9100', severity: 'critical', note: '<!channel> <https://evil.example|click> & "quotes"' }, annotations: { summary: 'web-1 is down' } });
const resolved = { ...firing, status: 'resolved' as const };

const parent: ParentOutcome = {
  status: 'failed', action: 'restart', type: 'script', exitCode: 2, durationMs: 1500, duration: '1.5s',
  output: 'restarting nginx\nfailed: unit not found', reason: 'exit code 2', auditId: '20261121T070000123Z-0123abcd', link: '',
};

function run(type: string, params: Record<string, unknown>, overrides: Partial<RunContext> = {}): Promise<RunResult> {
  return ACTION_TYPES.get(type)!.run!({
    repoDir: dir, workDir: dir, params, target: 'web-1', alert: firing, dryRun: false, timeoutMs: 15_000, secrets: [],
    signal: new AbortController().signal, onSpawn: () => undefined,
    entry: { id: '20261121T070001000Z-feedbeef', policy: 'notify-critical', action: 'tell', revision: 'abc123' },
    outbound: { allowHosts: ['127.0.0.1'], pagerdutyEventsUrl: null, externalUrl: 'https://homeostat.example' },
    ...overrides,
  });
}

/** What a run leaves for the audit, as one text: no secret value may be in it. */
function leaked(result: RunResult): string[] {
  const text = JSON.stringify(result);
  return SECRETS.filter((s) => text.includes(s));
}

describe('slack', () => {
  it('posts Block Kit blocks to the webhook: alert, policy, action, target, outcome, and the audit link', async () => {
    const slack = await receiver('127.0.0.1');
    process.env.TEST_SLACK_URL = `${slack.url}/services/${SLACK_SECRET}`;
    const result = await run('slack', { webhook: { env: 'TEST_SLACK_URL' }, text: ':rotating_light: NodeDown: {{ labels.note }}'.replace('{{ labels.note }}', firing.labels.note!) }, { parent });
    expect(result).toMatchObject({ outcome: 'succeeded', reason: null, output: 'HTTP 200 ok' });
    expect(slack.requests).toHaveLength(1);
    const request = slack.requests[0]!;
    expect(request.url).toBe(`/services/${SLACK_SECRET}`);
    expect(request.headers['content-type']).toBe('application/json');
    const escaped = ':rotating_light: NodeDown: &lt;!channel&gt; &lt;https://evil.example|click&gt; &amp; "quotes"';
    expect(JSON.parse(request.body)).toEqual({
      text: escaped,
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: escaped } },
        {
          type: 'section',
          fields: [
            { type: 'plain_text', text: 'Alert: NodeDown (firing)', emoji: false },
            { type: 'plain_text', text: 'Policy: notify-critical', emoji: false },
            { type: 'plain_text', text: 'Action: restart', emoji: false },
            { type: 'plain_text', text: 'Target: web-1', emoji: false },
            { type: 'plain_text', text: 'Outcome: failed in 1.5s: exit code 2', emoji: false },
          ],
        },
        { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Audit entry' }, url: 'https://homeostat.example/api/v1/actions/20261121T070000123Z-0123abcd' }] },
      ],
    });
    expect(result.details).toMatchObject({ sent: true, request: { method: 'POST', url: '(env TEST_SLACK_URL)' }, attempts: [{ attempt: 1, status: 200, error: null }] });
    expect(leaked(result)).toEqual([]);
  });

  it('fails without sending when the secret is not set, naming the reference only', async () => {
    const result = await run('slack', { webhook: { env: 'TEST_SLACK_MISSING' }, text: 'x' });
    expect(result).toMatchObject({ outcome: 'failed', reason: "secret env TEST_SLACK_MISSING is not set in the engine's environment", details: { sent: false } });
  });

  it('refuses to read the engine\'s own HOMEOSTAT_* variables', async () => {
    process.env.HOMEOSTAT_ADMIN_TOKEN_FOR_TEST = 'admin-token-value-123456';
    try {
      const result = await run('slack', { webhook: { env: 'HOMEOSTAT_ADMIN_TOKEN_FOR_TEST' }, text: 'x' });
      expect(result.outcome).toBe('failed');
      expect(result.reason).toContain("the engine's own HOMEOSTAT_* settings cannot be read by a policy");
      expect(JSON.stringify(result)).not.toContain('admin-token-value-123456');
    } finally {
      delete process.env.HOMEOSTAT_ADMIN_TOKEN_FOR_TEST;
    }
  });
});

describe('pagerduty', () => {
  it('triggers on firing and resolves on resolution with the same dedup_key', async () => {
    const pd = await receiver('127.0.0.1', [{ status: 202, headers: { 'content-type': 'application/json' }, body: '{"status":"success","message":"Event processed"}' }]);
    const params = { routingKey: { env: 'TEST_PD_ROUTING_KEY' }, severity: 'critical', summary: 'NodeDown: web-1 is down', eventsUrl: `${pd.url}/v2/enqueue` };
    const trigger = await run('pagerduty', params);
    const resolve = await run('pagerduty', { ...params, summary: 'NodeDown resolved' }, { alert: resolved });
    expect([trigger.outcome, resolve.outcome]).toEqual(['succeeded', 'succeeded']);
    expect(pd.requests.map((r) => [r.method, r.url])).toEqual([['POST', '/v2/enqueue'], ['POST', '/v2/enqueue']]);
    const [sentTrigger, sentResolve] = pd.requests.map((r) => JSON.parse(r.body));
    const dedupKey = `homeostat/notify-critical/${firing.fingerprint}`;
    expect(sentTrigger).toEqual({
      routing_key: ROUTING_KEY,
      event_action: 'trigger',
      dedup_key: dedupKey,
      payload: {
        summary: 'NodeDown: web-1 is down', source: 'web-1', severity: 'critical', timestamp: firing.startsAt,
        component: 'web-1', group: 'notify-critical', class: 'NodeDown',
        custom_details: {
          alert: { alertname: 'NodeDown', status: 'firing', fingerprint: firing.fingerprint, startsAt: firing.startsAt, labels: { ...firing.labels }, annotations: { summary: 'web-1 is down' } },
          policy: 'notify-critical', action: 'tell', target: 'web-1',
        },
      },
      client: 'homeostat',
      client_url: 'https://homeostat.example',
      links: [{ href: 'https://homeostat.example/api/v1/actions/20261121T070001000Z-feedbeef', text: 'homeostat audit entry' }],
    });
    expect(sentResolve).toEqual({ routing_key: ROUTING_KEY, event_action: 'resolve', dedup_key: dedupKey });
    expect(trigger.output).toBe('HTTP 202 {"status":"success","message":"Event processed"}');
    expect([...leaked(trigger), ...leaked(resolve)]).toEqual([]);
  });

  it('sends to homeostat.yaml spec.pagerduty.eventsUrl when the action names none', async () => {
    const pd = await receiver('127.0.0.1', [{ status: 202, body: '{}' }]);
    const result = await run('pagerduty', { routingKey: { env: 'TEST_PD_ROUTING_KEY' }, summary: 's' }, {
      outbound: { allowHosts: ['127.0.0.1'], pagerdutyEventsUrl: `${pd.url}/enqueue`, externalUrl: null },
    });
    expect(result.outcome).toBe('succeeded');
    expect(JSON.parse(pd.requests[0]!.body)).not.toHaveProperty('links');
  });
});

describe('http', () => {
  it('sends a JSON body rendered value by value, headers from secrets', async () => {
    const hook = await receiver('127.0.0.1', [{ status: 201, body: 'created' }]);
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, `Bearer ${HEADER_TOKEN}\n`);
    const result = await run('http', {
      url: `${hook.url}/heal`, method: 'PUT', headers: { Authorization: { file: tokenFile }, 'X-Source': 'homeostat' },
      body: { alert: 'NodeDown', note: firing.labels.note, nested: { target: 'web-1' } },
    });
    expect(result).toMatchObject({ outcome: 'succeeded', output: 'HTTP 201 created' });
    const request = hook.requests[0]!;
    expect(request.method).toBe('PUT');
    expect(request.headers.authorization).toBe(`Bearer ${HEADER_TOKEN}`);
    expect(request.headers['x-source']).toBe('homeostat');
    expect(request.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request.body)).toEqual({ alert: 'NodeDown', note: firing.labels.note, nested: { target: 'web-1' } });
    // The whole value read is the secret, so the whole header is masked.
    expect(result.details).toMatchObject({ request: { headers: { authorization: '***', 'x-source': 'homeostat' } } });
    expect(leaked(result)).toEqual([]);
  });

  it('without a body, sends the notice as JSON', async () => {
    const hook = await receiver('127.0.0.1');
    await run('http', { url: hook.url }, { parent });
    expect(JSON.parse(hook.requests[0]!.body)).toMatchObject({ policy: 'notify-critical', action: 'restart', target: 'web-1', outcome: { status: 'failed', exitCode: 2, auditId: parent.auditId }, link: 'https://homeostat.example/api/v1/actions/20261121T070000123Z-0123abcd' });
  });

  it('retries a 503 once, then succeeds on the 200', async () => {
    const hook = await receiver('127.0.0.1', [{ status: 503, body: 'busy' }, { status: 200, body: 'ok' }]);
    const result = await run('http', { url: hook.url, body: '{}' });
    expect(result.outcome).toBe('succeeded');
    expect(hook.requests).toHaveLength(2);
    expect(result.details).toMatchObject({ attempts: [{ attempt: 1, status: 503 }, { attempt: 2, status: 200 }] });
  });

  it('fails a 400 at once with the first line of the answer', async () => {
    const hook = await receiver('127.0.0.1', [{ status: 400, body: 'invalid_payload\nsecond line' }]);
    const result = await run('http', { url: hook.url, body: '{}' });
    expect(result).toMatchObject({ outcome: 'failed', reason: `POST ${hook.url}: HTTP 400: invalid_payload`, output: 'HTTP 400 invalid_payload' });
    expect(hook.requests).toHaveLength(1);
  });

  it('refuses a receiver that is not allowlisted, and nothing arrives', async () => {
    const hook = await receiver('127.0.0.2');
    const result = await run('http', { url: hook.url, body: '{}' });
    expect(result.outcome).toBe('failed');
    expect(result.reason).toContain('127.0.0.2 is loopback (127.0.0.0/8): refused, as it is not in spec.outbound.allowHosts in homeostat.yaml');
    expect(result.details).toMatchObject({ sent: false, attempts: [] });
    expect(hook.connections()).toBe(0);
  });

  it('times out within the action timeout and says so', async () => {
    const hook = await receiver('127.0.0.1', [{ status: 200, hang: true }]);
    const result = await run('http', { url: hook.url, body: '{}' }, { timeoutMs: 400 });
    expect(result.outcome).toBe('timed_out');
    expect(result.reason).toMatch(/^timed out after 400ms: POST http:\/\/127\.0\.0\.1:\d+: no answer within 400 ms$/);
  });

  it('sends nothing in a dry run, and says what it would have sent', async () => {
    const hook = await receiver('127.0.0.1');
    const result = await run('http', { url: hook.url, headers: { authorization: { env: 'TEST_PD_ROUTING_KEY' } }, body: '{"a":1}' }, { dryRun: true });
    expect(result).toMatchObject({ outcome: 'succeeded', output: 'not sent (dry run)', details: { sent: false, request: { url: hook.url, body: '{"a":1}', headers: { authorization: '(env TEST_PD_ROUTING_KEY)' } } } });
    expect(hook.connections()).toBe(0);
    expect(leaked(result)).toEqual([]);
  });
});

describe('email', () => {
  let smtp: SMTPServer;
  let port = 0;
  const mails: { from: string; to: string[]; user: string | undefined; data: string }[] = [];
  beforeAll(async () => {
    smtp = new SMTPServer({
      secure: false, disabledCommands: ['STARTTLS'], authOptional: false, allowInsecureAuth: true, logger: false,
      onAuth(auth, _session, callback) {
        if (auth.username === 'homeostat' && auth.password === SMTP_PASSWORD) callback(null, { user: auth.username });
        else callback(new Error('535 authentication failed'));
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          mails.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), user: session.user as string | undefined, data: Buffer.concat(chunks).toString('utf8') });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
    port = (smtp.server.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
  });

  it('sends through a real SMTP server with auth from secrets', async () => {
    const passFile = join(dir, 'smtp-pass');
    writeFileSync(passFile, `${SMTP_PASSWORD}\n`);
    const result = await run('email', {
      smtp: { host: '127.0.0.1', port, security: 'none', auth: { user: { env: 'TEST_SMTP_USER' }, pass: { file: passFile } } },
      from: 'homeostat@example.com', to: ['oncall@example.com', 'sre@example.com'], subject: 'NodeDown on web-1\r\nBcc: evil@example.com',
    }, { parent });
    expect(result.outcome).toBe('succeeded');
    expect(result.output).toMatch(/^250 /);
    expect(mails).toHaveLength(1);
    const mail = mails[0]!;
    expect(mail).toMatchObject({ from: 'homeostat@example.com', to: ['oncall@example.com', 'sre@example.com'], user: 'homeostat' });
    expect(mail.data).toMatch(/^Subject: NodeDown on web-1 Bcc: evil@example.com\r$/m);
    expect(mail.data).not.toMatch(/^Bcc:/m);
    expect(mail.data).toContain('Outcome: failed in 1.5s: exit code 2');
    const text = mail.data.replace(/=\r\n/g, ''); // quoted-printable soft line breaks
    expect(text).toContain('Audit entry: https://homeostat.example/api/v1/actions/20261121T070000123Z-0123abcd');
    expect(result.details).toMatchObject({ sent: true, smtp: { host: '127.0.0.1', port, security: 'none' }, attempts: [{ attempt: 1, address: '127.0.0.1' }] });
    expect(leaked(result)).toEqual([]);
  });

  it('refuses an address a label would turn into two recipients', async () => {
    const result = await run('email', { smtp: { host: '127.0.0.1', port, security: 'none' }, from: 'homeostat@example.com', to: 'oncall@example.com, evil@example.com', subject: 's' });
    expect(result).toMatchObject({ outcome: 'failed', details: { sent: false } });
    expect(result.reason).toContain("to: 'oncall@example.com, evil@example.com' is not one e-mail address");
  });

  it('refuses an SMTP host that is not allowlisted before connecting', async () => {
    const before = mails.length;
    const result = await run('email', { smtp: { host: 'localhost', port, security: 'none' }, from: 'a@example.com', to: 'b@example.com', subject: 's' });
    expect(result.outcome).toBe('failed');
    expect(result.reason).toContain('localhost resolves to 127.0.0.1, which is loopback (127.0.0.0/8): refused');
    expect(mails.length).toBe(before);
  });

  it('fails on a wrong password without retrying, the password masked', async () => {
    process.env.TEST_SMTP_WRONG = 'wrong-password-xyz';
    const result = await run('email', { smtp: { host: '127.0.0.1', port, security: 'none', auth: { user: 'homeostat', pass: { env: 'TEST_SMTP_WRONG' } } }, from: 'a@example.com', to: 'b@example.com', subject: 's' });
    expect(result.outcome).toBe('failed');
    expect(result.reason).toMatch(/535/);
    expect(result.details).toMatchObject({ attempts: [{ attempt: 1 }] });
    expect((result.details as { attempts: unknown[] }).attempts).toHaveLength(1);
    expect(JSON.stringify(result)).not.toContain('wrong-password-xyz');
  });
});
