/**
 * The built `homeostat serve` and Debian's Alertmanager started for a test and waited for
 * until ready, and a policy repository with one script action: what the end-to-end tests of
 * a running engine share.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireCommand, spawnLogged, spawnServe, untilHttpOk } from './processes.js';
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
  await untilHttpOk(`http://127.0.0.1:${port}/-/ready`, 'Alertmanager to be ready').catch((error: Error) => {
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
