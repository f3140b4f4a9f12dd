/**
 * The server side of the webhook benchmark (bench/webhook.mjs), in a process of its own so
 * that its CPU and its peak RSS are its own. Started with an IPC channel by the parent:
 *
 *   node bench/webhook-server.mjs --mode ceiling
 *   node bench/webhook-server.mjs --mode engine --policies DIR --data DIR [--token T] [--log FILE]
 *   node bench/webhook-server.mjs --mode engine --remote GIT-URL --data DIR [--sync-token T] [--log FILE]
 *
 * ceiling: a bare fastify 5 server, same bodyLimit as the engine (32 MiB), one POST route that
 *   only parses the JSON body (fastify's own parser) and answers 202.
 * engine: what `homeostat serve` builds (engine/cli/commands/serve.ts): pino at info (to a
 *   file instead of stdout), the default metrics, the real journal and git audit repository
 *   under --data, Engine.start + buildServer, listening on 127.0.0.1 (a free port).
 *
 * Messages: the child sends {type: 'listening', port, startMs, maxRssKb} once it listens.
 * The parent sends {type: 'status'} → {type: 'status', status, decisions, actionsEnded, rss, cpu}; {type: 'stop'}
 * → the child closes the server and exits at once (no graceful engine stop: the data
 * directory is thrown away), after sending {type: 'stopped', rss}.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import { pino } from 'pino';
import { childrenCpuSeconds } from './cold-load.mjs';
import { peakRssKb } from './stats.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (path) => import(join(ROOT, 'dist/engine', path));

const { values: args } = parseArgs({
  options: {
    mode: { type: 'string' },
    policies: { type: 'string' },
    data: { type: 'string' },
    token: { type: 'string' },
    log: { type: 'string' },
    remote: { type: 'string' },
    'sync-token': { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
  },
});

const MAX_BODY = 32 * 1024 * 1024;
const t0 = process.hrtime.bigint();
const elapsedMs = () => Number(process.hrtime.bigint() - t0) / 1e6;
const rss = () => {
  const m = process.memoryUsage();
  const kb = (n) => Math.round(n / 1024);
  return { maxRssKb: peakRssKb(), rssKb: kb(m.rss), heapUsedKb: kb(m.heapUsed), heapTotalKb: kb(m.heapTotal), externalKb: kb(m.external), arrayBuffersKb: kb(m.arrayBuffers) };
};
/** CPU seconds of this process (every thread) and of its children that ended (git). */
const cpu = () => {
  const u = process.cpuUsage();
  return { selfS: (u.user + u.system) / 1e6, childrenS: childrenCpuSeconds() };
};

async function ceiling() {
  const app = Fastify({ bodyLimit: MAX_BODY, return503OnClosing: true });
  app.post('/api/v1/alerts', async (request, reply) => reply.code(202).send({ alerts: request.body.alerts.length }));
  return { app, engine: null, metrics: null };
}

async function engine() {
  const { boundHeapGrowth } = await dist('runtime/heap.js');
  boundHeapGrowth();
  const { AuditRepo } = await dist('audit/repo.js');
  const { Engine } = await dist('runtime/engine.js');
  const { createMetrics } = await dist('runtime/metrics.js');
  const { buildServer } = await dist('server/server.js');
  // --remote: the policies come from a git remote, synced only when asked (POST /api/v1/sync).
  const source = args.remote
    ? { kind: 'git', url: args.remote, branch: 'main', path: '', intervalMs: 24 * 3_600_000, allowedSigners: null, allowRewrite: false }
    : { kind: 'directory', dir: args.policies };
  const config = {
    policies: args.remote ?? args.policies,
    source,
    listen: { host: '127.0.0.1', port: 0 },
    dataDir: args.data,
    audit: { remote: null, branch: 'main' },
    dryRun: args['dry-run'],
    webhookToken: args.token ?? null,
    adminToken: null,
    syncToken: args['sync-token'] ?? null,
    maxBodyBytes: MAX_BODY,
    concurrency: 4,
    shutdownTimeoutMs: 5_000,
    logLevel: 'info',
  };
  const log = pino({ level: config.logLevel, base: { service: 'homeostat' } }, pino.destination(args.log ?? '/dev/null'));
  const metrics = createMetrics();
  const openAudit = (dir, c) => AuditRepo.open({ dir, branch: c.audit.branch, remote: null, log });
  const engine = await Engine.start({ config, log, metrics, openAudit });
  if (!engine.status().ready) throw new Error(`engine not ready: ${engine.notReady().join('; ')}`);
  const app = buildServer({ engine, metrics, log, webhookToken: config.webhookToken, adminToken: config.adminToken, syncToken: config.syncToken, maxBodyBytes: config.maxBodyBytes });
  return { app, engine, metrics };
}

async function decisionsByVerdict(metrics) {
  if (!metrics) return null;
  const counted = await metrics.decisions.get();
  return Object.fromEntries(counted.values.map((v) => [v.labels.verdict, v.value]));
}

async function actionsEnded(metrics) {
  if (!metrics) return null;
  const counted = await metrics.actions.get();
  return counted.values.reduce((n, v) => n + v.value, 0);
}

async function main() {
  const { app, engine: eng, metrics } = args.mode === 'ceiling' ? await ceiling() : await engine();
  const startMs = elapsedMs();
  await app.listen({ host: '127.0.0.1', port: 0 });
  process.on('message', async (message) => {
    if (message.type === 'status') {
      process.send({ type: 'status', status: eng?.status() ?? null, decisions: await decisionsByVerdict(metrics), actionsEnded: await actionsEnded(metrics), rss: rss(), cpu: cpu() });
    } else if (message.type === 'stop') {
      const last = rss();
      if (process.env.WEBHOOK_BENCH_HEAP) {
        globalThis.gc?.();
        const { writeHeapSnapshot } = await import('node:v8');
        const file = writeHeapSnapshot(join(process.env.WEBHOOK_BENCH_HEAP, `engine-${process.pid}.heapsnapshot`));
        process.stderr.write(`heap after gc: ${Math.round(process.memoryUsage().heapUsed / 1048576)} MB; snapshot ${file}\n`);
      }
      process.send({ type: 'stopped', rss: last }, () => process.exit(0));
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ type: 'listening', port: app.server.address().port, startMs, ...rss(), cpu: cpu() });
}

main().catch((error) => {
  process.stderr.write(`webhook-server: ${error.stack ?? error}\n`);
  process.exit(1);
});
