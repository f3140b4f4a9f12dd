/**
 * An engine for tests, in this process: a policy repository written to a temp dir, the real
 * journal, the real git audit repository (DIR/audit), the real executor, and the fastify
 * server driven through inject(). Nothing listens.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { AuditRepo } from '../../engine/audit/repo.js';
import { entryPath } from '../../engine/audit/entry.js';
import type { AuditEntry } from '../../engine/audit/entry.js';
import type { EngineConfig } from '../../engine/config/serve-config.js';
import { Engine } from '../../engine/runtime/engine.js';
import type { EngineDeps } from '../../engine/runtime/engine.js';
import { createMetrics } from '../../engine/runtime/metrics.js';
import { buildServer } from '../../engine/server/server.js';

export const TOKEN = 'test-webhook-token-0123456789';

export interface TestEngineOptions {
  /** Files of the policy repository, by relative path; scripts/* are made executable. */
  files: Record<string, string>;
  config?: Partial<EngineConfig>;
  /** Reuse a data directory (restart); a new one otherwise. */
  dataDir?: string;
  openAudit?: EngineDeps['openAudit'];
  /** The engine's clock (guards, entry ids); Date.now unless given. */
  clock?: () => number;
  /** The engine's logger; silent unless HOMEOSTAT_TEST_LOG names a level. */
  log?: Logger;
  /** How many actions the engine keeps in memory (EngineDeps.recentActions). */
  recentActions?: number;
}

export interface TestEngine {
  engine: Engine;
  app: ReturnType<typeof buildServer>;
  root: string;
  repoDir: string;
  dataDir: string;
  config: EngineConfig;
  post(body: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  /** `git -C DATA/audit …` output. */
  git(...args: string[]): string;
  /** The audit file of an entry at the audit head, parsed. */
  auditEntry(id: string): AuditEntry;
  close(): Promise<void>;
}

export function writeRepo(dir: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    const full = join(dir, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, text);
    if (path.startsWith('scripts/')) chmodSync(full, 0o755);
  }
}

export async function startTestEngine(options: TestEngineOptions): Promise<TestEngine> {
  const root = options.dataDir ? dirname(options.dataDir) : mkdtempSync(join(tmpdir(), 'homeostat-engine-'));
  const repoDir = join(root, 'repo');
  const dataDir = options.dataDir ?? join(root, 'data');
  writeRepo(repoDir, options.files);
  const config: EngineConfig = {
    policies: repoDir,
    source: { kind: 'directory', dir: repoDir },
    listen: { host: '127.0.0.1', port: 0 },
    dataDir,
    audit: { remote: null, branch: 'main' },
    dryRun: false,
    webhookToken: TOKEN,
    adminToken: null,
    syncToken: null,
    maxBodyBytes: 32 * 1024 * 1024,
    concurrency: 4,
    shutdownTimeoutMs: 5_000,
    logLevel: 'silent',
    remediationWindowMs: 30 * 60_000,
    ...options.config,
  };
  const log = options.log ?? pino({ level: process.env.HOMEOSTAT_TEST_LOG ?? 'silent' });
  const metrics = createMetrics({ defaults: false });
  const openAudit = options.openAudit ?? ((dir: string, c: EngineConfig) => AuditRepo.open({ dir, branch: c.audit.branch, remote: c.audit.remote ? { url: c.audit.remote, branch: c.audit.branch } : null }));
  const engine = await Engine.start({ config, log, metrics, openAudit, ...(options.clock ? { clock: options.clock } : {}), ...(options.recentActions ? { recentActions: options.recentActions } : {}) });
  const app = buildServer({ engine, metrics, log, webhookToken: config.webhookToken, adminToken: config.adminToken, maxBodyBytes: config.maxBodyBytes });
  const git = (...args: string[]) => execFileSync('git', ['-C', join(dataDir, 'audit'), ...args], { encoding: 'utf8' });
  return {
    engine,
    app,
    root,
    repoDir,
    dataDir,
    config,
    post: (body, headers = { authorization: `Bearer ${TOKEN}` }) =>
      app.inject({ method: 'POST', url: '/api/v1/alerts', headers: { 'content-type': 'application/json', ...headers }, payload: typeof body === 'string' ? body : JSON.stringify(body) }),
    git,
    auditEntry: (id) => JSON.parse(git('show', `main:${entryPath(id)}`)) as AuditEntry,
    close: async () => {
      await app.close();
      await engine.stop();
    },
  };
}

export function removeTestEngine(t: TestEngine): void {
  rmSync(t.root, { recursive: true, force: true });
}

/**
 * Closes the engine a test left, if any, and removes its temp root; resolves with undefined
 * for the variable that held it: `afterEach(async () => (t = await closeTestEngine(t)))`.
 */
export async function closeTestEngine(t: TestEngine | undefined): Promise<undefined> {
  if (!t) return undefined;
  await t.close();
  removeTestEngine(t);
  return undefined;
}

export { waitFor } from './wait.js';

/** A one-alert Alertmanager payload (version 4) with the given labels. */
export function payload(labels: Record<string, string>, overrides: { status?: 'firing' | 'resolved'; startsAt?: string; externalURL?: string } = {}): Record<string, unknown> {
  const status = overrides.status ?? 'firing';
  return {
    version: '4',
    groupKey: '{}:{alertname="' + (labels.alertname ?? '') + '"}',
    truncatedAlerts: 0,
    status,
    receiver: 'homeostat',
    groupLabels: { alertname: labels.alertname ?? '' },
    commonLabels: labels,
    commonAnnotations: {},
    externalURL: overrides.externalURL ?? 'http://alertmanager:9093',
    alerts: [
      {
        status,
        labels,
        annotations: {},
        startsAt: overrides.startsAt ?? '2026-11-21T09:00:00Z',
        endsAt: status === 'resolved' ? '2026-11-21T09:10:00Z' : '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus:9090/graph',
      },
    ],
  };
}
