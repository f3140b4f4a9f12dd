/**
 * A group Alertmanager truncates (`max_alerts`), against Debian's prometheus-alertmanager and
 * the built `homeostat serve`: the alerts left out are never seen, so the engine says how many
 * wherever an operator looks: the 202 body, the `alerts decided` log line, a counter, and an
 * `alerts-truncated` audit event per truncated group.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/engine.js';
import { alertChain, scriptRepo } from '../helpers/serve.js';
import { AM, ROOT } from './run-cli.js';

const TOKEN = 'truncated-token-0123456789abcdef';

// A group is sent once (group_interval 1h), cut to two alerts.
const chain = alertChain({
  prefix: 'homeostat-truncated-',
  token: TOKEN,
  files: () => scriptRepo('disk', 'DiskWillFillIn4Hours', '#!/bin/sh\necho "$1"\n', { target: '{{ labels.instance | host }}' }),
  groupInterval: '1h',
  maxAlerts: 2,
});

const truncatedTotal = () => chain.metric('homeostat_alerts_truncated_total');

/** The alerts-truncated event entries at the audit head. */
function truncationEvents(): { event: { name: string; message: string; details: Record<string, unknown> } }[] {
  const files = chain.auditGit('grep', '-l', '"name": "alerts-truncated"', 'main', '--', 'actions').split('\n').filter(Boolean);
  return files.map((file) => JSON.parse(chain.auditGit('show', file)));
}

describe('a group truncated by Alertmanager (max_alerts)', () => {
  it('is counted in the log line, the metric and an audit event', async () => {
    const startsAt = new Date().toISOString();
    const alerts = ['db-1', 'db-2', 'db-3', 'db-4', 'db-5'].map((host) => ({ labels: { alertname: 'DiskWillFillIn4Hours', instance: `${host}:9100`, mountpoint: '/data' }, startsAt }));
    await chain.postAlerts(alerts);

    const decided = await waitFor(() => chain.engine.output().split('\n').find((l) => l.includes('"msg":"alerts decided"')), `the webhook from Alertmanager\n${chain.alertmanager.output()}`);
    expect(JSON.parse(decided)).toMatchObject({ alerts: 2, actions: 2, truncatedAlerts: 3 });
    expect(await truncatedTotal()).toBe(3);
    const [entry, ...others] = await waitFor(() => truncationEvents().length > 0 && truncationEvents(), 'the alerts-truncated audit event');
    expect(others).toEqual([]);
    expect(entry!.event).toMatchObject({ name: 'alerts-truncated', details: { groupKey: '{}:{alertname="DiskWillFillIn4Hours"}', receiver: 'homeostat', count: 3 } });
    expect(entry!.event.message).toMatch(/^3 alerts of a group for receiver homeostat left out by Alertmanager \(max_alerts\)/);
    expect(chain.auditGit('log', '--format=%s', 'main')).toMatch(/^alerts-truncated: 3 alerts/m);
  }, 60_000);

  it('says how many in the 202 body of a captured truncated payload; a group is audited again only when its count changes', async () => {
    const captured = readFileSync(join(ROOT, AM, 'disk-will-fill-truncated.json'), 'utf8');
    const post = async (body: string) => {
      const response = await fetch(`${chain.url}/api/v1/alerts`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body });
      expect(response.status).toBe(202);
      return (await response.json()) as Record<string, unknown>;
    };
    expect(await post(captured)).toMatchObject({ alerts: 2, truncatedAlerts: 3 });
    expect(await truncatedTotal()).toBe(6);
    await waitFor(() => truncationEvents().length === 2, 'the second alerts-truncated audit event');
    // The same group re-sent: counted, not audited again; then with one more left out: audited.
    expect(await post(captured)).toMatchObject({ truncatedAlerts: 3 });
    expect(await post(JSON.stringify({ ...JSON.parse(captured), truncatedAlerts: 4 }))).toMatchObject({ truncatedAlerts: 4 });
    expect(await truncatedTotal()).toBe(13);
    const events = await waitFor(() => truncationEvents().some((e) => e.event.details?.count === 4) && truncationEvents(), 'the event of the new count');
    expect(events.map((e) => e.event.details?.count).sort()).toEqual([3, 3, 4]);
  }, 60_000);
});
