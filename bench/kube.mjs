/**
 * The Kubernetes action benchmark (`node bench/kube.mjs`, after `npm run build`): what the
 * engine adds before a Kubernetes action reaches the API, and how many actions a second it
 * carries out, against the Kubernetes API test server (test/kube-api/, compiled here into a
 * temporary directory; it runs in this process, so its arrival times share this clock).
 *
 *   latency: one alert at a time (a rollout restart of a deployment of its own); from the
 *            decision (the audit entry's `at`) to the first API request of the action, and
 *            from the webhook sent to that request. Between them: the intent journaled and
 *            committed to the audit repository, which an action waits for before it starts.
 *   throughput: one webhook of N alerts over N deployments, `serve --concurrency 4` (four
 *            targets acted on at once); actions a second from the webhook to the last PATCH.
 *
 * A benchmark, not a test: it prints figures and asserts nothing. It exits 1 only when the
 * setup is wrong (the build is missing, an action does not reach the server).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, line, loadText, median, quantile } from './stats.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const LATENCY_SAMPLES = 40;
const THROUGHPUT_ACTIONS = 200;
const CONCURRENCY = 4;
const out = (text = '') => process.stdout.write(text + '\n');

function compileTestServer(dir) {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const sources = ['server', 'cluster', 'store', 'merge', 'rbac', 'resources', 'selectors', 'discovery'].map((f) => join(ROOT, 'test/kube-api', `${f}.ts`));
  const r = spawnSync(process.execPath, [tsc, '--outDir', dir, '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck', '--rootDir', join(ROOT, 'test/kube-api'), ...sources], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cannot compile test/kube-api: ${r.stdout}${r.stderr}`);
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
}

function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function until(probe, what, ms = 60_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function deployment(name) {
  return {
    resource: 'deployments',
    object: { metadata: { name, namespace: 'bench', labels: { app: name } }, spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image: 'app:1' }] } } } },
  };
}

function alert(name, i) {
  return { status: 'firing', labels: { alertname: 'RolloutMe', namespace: 'bench', deployment: name }, annotations: {}, startsAt: '2026-11-21T07:30:00Z', endsAt: '0001-01-01T00:00:00Z', generatorURL: '', fingerprint: (0x1000000000000000n + BigInt(i)).toString(16) };
}

function webhook(alerts) {
  return JSON.stringify({ version: '4', status: 'firing', receiver: 'bench', groupKey: `{}:{bench="${alerts[0].labels.deployment}"}`, truncatedAlerts: 0, groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: 'http://am', alerts });
}

async function main() {
  if (!existsSync(join(ROOT, 'dist/engine/cli/main.js'))) throw new Error('dist/ is missing: run npm run build first');
  const tmp = mkdtempSync(join(tmpdir(), 'homeostat-bench-kube-'));
  let engine;
  let api;
  try {
    compileTestServer(join(tmp, 'kube-api'));
    const { startKubeApi } = await import(join(tmp, 'kube-api', 'server.js'));
    const names = Array.from({ length: LATENCY_SAMPLES + THROUGHPUT_ACTIONS }, (_, i) => `app-${i}`);
    api = await startKubeApi({ objects: names.map(deployment) });
    const kubeconfig = api.writeKubeconfig(join(tmp, 'kubeconfig'));
    const repo = join(tmp, 'repo');
    mkdirSync(join(repo, 'rules'), { recursive: true });
    writeFileSync(join(repo, 'homeostat.yaml'), 'apiVersion: homeostat/v1\nkind: Settings\nspec:\n  blastRadius: { max: 100000, per: 1m }\n');
    writeFileSync(join(repo, 'rules', 'rollout.yaml'), `apiVersion: homeostat/v1
kind: Policy
metadata: { name: rollout }
spec:
  match: { alertname: RolloutMe }
  target: '{{ labels.namespace }}/{{ labels.deployment }}'
  actions:
    - name: restart
      kubernetes: { rolloutRestart: { namespace: '{{ labels.namespace }}', deployment: '{{ labels.deployment }}' } }
  guards: { cooldown: 0s }
`);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    engine = spawn(process.execPath, [join(ROOT, 'dist/engine/cli/main.js'), 'serve', '--policies', repo, '--data-dir', join(tmp, 'data'), '--listen', `127.0.0.1:${port}`, '--kubeconfig', kubeconfig, '--concurrency', String(CONCURRENCY), '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'inherit'] });
    await until(async () => (await fetch(`${url}/readyz`).catch(() => null))?.ok, 'the engine to be ready');
    const post = (body) => fetch(`${url}/api/v1/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const firstRequest = (name) => api.requests.find((r) => r.path.endsWith(`/deployments/${name}`));
    const patched = (name) => api.requests.find((r) => r.method === 'PATCH' && r.path.endsWith(`/deployments/${name}`) && r.status === 200);

    const fromDecision = [];
    const fromWebhook = [];
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      const name = names[i];
      const sent = Date.now();
      const response = await post(webhook([alert(name, i)]));
      if (response.status !== 202) throw new Error(`the webhook answered ${response.status}`);
      const first = await until(() => firstRequest(name), `the first request for ${name}`);
      await until(() => patched(name), `the restart of ${name}`);
      const entry = await until(async () => ((await (await fetch(`${url}/api/v1/actions?limit=500`)).json()).actions ?? []).find((e) => e.params?.rolloutRestart?.deployment === name), `the entry of ${name}`);
      fromDecision.push(first.at - Date.parse(entry.at));
      fromWebhook.push(first.at - sent);
    }
    const sorted = (a) => [...a].sort((x, y) => x - y);
    const d = sorted(fromDecision);
    const w = sorted(fromWebhook);

    const batch = names.slice(LATENCY_SAMPLES);
    const sent = Date.now();
    const response = await post(webhook(batch.map((n, i) => alert(n, LATENCY_SAMPLES + i))));
    if (response.status !== 202) throw new Error(`the webhook answered ${response.status}`);
    await until(() => batch.every((n) => patched(n)), `the ${batch.length} restarts`, 300_000);
    const last = Math.max(...batch.map((n) => patched(n).at));
    const seconds = (last - sent) / 1000;

    out('Kubernetes actions (rolloutRestart: GET + strategic merge PATCH) against the API test server');
    out(line('decision → first API request, median', `${fmt(median(d), 1)} ms`));
    out(line('decision → first API request, p95', `${fmt(quantile(d, 0.95), 1)} ms`));
    out(line('webhook sent → first API request, median', `${fmt(median(w), 1)} ms`));
    out(line('webhook sent → first API request, p95', `${fmt(quantile(w, 0.95), 1)} ms`));
    out(line(`throughput, ${batch.length} actions, ${CONCURRENCY} targets at once`, `${fmt(batch.length / seconds, 0)} actions/s`));
    out(`  (${LATENCY_SAMPLES} latency samples, one at a time; the audit entry's 'at' has millisecond precision; load average ${loadText()})`);
  } finally {
    if (engine) {
      engine.kill('SIGTERM');
      await new Promise((r) => engine.once('exit', r));
    }
    await api?.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`bench/kube: ${error.stack ?? error}\n`);
  process.exit(1);
});
