/**
 * `homeostat serve`: resolve the configuration, start the engine (journal recovery, audit
 * repository, policies), then listen. SIGTERM or SIGINT stops intake, lets running actions
 * finish up to --shutdown-timeout, commits the audit and exits 0. SIGHUP reads the token files
 * again (they are also watched), and never stops the engine.
 */
import { pino } from 'pino';
import type { Logger } from 'pino';
import { AuditRepo } from '../../audit/repo.js';
import { checkExposure, ConfigError, isLoopback, resolveServeConfig } from '../../config/serve-config.js';
import type { EngineConfig, ServeSettings } from '../../config/serve-config.js';
import { Engine } from '../../runtime/engine.js';
import { displayUrl } from '../../runtime/git-source.js';
import { boundHeapGrowth } from '../../runtime/heap.js';
import { createMetrics } from '../../runtime/metrics.js';
import { buildServer } from '../../server/server.js';
import { watchTokens } from '../../server/tokens.js';
import type { ServerTokens } from '../../server/tokens.js';
import { EXIT, UserError } from '../errors.js';
import type { Io } from '../io.js';

export interface ServeHooks {
  /** Resolves when the process is asked to stop (SIGTERM/SIGINT by default). */
  stopSignal?: Promise<string>;
  /** Told the address once listening (tests). */
  listening?(address: string): void;
  env?: NodeJS.ProcessEnv;
}

export async function serveCommand(flags: Record<string, unknown>, io: Io, hooks: ServeHooks = {}): Promise<number> {
  // SIGHUP's default is to end the process: from the first moment, it only reloads the tokens.
  const held: { tokens: ServerTokens | null } = { tokens: null };
  const onHangUp = () => held.tokens?.reload('SIGHUP');
  process.on('SIGHUP', onHangUp);
  try {
    return await serve(flags, io, hooks, (tokens) => (held.tokens = tokens));
  } finally {
    held.tokens?.close();
    process.off('SIGHUP', onHangUp);
  }
}

async function serve(flags: Record<string, unknown>, io: Io, hooks: ServeHooks, useTokens: (tokens: ServerTokens) => void): Promise<number> {
  let config: ServeSettings;
  try {
    config = resolveServeConfig({ flags, env: hooks.env ?? process.env, cwd: io.cwd });
  } catch (error) {
    if (error instanceof ConfigError) throw new UserError(`serve: ${error.message}`);
    throw error;
  }
  const exposure = checkExposure(config);
  if (exposure) throw new UserError(`serve: ${exposure}`);

  boundHeapGrowth();
  const log = pino({ level: config.logLevel, base: { service: 'homeostat' } });
  const tokens = watchTokens({ webhook: config.webhookToken, admin: config.adminToken, sync: config.syncToken, viewer: config.viewerToken ?? null }, config.tokenFiles, log);
  useTokens(tokens);
  const metrics = createMetrics();
  const engine = await Engine.start({ config, log, metrics, secrets: () => tokens.secrets(), openAudit: (dir, c) => openAudit(dir, c, log) }).catch((error: Error) => {
    throw new UserError(`serve: cannot start: ${error.message}`);
  });
  // Only now: a start refused (the data directory in use, a check failed) prints its one error line alone.
  logStartWarnings(config, log);
  const app = buildServer({
    engine,
    metrics,
    log,
    webhookToken: tokens.webhook,
    adminToken: tokens.admin,
    syncToken: tokens.sync,
    viewerToken: tokens.viewer,
    externalUrl: config.externalUrl ?? null,
    maxBodyBytes: config.maxBodyBytes,
    requestTimeoutMs: config.requestTimeoutMs,
  });
  try {
    const address = await app.listen({ host: config.listen.host, port: config.listen.port });
    log.info({ address, policies: displayUrl(config.policies), dataDir: config.dataDir, dryRun: config.dryRun, loopbackOnly: isLoopback(config.listen.host) }, 'listening');
    hooks.listening?.(address);
  } catch (error) {
    await engine.stop();
    throw new UserError(`serve: cannot listen on ${config.listen.host}:${config.listen.port}: ${(error as Error).message}`);
  }

  const signal = await (hooks.stopSignal ?? untilSignal());
  log.info({ signal }, 'stop requested');
  await app.close(); // no new requests; answers in flight are sent
  await engine.stop();
  return EXIT.ok;
}

function logStartWarnings(config: ServeSettings, log: Logger): void {
  if (!config.webhookToken) log.warn({ listen: config.listen }, 'no webhook token: the webhook takes unauthenticated posts, so the engine listens on loopback only');
  if (config.dryRun) log.info('dry-run: every action runs in dry-run (ansible --check --diff; Kubernetes dryRun=All; scripts and notifications not run)');
}

function openAudit(dir: string, config: EngineConfig, log: Logger) {
  return AuditRepo.open({ dir, branch: config.audit.branch, remote: config.audit.remote ? { url: config.audit.remote, branch: config.audit.branch } : null, log });
}

function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (signal: string) => {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
      resolve(signal);
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
}
