/**
 * The GitOps benchmark (`npm run build && node bench/gitops.mjs`): how long a policy change
 * pushed to the git remote takes to become the engine's active revision.
 *
 * A bare remote holds a policy repository of 10,000 policy files (the webhook bench's
 * generated policies). The engine (bench/webhook-server.mjs, its git source) starts on it and
 * activates it. Then, CHANGES times: one policy file is changed, committed and pushed (not
 * timed), and a GitHub push webhook (POST /api/v1/sync, X-Hub-Signature-256) is sent; the time
 * runs from the first byte of that POST to its answer, which comes once the new revision is
 * loaded, vetted (its policy tests run) and active, or refused. Every answer is checked: ok,
 * and the revision is the commit pushed.
 *
 * Next to it, in the same run: a full cold compile of the same revision, a fresh
 * RevisionLoader in a fresh process: list, read every blob, analyse every file, assemble,
 * vet, as at the engine's first start. A benchmark, not a test: it exits 0 whatever the
 * figures and prints "goal met" / "goal MISSED"; it exits 1 only when the setup is wrong.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fmt, line, machineBusy, msSince, now, quantile } from './stats.mjs';
import { startServer, writeBenchRepository } from './webhook.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const POLICIES = 10_000;
const CHANGES = 40;
const COLD_RUNS = 3;
const SYNC_TOKEN = 'bench-sync-token-0123456789abcdef';
const GOALS = { pushToActiveP99Ms: 500 };

const busy = () => (machineBusy() ? '  (machine busy: figures are pessimistic)' : '');

function git(cwd, ...args) {
  return execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.com', '-c', 'gc.auto=0', ...args], { cwd, encoding: 'utf8' }).trim();
}

/** A GitHub push webhook: POST /api/v1/sync with the body signed by the sync token. */
function pushWebhook(port, after) {
  const body = Buffer.from(JSON.stringify({ ref: 'refs/heads/main', after, repository: { full_name: 'bench/policies' } }));
  const signature = `sha256=${createHmac('sha256', SYNC_TOKEN).update(body).digest('hex')}`;
  return new Promise((resolve, reject) => {
    const t0 = now();
    const req = request(
      { host: '127.0.0.1', port, method: 'POST', path: '/api/v1/sync', headers: { 'content-type': 'application/json', 'content-length': body.length, 'x-github-event': 'push', 'x-hub-signature-256': signature } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode, body: text, ms: msSince(t0) }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** One cold load of the revision in a fresh process: the child prints its own timing. */
function coldCompile(remote, commit) {
  const script = `
    const { openGit } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'dist/engine/git/git.js')).href)});
    const { RevisionLoader } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'dist/engine/load/git-revision.js')).href)});
    const { vetRevision } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'dist/engine/runtime/activation.js')).href)});
    const t0 = performance.now();
    const loader = new RevisionLoader(openGit(${JSON.stringify(remote)}), '');
    const { repo, result } = await loader.load(${JSON.stringify(commit)});
    const { report } = await vetRevision(loader, repo, result, new Date().toISOString());
    process.stdout.write(JSON.stringify({ ms: performance.now() - t0, ok: report.ok, policies: result.policies.length }));
  `;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`cold compile failed: ${child.stderr}`);
  return JSON.parse(child.stdout);
}

export async function gitopsBench({ out = (text = '') => process.stdout.write(text + '\n') } = {}) {
  const tmp = mkdtempSync(join(tmpdir(), 'homeostat-bench-gitops-'));
  const remote = join(tmp, 'policies.git');
  const work = join(tmp, 'work');
  let server = null;
  try {
    out(`GitOps: push webhook to active revision, one changed policy in ${fmt(POLICIES)} policy files${busy()}`);
    const t0 = now();
    git(tmp, 'init', '--quiet', '--bare', '--initial-branch=main', remote);
    const files = writeBenchRepository(work, POLICIES);
    git(work, 'init', '--quiet', '--initial-branch=main');
    git(work, 'add', '-A');
    git(work, 'commit', '--quiet', '-m', 'policies');
    git(work, 'push', '--quiet', remote, 'main');
    const first = git(work, 'rev-parse', 'HEAD');
    out(`  setup: ${fmt(files)} policy files committed and pushed to a bare remote in ${fmt(msSince(t0))} ms`);

    const cold = Array.from({ length: COLD_RUNS }, () => coldCompile(remote, first));
    if (!cold.every((c) => c.ok && c.policies === files)) throw new Error(`cold compile: ${JSON.stringify(cold)}`);
    const coldMs = cold.map((c) => c.ms).sort((a, b) => a - b);

    const started = now();
    server = await startServer(['--mode', 'engine', '--remote', remote, '--data', join(tmp, 'data'), '--sync-token', SYNC_TOKEN, '--log', join(tmp, 'engine.log')], 'GitOps engine');
    const startMs = msSince(started);
    const status = await server.status();
    if (status.status.policies.revision !== first) throw new Error(`the engine did not activate ${first} at start: ${JSON.stringify(status.status.policies)}`);

    const width = String(POLICIES - 1).length;
    const times = [];
    for (let k = 0; k < CHANGES; k++) {
      const file = join(work, 'rules', `bench-${String((k * 997) % POLICIES).padStart(width, '0')}.yaml`);
      writeFileSync(file, readFileSync(file, 'utf8').replace(/^( {2}description: .*?)( \(change \d+\))?'$/m, `$1 (change ${k})'`));
      git(work, 'commit', '--quiet', '-am', `change ${k}`);
      git(work, 'push', '--quiet', remote, 'main');
      const head = git(work, 'rev-parse', 'HEAD');
      const answer = await pushWebhook(server.port, head);
      const result = JSON.parse(answer.body);
      if (answer.status !== 200 || !result.ok || result.revision !== head) throw new Error(`change ${k}: the push webhook answered ${answer.status} ${answer.body.slice(0, 500)}`);
      times.push(answer.ms);
    }
    const sorted = Float64Array.from(times).sort();
    const p99 = quantile(sorted, 0.99);
    out(line('engine start-up, first sync and activation included', `${fmt(startMs)} ms`));
    out(line(`push webhook → active, ${CHANGES} changes: p50 / p99 / max`, `${fmt(quantile(sorted, 0.5), 1)} / ${fmt(p99, 1)} / ${fmt(sorted[sorted.length - 1], 1)} ms`, `p99 < ${GOALS.pushToActiveP99Ms} ms`, p99 < GOALS.pushToActiveP99Ms));
    out(line(`full cold compile of the same revision, fresh process: median of ${COLD_RUNS} (min)`, `${fmt(coldMs[Math.floor(COLD_RUNS / 2)])} ms (${fmt(coldMs[0])})`));
    out(line('cold compile / push to active (p50)', `${fmt(coldMs[Math.floor(COLD_RUNS / 2)] / quantile(sorted, 0.5), 1)}×`));
    return { p99Ms: p99, p50Ms: quantile(sorted, 0.5), coldMs: coldMs[Math.floor(COLD_RUNS / 2)] };
  } finally {
    await server?.stop().catch(() => undefined);
    rmSync(tmp, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  gitopsBench().catch((error) => {
    process.stderr.write(`bench: ${error.stack ?? error}\n`);
    process.exit(1);
  });
}
