/**
 * deploy/alertmanager/alertmanager.yml with the real Debian Alertmanager: `amtool check-config`
 * accepts it (and refuses it broken), and Alertmanager started on it, with only the engine's
 * address and the token file's path changed, delivers an alert to the built `serve` with the
 * token read from its credentials_file.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { TOKEN, writeRepo } from '../helpers/engine.js';
import { freePort, requireCommand } from '../helpers/processes.js';
import type { Spawned } from '../helpers/processes.js';
import { alertmanagerReady, scriptRepo, servedForFile } from '../helpers/serve.js';
import { waitFor } from '../helpers/wait.js';
import { ROOT } from './run-cli.js';

const CONFIG = join(ROOT, 'deploy/alertmanager/alertmanager.yml');

interface WebhookConfig {
  url: string;
  http_config: { authorization: { type: string; credentials_file: string } };
}
interface AmConfig {
  route: { routes: { group_wait?: string; group_interval?: string }[] };
  receivers: { name: string; webhook_configs?: WebhookConfig[] }[];
}

function checkConfig(file: string): { status: number | null; output: string } {
  const amtool = requireCommand('amtool', 'prometheus-alertmanager');
  const result = spawnSync(amtool, ['check-config', file], { encoding: 'utf8' });
  return { status: result.status, output: result.stdout + result.stderr };
}

const served = servedForFile('homeostat-deploy-am-', (root) => {
  writeRepo(join(root, 'repo'), scriptRepo('restart-unit', 'ServiceDown', '#!/bin/sh\nexit 0\n', { target: '{{ labels.instance | host }}' }));
  return { args: ['--policies', join(root, 'repo')], env: { HOMEOSTAT_WEBHOOK_TOKEN: TOKEN } };
});

describe('deploy/alertmanager: the plain receiver', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'homeostat-amcfg-'));
  let alertmanager: Spawned | undefined;
  let amUrl = '';
  afterAll(async () => {
    alertmanager?.child.kill('SIGTERM');
    await alertmanager?.exited;
    rmSync(tmp, { recursive: true, force: true });
  });

  it('passes amtool check-config, with the token sent from a credentials_file', () => {
    const result = checkConfig(CONFIG);
    expect(result.output).toContain('SUCCESS');
    expect(result.status).toBe(0);
    const config = parse(readFileSync(CONFIG, 'utf8')) as AmConfig;
    const hook = config.receivers.find((r) => r.name === 'homeostat')!.webhook_configs![0]!;
    expect(hook.http_config.authorization).toEqual({ type: 'Bearer', credentials_file: expect.stringMatching(/^\/.+webhook-token$/) });
    expect(hook.url).toBe('http://homeostat.homeostat.svc:9595/api/v1/alerts');
  });

  it('is refused by amtool when broken (the check is real)', () => {
    const broken = join(tmp, 'broken.yml');
    writeFileSync(broken, readFileSync(CONFIG, 'utf8').replace('credentials_file:', 'credentials: inline\n            credentials_file:'));
    expect(checkConfig(broken).status).not.toBe(0);
  });

  describe('started on it', () => {
    beforeAll(async () => {
      const config = parse(readFileSync(CONFIG, 'utf8')) as AmConfig;
      const tokenFile = join(tmp, 'webhook-token');
      writeFileSync(tokenFile, `${TOKEN}\n`);
      const hook = config.receivers.find((r) => r.name === 'homeostat')!.webhook_configs![0]!;
      hook.url = `${served.url}/api/v1/alerts`;
      hook.http_config.authorization.credentials_file = tokenFile;
      for (const route of config.route.routes) Object.assign(route, { group_wait: '200ms', group_interval: '1s' });
      const port = await freePort();
      amUrl = `http://127.0.0.1:${port}`;
      alertmanager = await alertmanagerReady(tmp, port, stringify(config));
    });

    it('delivers a handled alert to the engine with the token, and the engine runs its action', async () => {
      const alert = { labels: { alertname: 'ServiceDown', instance: 'web-7:9100', name: 'nginx.service', severity: 'warning' }, startsAt: new Date().toISOString() };
      const response = await fetch(`${amUrl}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([alert]) });
      expect(response.status).toBe(200);
      await waitFor(async () => (await served.metric('homeostat_actions_total{type="script",outcome="succeeded"}')) === 1, 'the engine to run the action for the alert Alertmanager sent');
      expect(await served.metric('homeostat_webhook_requests_total{code="202"}')).toBeGreaterThanOrEqual(1);
      expect(await served.metric('homeostat_webhook_requests_total{code="401"}')).toBe(0);
      expect(served.auditGit('log', '--format=%s')).toContain('restart-unit/restart-unit (script) on web-7, for ServiceDown firing');
    });
  });
});
