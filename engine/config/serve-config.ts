/**
 * `homeostat serve` configuration from flags, environment (HOMEOSTAT_*) and an optional YAML
 * file, in that order of precedence, validated once at start-up against
 * schemas/serve-config.schema.json. A problem is one line naming where the value came from.
 * Owns no I/O beyond reading the config and token files.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { parse } from 'yaml';
import type { ServeConfig } from '../generated/schema-types.js';
import { validate } from '../schema/validator.js';
import { parseDuration } from '../util/duration.js';

export const SERVE_KEYS = [
  'policies', 'branch', 'path', 'sync-interval', 'verify-signatures', 'allow-rewrite', 'sync-token-file',
  'listen', 'data-dir', 'audit-remote', 'audit-branch', 'dry-run', 'external-url', 'kubeconfig', 'kube-context',
  'webhook-token-file', 'admin-token-file', 'viewer-token-file', 'request-timeout', 'max-body', 'concurrency', 'shutdown-timeout', 'log-level',
  'prometheus-url',
  'remediation-window',
] as const satisfies readonly (keyof ServeConfig)[];

export const SERVE_DEFAULTS = {
  policies: '.',
  'sync-interval': '1m',
  'allow-rewrite': false,
  listen: '127.0.0.1:9595',
  'data-dir': './.homeostat',
  'audit-branch': 'main',
  'dry-run': false,
  'request-timeout': '30s',
  'max-body': '32MiB',
  concurrency: 4,
  'shutdown-timeout': '30s',
  'log-level': 'info',
  'remediation-window': '30m',
} as const;

/** Where the policies come from: a directory on disk, or a git remote the engine syncs. */
export type PolicySourceConfig =
  | { kind: 'directory'; dir: string }
  | { kind: 'git'; url: string; branch: string | null; path: string; intervalMs: number; allowedSigners: string | null; allowRewrite: boolean };

export interface EngineConfig {
  /** The directory or the remote, as given (a directory resolved to an absolute path). */
  policies: string;
  source: PolicySourceConfig;
  listen: { host: string; port: number };
  dataDir: string;
  audit: { remote: string | null; branch: string };
  dryRun: boolean;
  /** The engine's own address as others reach it, for links in notifications; null: no links. */
  externalUrl?: string | null;
  /** The cluster of the kubernetes actions: a kubeconfig file (absolute) and context, or null for the defaults. */
  kube?: { kubeconfig: string | null; context: string | null };
  webhookToken: string | null;
  adminToken: string | null;
  /** The web page's read-only token (GET / shows, never changes); null: only the admin token logs in. */
  viewerToken?: string | null;
  /** The push webhook's secret (X-Hub-Signature-256), also a bearer token for POST /api/v1/sync. */
  syncToken: string | null;
  maxBodyBytes: number;
  concurrency: number;
  shutdownTimeoutMs: number;
  logLevel: string;
  /** Where enrichment queries go, over homeostat.yaml's prometheus.url; null or absent: that url. */
  prometheusUrl?: string | null;
  /** How long after a successful action its alert may resolve to count as healed (recovery metrics). */
  remediationWindowMs: number;
}

/** The token files in use, absolute paths; null where the token came from the environment or is not set. */
export interface TokenFiles {
  webhook: string | null;
  admin: string | null;
  sync: string | null;
  viewer: string | null;
}

/** What `serve` needs beyond the engine: how the HTTP server guards itself. */
export interface ServeSettings extends EngineConfig {
  /** How long a request may take to arrive, headers and body. */
  requestTimeoutMs: number;
  /** Where the tokens are read again from when they change (rotation). */
  tokenFiles: TokenFiles;
}

export class ConfigError extends Error {}

/** Node's timers hold at most 2^31-1 ms (24.8 days); a longer delay would fire at once. */
const MIN_SYNC_INTERVAL_MS = 1_000;
const MAX_SYNC_INTERVAL_MS = 24 * 86_400_000;
/** Below 100ms a webhook from another host could not arrive; past an hour the bound means little. */
const MIN_REQUEST_TIMEOUT_MS = 100;
const MAX_REQUEST_TIMEOUT_MS = 3_600_000;
/** A window is swept on a timer: at most what Node's timers hold. */
const MIN_REMEDIATION_WINDOW_MS = 1_000;
const MAX_REMEDIATION_WINDOW_MS = 24 * 86_400_000;

export interface ConfigSources {
  /** Flags as commander parsed them (camelCase), only those given. */
  flags: Record<string, unknown>;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

const UNITS = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 } as const;

export function resolveServeConfig({ flags, env, cwd }: ConfigSources): ServeSettings {
  const configFile = typeof flags.config === 'string' ? flags.config : env.HOMEOSTAT_CONFIG;
  const merged: Record<string, unknown> = Object.assign(Object.create(null) as Record<string, unknown>, SERVE_DEFAULTS);
  const origin: Record<string, string> = Object.create(null) as Record<string, string>;
  if (configFile) {
    const fromFile = readConfigFile(resolve(cwd, configFile), configFile);
    for (const [key, value] of Object.entries(fromFile)) {
      merged[key] = value;
      origin[key] = `${configFile}: ${key}`;
    }
  }
  for (const key of SERVE_KEYS) {
    const name = envName(key);
    const text = env[name];
    if (text === undefined || text === '') continue;
    merged[key] = fromEnv(key, text);
    origin[key] = `${name}`;
  }
  for (const key of SERVE_KEYS) {
    const value = flags[camel(key)];
    if (value === undefined) continue;
    merged[key] = key === 'concurrency' && typeof value === 'string' ? Number(value) : value;
    origin[key] = `--${key}`;
  }
  const problems = validate('ServeConfig', merged);
  if (problems.length) {
    const p = problems[0]!;
    const key = p.pointer.split('/')[1] ?? '';
    const where = origin[key] ?? (key ? `--${key}` : configFile ?? 'configuration');
    throw new ConfigError(`${where}: ${p.message}${p.hint ? ` (${p.hint})` : ''}`);
  }
  const c = merged as unknown as ServeConfig & { policies: string; listen: string; 'data-dir': string; 'audit-branch': string; 'dry-run': boolean; 'max-body': string; concurrency: number; 'shutdown-timeout': string; 'request-timeout': string; 'log-level': string; 'remediation-window': string; 'sync-interval': string; 'allow-rewrite': boolean };
  const base = configFile ? resolve(cwd, configFile, '..') : cwd;
  const against = (key: string) => (origin[key]?.startsWith(configFile ?? '\0') ? base : cwd);
  let source: PolicySourceConfig;
  if (isGitRemote(c.policies, against('policies'))) {
    const localRepo = !URL_LIKE.test(c.policies) && !SCP_LIKE.test(c.policies);
    source = {
      kind: 'git',
      url: localRepo ? resolve(against('policies'), c.policies) : c.policies,
      branch: c.branch ?? null,
      path: (c.path ?? '').replace(/^\.?\/+|\/+$/g, '').replace(/^\.$/, ''),
      intervalMs: parseDuration(c['sync-interval'])!,
      allowedSigners: c['verify-signatures'] === undefined ? null : resolve(against('verify-signatures'), c['verify-signatures']),
      allowRewrite: c['allow-rewrite'],
    };
    if (source.path.split('/').includes('..')) throw new ConfigError(`${origin.path}: ${c.path}: the folder must be inside the repository`);
    if (source.intervalMs < MIN_SYNC_INTERVAL_MS || source.intervalMs > MAX_SYNC_INTERVAL_MS) {
      throw new ConfigError(`${origin['sync-interval']} ${c['sync-interval']}: give an interval from 1s to 24d (POST /api/v1/sync syncs at once whatever the interval)`);
    }
    if (source.allowedSigners && !existsSync(source.allowedSigners)) throw new ConfigError(`${origin['verify-signatures']} ${c['verify-signatures']}: no such allowed-signers file`);
  } else {
    const gitOnly = (['branch', 'path', 'verify-signatures'] as const).find((key) => c[key] !== undefined) ?? (c['allow-rewrite'] && origin['allow-rewrite'] ? 'allow-rewrite' : undefined);
    if (gitOnly) throw new ConfigError(`${origin[gitOnly]}: applies to a git policy remote, and --policies ${c.policies} is a directory; give --policies a git URL or a bare repository`);
    source = { kind: 'directory', dir: resolve(against('policies'), c.policies) };
  }
  const requestTimeoutMs = parseDuration(c['request-timeout'])!;
  if (requestTimeoutMs < MIN_REQUEST_TIMEOUT_MS || requestTimeoutMs > MAX_REQUEST_TIMEOUT_MS) {
    throw new ConfigError(`${origin['request-timeout']} ${c['request-timeout']}: give a time from 100ms to 1h for a request to arrive, headers and body`);
  }
  if (c.kubeconfig !== undefined && !existsSync(resolve(against('kubeconfig'), c.kubeconfig))) {
    throw new ConfigError(`${origin.kubeconfig} ${c.kubeconfig}: no such kubeconfig file`);
  }
  const remediationWindowMs = parseDuration(c['remediation-window'])!;
  if (remediationWindowMs < MIN_REMEDIATION_WINDOW_MS || remediationWindowMs > MAX_REMEDIATION_WINDOW_MS) {
    throw new ConfigError(`${origin['remediation-window']} ${c['remediation-window']}: give a window from 1s to 24d in which an alert must resolve after a successful action to count as healed`);
  }
  const tokenSources = { flags, env, origin, configBase: base, cwd };
  const webhook = token('webhook', { ...tokenSources, file: c['webhook-token-file'] });
  const admin = token('admin', { ...tokenSources, file: c['admin-token-file'] });
  const sync = token('sync', { ...tokenSources, file: c['sync-token-file'] });
  const viewer = token('viewer', { ...tokenSources, file: c['viewer-token-file'] });
  return {
    policies: source.kind === 'git' ? source.url : source.dir,
    source,
    listen: parseListen(c.listen, origin.listen ?? '--listen'),
    dataDir: resolve(origin['data-dir']?.startsWith(configFile ?? '\0') ? base : cwd, c['data-dir']),
    audit: { remote: c['audit-remote'] ?? null, branch: c['audit-branch'] },
    dryRun: c['dry-run'],
    externalUrl: c['external-url']?.replace(/\/+$/, '') ?? null,
    kube: { kubeconfig: c.kubeconfig === undefined ? null : resolve(against('kubeconfig'), c.kubeconfig), context: c['kube-context'] ?? null },
    webhookToken: webhook.value,
    adminToken: admin.value,
    syncToken: sync.value,
    viewerToken: viewer.value,
    maxBodyBytes: parseSize(c['max-body']),
    concurrency: c.concurrency,
    shutdownTimeoutMs: parseDuration(c['shutdown-timeout'])!,
    logLevel: c['log-level'],
    prometheusUrl: c['prometheus-url'] ?? null,
    remediationWindowMs,
    requestTimeoutMs,
    tokenFiles: { webhook: webhook.file, admin: admin.file, sync: sync.file, viewer: viewer.file },
  };
}

/** git's own rule: a colon before the first slash makes host:path (user@ optional). */
const SCP_LIKE = /^[^/:]+:/;
const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * Whether --policies names a git remote rather than a directory: a URL (ssh://, https://,
 * file://, git://), the scp-like user@host:path, a path ending in .git (so that a bare
 * repository that has gone away is still a remote that does not answer, not a missing
 * directory), or the path of a bare repository on disk. A directory with a working tree (even
 * a git checkout) is read as it is on disk.
 */
export function isGitRemote(text: string, cwd: string): boolean {
  if (URL_LIKE.test(text) || SCP_LIKE.test(text)) return true;
  const dir = resolve(cwd, text);
  if (existsSync(join(dir, 'rules'))) return false; // a policy directory, whatever its name
  if (/\.git\/?$/.test(text)) return true;
  return existsSync(join(dir, 'HEAD')) && existsSync(join(dir, 'objects')) && existsSync(join(dir, 'refs'));
}

/** Without a webhook token the engine must stay on loopback: anyone could post alerts. */
export function checkExposure(config: EngineConfig): string | null {
  if (config.webhookToken) return null;
  if (isLoopback(config.listen.host)) return null;
  return `--listen ${config.listen.host}:${config.listen.port}: refusing to listen beyond loopback without a webhook token; set --webhook-token-file or HOMEOSTAT_WEBHOOK_TOKEN`;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}

function readConfigFile(path: string, shown: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`${shown}: cannot read the config file (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let value: unknown;
  try {
    value = parse(text, { maxAliasCount: 0, uniqueKeys: true });
  } catch (error) {
    throw new ConfigError(`${shown}: not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new ConfigError(`${shown}: expected a mapping of settings such as 'listen: 127.0.0.1:9595'`);
  return value as Record<string, unknown>;
}

function fromEnv(key: string, text: string): unknown {
  if (key === 'dry-run' || key === 'allow-rewrite') return /^(1|true|yes|on)$/i.test(text) ? true : /^(0|false|no|off)$/i.test(text) ? false : text;
  if (key === 'concurrency') return /^\d+$/.test(text) ? Number(text) : text;
  return text;
}

interface TokenSources {
  flags: Record<string, unknown>;
  env: NodeJS.ProcessEnv;
  origin: Record<string, string>;
  configBase: string;
  cwd: string;
  file: string | undefined;
}

/**
 * A token from --X-token-file, else HOMEOSTAT_X_TOKEN, else HOMEOSTAT_X_TOKEN_FILE, else the
 * config file's X-token-file (resolved against the config file's folder): flag, then
 * environment, then file, as for every other setting. `file` is the absolute path of the
 * token file when the token came from one, so that `serve` can read it again when it changes.
 */
function token(what: 'webhook' | 'admin' | 'sync' | 'viewer', s: TokenSources): { value: string | null; file: string | null } {
  const key = `${what}-token-file`;
  const envToken = s.env[`HOMEOSTAT_${what.toUpperCase()}_TOKEN`];
  const source = s.origin[key];
  if (source === `--${key}` || source?.startsWith('HOMEOSTAT_') || ((envToken === undefined || envToken === '') && s.file)) {
    const fromConfigFile = source !== undefined && !source.startsWith('--') && !source.startsWith('HOMEOSTAT_');
    const path = isAbsolute(s.file!) ? s.file! : resolve(fromConfigFile ? s.configBase : s.cwd, s.file!);
    return { value: readTokenFile(path, `${source ?? `--${key}`} ${s.file}`), file: path };
  }
  if (envToken !== undefined && envToken !== '') {
    if (envToken.length < MIN_TOKEN_LENGTH) throw new ConfigError(`HOMEOSTAT_${what.toUpperCase()}_TOKEN: ${TOO_SHORT}`);
    return { value: envToken, file: null };
  }
  return { value: null, file: null };
}

const MIN_TOKEN_LENGTH = 16;
const TOO_SHORT = `the token is shorter than ${MIN_TOKEN_LENGTH} characters; use a long random one (openssl rand -hex 32)`;

/**
 * The token a token file holds (surrounding white space removed), by the rules of start-up:
 * readable, at least 16 characters. Also how `serve` reads a rotated file again; `where` names
 * the setting in the error, which never holds the token.
 */
export function readTokenFile(path: string, where: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (error) {
    throw new ConfigError(`${where}: cannot read the token file (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (text.length < MIN_TOKEN_LENGTH) throw new ConfigError(`${where}: ${TOO_SHORT}`);
  return text;
}

function parseListen(text: string, where: string): { host: string; port: number } {
  const at = text.lastIndexOf(':');
  const host = text.slice(0, at).replace(/^\[(.*)\]$/, '$1');
  const port = Number(text.slice(at + 1));
  if (port > 65535) throw new ConfigError(`${where} ${text}: port ${port} is above 65535`);
  return { host, port };
}

function parseSize(text: string): number {
  const m = /^(\d+)(B|KiB|MiB|GiB)$/.exec(text)!;
  return Number(m[1]) * UNITS[m[2] as keyof typeof UNITS];
}

function envName(key: string): string {
  return `HOMEOSTAT_${key.toUpperCase().replace(/-/g, '_')}`;
}

function camel(key: string): string {
  return key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
