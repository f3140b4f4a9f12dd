/**
 * The built `homeostat serve` and Debian's Alertmanager started for a test and waited for
 * until ready, either by a test itself or for a whole test file (servedForFile, alertChain:
 * started before its tests, stopped and removed after them), and a policy repository with one
 * script action: what the end-to-end tests of a running engine share.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { writeRepo } from './engine.js';
import { freePort, requireCommand, spawnLogged, spawnServe, untilHttpOk } from './processes.js';
import type { Spawned } from './processes.js';

/** `homeostat serve ARGS --listen 127.0.0.1:PORT`, once its /readyz answers 200 (its output in the error otherwise). */
export async function serveReady(port: number, args: readonly string[], env: NodeJS.ProcessEnv, cwd: string, started?: (engine: Spawned) => void): Promise<{ engine: Spawned; url: string }> {
  const engine = spawnServe([...args, '--listen', `127.0.0.1:${port}`], env, cwd);
  started?.(engine);
  const url = `http://127.0.0.1:${port}`;
  await untilHttpOk(`${url}/readyz`, 'the engine to be ready').catch((error: Error) => {
    throw new Error(`${error.message}\n${engine.output()}`);
  });
  return { engine, url };
}

/** prometheus-alertmanager with this configuration (written to DIR/alertmanager.yml), once ready. */
export async function alertmanagerReady(dir: string, port: number, config: string): Promise<Spawned> {
  const binary = requireCommand('prometheus-alertmanager', 'prometheus-alertmanager');
  writeFileSync(join(dir, 'alertmanager.yml'), config);
  const alertmanager = spawnLogged(binary, [`--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'am-data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=']);
  await untilHttpOk(`http://127.0.0.1:${port}/-/ready`, 'Alertmanager to be ready').catch(async (error: Error) => {
    alertmanager.child.kill('SIGKILL');
    await alertmanager.exited;
    throw new Error(`${error.message}\n${alertmanager.output()}`);
  });
  return alertmanager;
}

/**
 * The files of a policy repository with one policy, `name`: on alerts named `alertname`, its
 * action `name` runs scripts/NAME.sh (the given text) with the target as its one argument.
 */
export function scriptRepo(name: string, alertname: string, script: string, options: { target?: string; env?: Record<string, string> } = {}): Record<string, string> {
  const env = options.env ? `, env: ${JSON.stringify(options.env)}` : '';
  const policy = `apiVersion: homeostat/v1
kind: Policy
metadata: { name: ${name} }
spec:
  match: { alertname: ${alertname} }
  target: '${options.target ?? '{{ labels.host }}'}'
  actions:
    - name: ${name}
      script: { path: scripts/${name}.sh, args: ['{{ target }}']${env} }
      timeout: 10m
  guards: { cooldown: 0s }
`;
  return { [`rules/${name}.yaml`]: policy, [`scripts/${name}.sh`]: script };
}

/** What a test file's engine (servedForFile) gives its tests: its fields are set once it has started. */
export interface ServedEngine {
  readonly root: string;
  readonly port: number;
  readonly url: string;
  readonly engine: Spawned;
  /** `git -C ROOT/data/audit ARGS` output. */
  auditGit(...args: string[]): string;
  /** A sample's value on the engine's /metrics (name with its labels, if any); 0 while it has none. */
  metric(name: string): Promise<number>;
}

/**
 * One `homeostat serve` for the tests of a file, in a fresh temp root (prefix): `setup` writes
 * what it needs there and says its arguments; --data-dir is ROOT/data. After the tests it is
 * stopped with SIGTERM, must exit 0, and the root is removed.
 */
export function servedForFile(prefix: string, setup: (root: string) => { args: readonly string[]; env?: NodeJS.ProcessEnv }): ServedEngine {
  const served: ServedEngine = {
    auditGit: (...args) => execFileSync('git', ['-C', join(served.root, 'data', 'audit'), ...args], { encoding: 'utf8' }),
    metric: async (name) => {
      const text = await (await fetch(`${served.url}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith(`${name} `));
      return line ? Number(line.split(' ').at(-1)) : 0;
    },
  } as ServedEngine;
  beforeAll(async () => {
    const root = mkdtempSync(join(tmpdir(), prefix));
    Object.assign(served, { root });
    const { args, env = {} } = setup(root);
    const port = await freePort();
    await serveReady(port, [...args, '--data-dir', join(root, 'data')], env, root, (engine) => Object.assign(served, { port, url: `http://127.0.0.1:${port}`, engine }));
  }, 60_000);
  afterAll(async () => {
    if (served.engine) {
      served.engine.child.kill('SIGTERM');
      expect((await served.engine.exited).code).toBe(0);
    }
    if (served.root) rmSync(served.root, { recursive: true, force: true });
  });
  return served;
}

export interface AlertChainOptions {
  /** Of the temp root. */
  prefix: string;
  /** The webhook token, given to the engine and to Alertmanager. */
  token: string;
  /** The policy repository's files (ROOT/repo), given the temp root. */
  files(root: string): Record<string, string>;
  /** The route's group_interval: how soon Alertmanager sends a group again once it changed (default 1s). */
  groupInterval?: string;
  /** The webhook's max_alerts: more alerts in a group are left out, and counted (default 0, none left out). */
  maxAlerts?: number;
}

export interface AlertChain extends ServedEngine {
  readonly alertmanager: Spawned;
  /** Posts alerts to Alertmanager's API as Prometheus would: an array, or its JSON text. */
  postAlerts(alerts: readonly unknown[] | string): Promise<void>;
}

/**
 * Debian's Alertmanager routing every alert, grouped by alertname, to a `homeostat serve` on
 * this policy repository, for the tests of a file (servedForFile).
 */
export function alertChain(options: AlertChainOptions): AlertChain {
  const served = servedForFile(options.prefix, (root) => {
    writeRepo(join(root, 'repo'), options.files(root));
    return { args: ['--policies', join(root, 'repo')], env: { HOMEOSTAT_WEBHOOK_TOKEN: options.token } };
  });
  let amUrl = '';
  const chain: AlertChain = Object.assign(served, {
    alertmanager: undefined as unknown as Spawned,
    postAlerts: async (alerts: readonly unknown[] | string) => {
      const body = typeof alerts === 'string' ? alerts : JSON.stringify(alerts);
      const response = await fetch(`${amUrl}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      if (response.status !== 200) throw new Error(`Alertmanager answered ${response.status} to the alerts: ${await response.text()}`);
    },
  });
  beforeAll(async () => {
    const port = await freePort();
    amUrl = `http://127.0.0.1:${port}`;
    Object.assign(chain, { alertmanager: await alertmanagerReady(served.root, port, webhookRoute(served.port, options)) });
  }, 60_000);
  // vitest runs afterAll hooks last registered first: Alertmanager stops before the engine.
  afterAll(async () => {
    chain.alertmanager?.child.kill('SIGTERM');
    await chain.alertmanager?.exited;
  });
  return chain;
}

/** Alertmanager's configuration: every group to the engine's webhook, with its token. */
function webhookRoute(enginePort: number, options: AlertChainOptions): string {
  return `route:
  receiver: homeostat
  group_by: [alertname]
  group_wait: 200ms
  group_interval: ${options.groupInterval ?? '1s'}
  repeat_interval: 1h
receivers:
  - name: homeostat
    webhook_configs:
      - url: http://127.0.0.1:${enginePort}/api/v1/alerts
        send_resolved: true
        max_alerts: ${options.maxAlerts ?? 0}
        http_config:
          authorization: { type: Bearer, credentials: ${options.token} }
`;
}
