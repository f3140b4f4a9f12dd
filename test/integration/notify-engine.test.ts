/**
 * Issue 17 item 3 through the real engine (inject → journal → git audit → script → notify):
 * notify actions run after their parent ends, filtered by `on`, with `outcome` in their
 * templates, each audited as its own entry linked to its parent; a refusal notifies at once.
 * Receivers listen on 127.0.0.1, allowlisted in homeostat.yaml.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { closeTestEngine, payload, startTestEngine, waitFor } from '../helpers/engine.js';
import type { TestEngine } from '../helpers/engine.js';
import { startReceiver } from '../helpers/receiver.js';
import type { Receiver } from '../helpers/receiver.js';

const FIX = `#!/bin/sh
echo "restarting $1"
echo "unit $1 not found" >&2
exit 2
`;

function files(hook: string): Record<string, string> {
  return {
    'homeostat.yaml': `apiVersion: homeostat/v1\nkind: Settings\nspec:\n  outbound: { allowHosts: ['127.0.0.1'] }\n`,
    'scripts/fix.sh': FIX,
    'rules/fix.yaml': `apiVersion: homeostat/v1
kind: Policy
metadata: { name: fix-service }
spec:
  match: { alertname: ServiceDown }
  target: '{{ labels.instance }}'
  actions:
    - name: restart
      script: { path: scripts/fix.sh, args: ['{{ labels.name }}'] }
      notify:
        - name: tell-failure
          on: [failed, timed_out, refused]
          http:
            url: ${hook}/failed
            body:
              status: '{{ outcome.status }}'
              exitCode: '{{ outcome.exitCode }}'
              output: '{{ outcome.output }}'
              auditId: '{{ outcome.auditId }}'
              link: '{{ outcome.link }}'
              reason: '{{ outcome.reason }}'
              target: '{{ target }}'
        - name: tell-success
          on: [succeeded]
          http: { url: ${hook}/succeeded }
  guards: { cooldown: 1h }
`,
  };
}

let t: TestEngine | undefined;
let hook: Receiver | undefined;
afterEach(async () => {
  t = await closeTestEngine(t);
  await hook?.close();
  hook = undefined;
});

const down = (startsAt: string) => payload({ alertname: 'ServiceDown', instance: 'web-1', name: 'nginx.service' }, { startsAt });

describe('notify after an outcome', () => {
  it('runs the notify whose on holds the outcome, with outcome in its templates, audited and linked to its parent', async () => {
    hook = await startReceiver('127.0.0.1');
    t = await startTestEngine({ files: files(hook.url), config: { externalUrl: 'https://homeostat.example/' } });
    const answer = await t.post(down('2026-11-21T07:00:00Z'));
    expect(answer.statusCode).toBe(202);
    await waitFor(() => hook!.requests.length === 1, 'the failure notification');
    const sent = hook.requests[0]!;
    expect(sent.url).toBe('/failed');
    const body = JSON.parse(sent.body) as Record<string, string>;
    const parentId = body.auditId!;
    expect(body).toEqual({
      status: 'failed',
      exitCode: '2',
      output: expect.stringContaining('unit nginx.service not found'),
      auditId: expect.stringMatching(/^\d{8}T\d{9}Z-[0-9a-f]{8}$/),
      link: `https://homeostat.example/api/v1/actions/${parentId}`,
      reason: 'exit code 2',
      target: 'web-1',
    });
    expect(body.output).toContain('restarting nginx.service');

    const parent = await waitFor(() => {
      try {
        const entry = t!.auditEntry(parentId);
        return entry.outcome !== null ? entry : undefined;
      } catch {
        return undefined;
      }
    }, 'the parent outcome in git');
    expect(parent).toMatchObject({ action: 'restart', outcome: 'failed', notifications: [expect.any(String)] });
    const notifyId = parent.notifications![0]!;
    const notify = await waitFor(() => {
      try {
        const entry = t!.auditEntry(notifyId);
        return entry.outcome !== null ? entry : undefined;
      } catch {
        return undefined;
      }
    }, 'the notify outcome in git');
    expect(notify).toMatchObject({
      kind: 'action', parent: parentId, policy: 'fix-service', action: 'tell-failure', type: 'http', phase: 'actions', target: 'web-1',
      verdict: 'run', outcome: 'succeeded', execution: { details: { sent: true, attempts: [{ attempt: 1, status: 200 }] } },
    });
    // Nothing else was notified: tell-success waits for a success that never came.
    expect(hook.requests.map((r) => r.url)).toEqual(['/failed']);
    expect(t.git('log', '--format=%s')).toMatch(/fix-service\/tell-failure \(http\)/);
  });

  it('notifies a refusal at once, with the refusal as its outcome', async () => {
    hook = await startReceiver('127.0.0.1');
    t = await startTestEngine({ files: files(hook.url) });
    await t.post(down('2026-11-21T07:00:00Z'));
    await waitFor(() => hook!.requests.length === 1, 'the first failure notification');
    // A new outage of the same target within the cooldown: refused, and that is notified.
    await t.post(down('2026-11-21T07:10:00Z'));
    await waitFor(() => hook!.requests.length === 2, 'the refusal notification');
    const refused = JSON.parse(hook.requests[1]!.body) as Record<string, string>;
    expect(refused).toMatchObject({ status: 'refused', exitCode: '', output: '', link: '' });
    expect(refused.reason).toMatch(/^cooldown/);
    expect(t.auditEntry(refused.auditId!)).toMatchObject({ outcome: 'refused', guards: { refusedBy: 'cooldown' }, notifications: [expect.any(String)] });
  });

  it('sends nothing when the parent runs in dry-run: the notify is audited as a dry run', async () => {
    hook = await startReceiver('127.0.0.1');
    t = await startTestEngine({ files: files(hook.url), config: { dryRun: true } });
    await t.post(down('2026-11-21T07:00:00Z'));
    const parent = await waitFor(() => t!.engine.recent.list({ policy: 'fix-service' }).find((e) => e.action === 'restart' && e.outcome !== null), 'the dry-run outcome');
    // A script in dry-run is not run: "succeeded (dry run)" calls tell-success, which sends nothing.
    const notifyId = parent.notifications?.[0];
    expect(notifyId).toBeDefined();
    const notify = await waitFor(() => t!.engine.recent.get(notifyId!)?.outcome ? t!.engine.recent.get(notifyId!) : undefined, 'the notify outcome');
    expect(notify).toMatchObject({ action: 'tell-success', verdict: 'dry-run', outcome: 'succeeded', execution: { dryRun: true, output: 'not sent (dry run)', details: { sent: false } } });
    expect(hook.connections()).toBe(0);
  });
});
