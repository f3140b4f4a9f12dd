/**
 * The built `homeostat serve` following a git policy remote by its --sync-interval alone (no
 * sync asked for), and `homeostat status` reading a running engine: ready or not and why, the
 * revision, the last sync and the last failure; exit 0 ready, 1 not ready, 2 unreachable or
 * refused.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { waitFor } from '../helpers/engine.js';
import { gitSandbox } from '../helpers/git.js';
import { createPolicyRemote } from '../helpers/git-remote.js';
import { freePort, spawnServe, untilHttpOk } from '../helpers/processes.js';
import type { Spawned } from '../helpers/processes.js';
import { policyYaml, settingsYaml } from '../helpers/policies.js';
import { runCli } from './run-cli.js';

const sandbox = gitSandbox('homeostat-serve-git-');
const ADMIN = 'status-admin-token-0123456789';
let running: Spawned[] = [];

afterEach(async () => {
  for (const p of running) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await Promise.all(running.map((p) => p.exited));
  running = [];
});

function restart(version: string): Record<string, string> {
  return {
    'homeostat.yaml': settingsYaml('dryRun: true'),
    'rules/restart.yaml': policyYaml('restart', `
      match: { alertname: ServiceDown }
      target: '{{ labels.instance | host }}'
      actions:
        - name: restart-${version}
          script: { path: scripts/restart.sh }
    `),
    'scripts/restart.sh': '#!/bin/sh\nexit 0\n',
  };
}

async function serve(remote: string, port: number, dataDir: string): Promise<Spawned> {
  const engine = spawnServe(['--policies', remote, '--data-dir', dataDir, '--listen', `127.0.0.1:${port}`, '--sync-interval', '1s'], { HOMEOSTAT_ADMIN_TOKEN: ADMIN }, sandbox.root);
  running.push(engine);
  return engine;
}

function status(port: number, ...args: string[]) {
  return runCli(['status', '--url', `http://127.0.0.1:${port}`, ...args], { env: { HOMEOSTAT_ADMIN_TOKEN: ADMIN } });
}

it('follows the remote by its interval, and status says what it acts on and what it refused', async () => {
  const remote = createPolicyRemote(sandbox.path('policies'), restart('v1'));
  const first = remote.head();
  const port = await freePort();
  const engine = await serve(remote.url, port, sandbox.path('data'));
  await untilHttpOk(`http://127.0.0.1:${port}/readyz`, 'the engine to be ready').catch((error: Error) => {
    throw new Error(`${error.message}\n${engine.output()}`);
  });

  const ready = status(port);
  expect(ready.status, ready.stderr).toBe(0);
  expect(ready.stdout).toMatch(/^engine +ready, since \S+$/m);
  expect(ready.stdout).toContain(`git ${remote.url} branch main path .`);
  expect(ready.stdout).toMatch(new RegExp(`^revision +${first.slice(0, 12)}: 1 policy, active since `, 'm'));
  expect(ready.stdout).toMatch(/^paused +no$/m);

  // Pushed, never announced: the interval alone brings it in.
  const second = remote.push('v2', restart('v2'));
  await waitFor(async () => JSON.parse(status(port, '--format', 'json').stdout).policies.revision === second, 'the pushed commit to be active', 10_000);

  remote.push('broken', { 'rules/broken.yaml': 'apiVersion: homeostat/v1\nkind: Policy\nmetadata: { name: broken }\nspec: { match: {}, actions: [], bogus: 1 }\n' });
  const refused = remote.head();
  await waitFor(async () => JSON.parse(status(port, '--format', 'json').stdout).policies.source.lastFailure?.head === refused, 'the broken commit to be refused', 10_000);
  const text = status(port);
  expect(text.status).toBe(0);
  expect(text.stdout).toMatch(new RegExp(`^revision +${second.slice(0, 12)}: `, 'm'));
  expect(text.stdout).toMatch(new RegExp(`^last failure +\\S+ refused \\(head ${refused.slice(0, 12)}\\): \\d+ problems in the policies$`, 'm'));
  expect(text.stdout).toMatch(/^last load +.* first rules\/broken\.yaml:\d+:\d+ HST_\w+ /m);

  const json = JSON.parse(status(port, '--format', 'json').stdout);
  expect(json.policies).toMatchObject({ revision: second, source: { kind: 'git', branch: 'main', lastSync: { ok: false, head: refused, result: 'refused' } }, lastLoad: { ok: false, revision: refused } });
});

it('exits 1 when the engine is not ready, and 2 when it cannot be asked or refuses the token', async () => {
  const port = await freePort();
  // A remote that never existed: no good revision ever, so the engine takes no alert.
  const engine = await serve(join(sandbox.root, 'nowhere.git'), port, sandbox.path('data'));
  await untilHttpOk(`http://127.0.0.1:${port}/healthz`, 'the engine to listen').catch((error: Error) => {
    throw new Error(`${error.message}\n${engine.output()}`);
  });
  const notReady = status(port);
  expect(notReady.status).toBe(1);
  expect(notReady.stdout).toMatch(/^engine +NOT READY: no valid policy revision is active: policy sync: fetch failed: .*nowhere\.git/m);
  expect(notReady.stdout).toMatch(/^revision +none active$/m);

  const tokenFile = join(sandbox.root, 'wrong.token');
  writeFileSync(tokenFile, 'not-the-admin-token-at-all\n');
  const refused = runCli(['status', '--url', `http://127.0.0.1:${port}`, '--admin-token-file', tokenFile]);
  expect(refused.status).toBe(2);
  expect(refused.stderr).toBe(`homeostat: http://127.0.0.1:${port}/api/v1/status: 401 unauthorized; give the engine's admin token with --admin-token-file or HOMEOSTAT_ADMIN_TOKEN\n`);

  const nobody = await freePort();
  const unreachable = runCli(['status', '--url', `http://127.0.0.1:${nobody}`]);
  expect(unreachable.status).toBe(2);
  expect(unreachable.stderr).toBe(`homeostat: cannot reach the engine at http://127.0.0.1:${nobody} (ECONNREFUSED); is \`homeostat serve\` running there? (--url)\n`);
});
