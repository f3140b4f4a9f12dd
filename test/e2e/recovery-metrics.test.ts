/**
 * The recovery metrics of the built `serve`, fed real Alertmanager payloads: a device that
 * resolved after its remediation counts as healed once (its resolution posted twice, as an HA
 * pair would), the one still down counts as not healed once the window and its grace passed.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { TOKEN, writeRepo } from '../helpers/engine.js';
import { scriptRepo, servedForFile } from '../helpers/serve.js';
import { waitFor } from '../helpers/wait.js';

const FIXTURES = '/work/shared/fixtures/alertmanager';
const POLICY = 'bounce-port';

const served = servedForFile('homeostat-recovery-', (root) => {
  writeRepo(join(root, 'repo'), scriptRepo(POLICY, 'NetDeviceDown', '#!/bin/sh\nexit 0\n', { target: '{{ labels.instance }}-{{ labels.device }}' }));
  return { args: ['--policies', join(root, 'repo'), '--remediation-window', '2s'], env: { HOMEOSTAT_WEBHOOK_TOKEN: TOKEN } };
});

async function post(fixture: string): Promise<void> {
  const response = await fetch(`${served.url}/api/v1/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: readFileSync(join(FIXTURES, fixture)),
  });
  expect(response.status).toBe(202);
}

describe('serve: recovery metrics', () => {
  it('counts a resolved alert as healed once and one still firing as not healed after the window', async () => {
    await post('net-device-down-firing.json');
    await waitFor(async () => (await served.metric('homeostat_actions_total{type="script",outcome="succeeded"}')) === 2, 'both actions to succeed');
    // eth0 resolved, eth1 still firing; Alertmanager re-sends the group.
    await post('net-device-down-one-resolved.json');
    await post('net-device-down-one-resolved.json');
    expect(await served.metric(`homeostat_remediation_effective_total{policy="${POLICY}"}`)).toBe(1);
    // eth1's window (2s) and grace (2s) pass: the scrape that comes after counts it.
    await waitFor(async () => (await served.metric(`homeostat_remediation_ineffective_total{policy="${POLICY}"}`)) === 1, 'the still-firing alert to be counted as not healed');
    expect(await served.metric(`homeostat_remediation_effective_total{policy="${POLICY}"}`)).toBe(1);
    expect(await served.metric('homeostat_remediation_tracked')).toBe(0);
    // Both outcomes came days after the captured alerts' startsAt: past the last bucket.
    expect(await served.metric(`homeostat_time_to_remediation_seconds_count{policy="${POLICY}",type="script",outcome="succeeded"}`)).toBe(2);
    expect(await served.metric(`homeostat_time_to_remediation_seconds_bucket{le="+Inf",policy="${POLICY}",type="script",outcome="succeeded"}`)).toBe(2);
    expect(await served.metric(`homeostat_time_to_remediation_seconds_bucket{le="86400",policy="${POLICY}",type="script",outcome="succeeded"}`)).toBe(0);
  });
});
