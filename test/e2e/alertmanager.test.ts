/**
 * The real chain: Debian's prometheus-alertmanager routes an alert to `homeostat serve` (the
 * built binary, listening on loopback), whose policy runs the real ansible-playbook (-c local)
 * that writes a file. Then a 10,000-alert group, sent by Alertmanager in one POST.
 */
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../engine/util/package-root.js';
import { waitFor } from '../helpers/engine.js';
import { requireCommand } from '../helpers/processes.js';
import { alertChain } from '../helpers/serve.js';

function policy(outPath: string): string {
  return `apiVersion: homeostat/v1
kind: Policy
metadata: { name: write-note }
spec:
  match: { alertname: HomeostatE2E }
  target: '{{ labels.host }}'
  actions:
    - name: write
      ansible:
        playbook: playbooks/write_note.yml
        extraVars: { out: '${outPath}', note: '{{ labels.note }}' }
      timeout: 2m
`;
}

beforeAll(() => requireCommand('ansible-playbook', 'ansible-core'));

const chain = alertChain({
  prefix: 'homeostat-am-',
  token: 'e2e-webhook-token-abcdef0123456789',
  files: (root) => ({
    'rules/write-note.yaml': policy(join(root, 'note.txt')),
    'playbooks/write_note.yml': readFileSync(join(packageRoot(), 'test/fixtures/serve/write_note.yml'), 'utf8'),
  }),
});

describe('Alertmanager → homeostat serve → ansible-playbook', () => {
  it('routes a real alert to a real playbook run, audited at intent and at outcome', async () => {
    const out = join(chain.root, 'note.txt');
    const note = "{{ lookup('pipe','id') }} from Alertmanager";
    await chain.postAlerts([{ labels: { alertname: 'HomeostatE2E', host: 'localhost', note }, annotations: { summary: 'e2e' }, startsAt: new Date().toISOString() }]);
    await waitFor(() => existsSync(out), `the playbook to write ${out}\n${chain.engine.output().slice(-3000)}`, 60_000);
    expect(readFileSync(out, 'utf8')).toBe(`${note}\n`);

    const path = await waitFor(() => {
      const files = chain.auditGit('log', '--format=', '--name-only', 'main', '--', 'actions').split('\n').filter(Boolean);
      const log = chain.auditGit('log', '--format=%s', 'main');
      return log.includes('succeeded: write-note/write') ? files[0] : undefined;
    }, 'the outcome commit', 60_000);
    const entry = JSON.parse(chain.auditGit('show', `main:${path}`));
    expect(entry).toMatchObject({ kind: 'action', policy: 'write-note', type: 'ansible', target: 'localhost', verdict: 'run', outcome: 'succeeded' });
    expect(entry.alert.labels.note).toBe(note);
    expect(entry.execution.command).toEqual(expect.arrayContaining(['ansible-playbook']));
    const commits = chain.auditGit('log', '--format=%s', 'main', '--', path).trim().split('\n');
    expect(commits.map((s) => s.split(':')[0])).toEqual(['succeeded', 'intent']);
  }, 90_000);

  it('accepts a 10,000-alert group in one webhook post', async () => {
    const before = await chain.metric('homeostat_alerts_received_total{status="firing"}');
    const now = new Date().toISOString();
    const alerts = Array.from({ length: 10_000 }, (_, i) => ({ labels: { alertname: 'StormE2E', instance: `node-${i}.example.com:9100`, job: 'node' }, annotations: { summary: `storm ${i}` }, startsAt: now }));
    await chain.postAlerts(alerts);
    await waitFor(async () => (await chain.metric('homeostat_alerts_received_total{status="firing"}')) - before >= 10_000, 'the engine to receive 10,000 alerts', 60_000);
    // Received is counted on arrival; the decisions, made a slice at a time, are logged after.
    await waitFor(() => /"alerts":10000/.test(chain.engine.output()), 'the 10,000 alerts to be decided', 60_000);
    expect(await chain.metric('homeostat_webhook_requests_total{code="413"}')).toBe(0);
  }, 90_000);
});
