/**
 * `homeostat simulate` shows the notify actions of each decision: after the outcome, with
 * their `on` filter, for an action that would run; at once, for one refused already. Nothing
 * is sent, and a secret the notify would read is not read.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { payload, writeRepo } from '../helpers/engine.js';
import { runCli } from './run-cli.js';

const first = payload({ alertname: 'ServiceDown', instance: 'web-1' }, { startsAt: '2026-11-21T07:00:00Z' });
const root = mkdtempSync(join(tmpdir(), 'homeostat-simulate-notify-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

writeRepo(join(root, 'repo'), {
  'scripts/fix.sh': '#!/bin/sh\nexit 0\n',
  'rules/fix.yaml': `apiVersion: homeostat/v1
kind: Policy
metadata: { name: fix-service }
spec:
  match: { alertname: ServiceDown }
  target: '{{ labels.instance }}'
  actions:
    - name: restart
      script: { path: scripts/fix.sh }
      notify:
        - name: tell
          on: [failed, timed_out, refused]
          slack: { webhook: { env: SLACK_WEBHOOK_URL }, text: '{{ outcome.status }}: restart of {{ target }}' }
        - name: page
          pagerduty: { routingKey: { env: PD_KEY }, summary: 'restart {{ outcome.status }}' }
  guards: { cooldown: 1h }
`,
  'alerts.json': JSON.stringify({
    ...first,
    alerts: [...(first.alerts as unknown[]), ...(payload({ alertname: 'ServiceDown', instance: 'web-1' }, { startsAt: '2026-11-21T07:05:00Z' }).alerts as unknown[])],
  }),
});

it('lists the notify actions after each decision, text and JSON', () => {
  const args = ['simulate', join(root, 'repo'), '--alerts', join(root, 'repo', 'alerts.json'), '--now', '2026-11-21T07:10:00Z'];
  const env = { env: { SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/never-read-9f8e' } };
  const json = runCli([...args, '--format', 'json'], env);
  expect(json.stderr).toBe('');
  expect(json.status).toBe(0);
  const decisions = (JSON.parse(json.stdout) as { decisions: { verdict: string; refusedBy: string | null; notify: unknown[] }[] }).decisions;
  expect(decisions.map((d) => [d.verdict, d.refusedBy, d.notify])).toEqual([
    ['run', null, [
      { action: 'tell', type: 'slack', on: ['failed', 'timed_out', 'refused'], when: 'after the outcome, if failed, timed_out, refused' },
      { action: 'page', type: 'pagerduty', on: ['succeeded', 'failed', 'timed_out'], when: 'after the outcome, if succeeded, failed, timed_out' },
    ]],
    // The second outage of web-1 is within the cooldown: refused, and only tell is on refused.
    ['refused', 'cooldown', [{ action: 'tell', type: 'slack', on: ['failed', 'timed_out', 'refused'], when: 'now: the action was refused' }]],
  ]);
  const text = runCli(args, env);
  expect(text.stdout).toContain('notify tell (slack) after the outcome, if failed, timed_out, refused\n');
  expect(text.stdout).toContain('notify page (pagerduty) after the outcome, if succeeded, failed, timed_out\n');
  expect(text.stdout).toContain('notify tell (slack) now: the action was refused\n');
  expect(text.stdout + json.stdout).not.toContain('never-read-9f8e');
});
