import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkExposure, ConfigError, isGitRemote, isLoopback, resolveServeConfig } from '../../../engine/config/serve-config.js';
import type { ServeSettings } from '../../../engine/config/serve-config.js';

const TOKEN = '0123456789abcdef0123';
const KNOWN =
  'policies, branch, path, sync-interval, verify-signatures, allow-rewrite, sync-token-file, listen, data-dir, audit-remote, audit-branch, dry-run, external-url, kubeconfig, kube-context, webhook-token-file, admin-token-file, viewer-token-file, request-timeout, max-body, concurrency, shutdown-timeout, log-level, prometheus-url, remediation-window';

let cwd: string;

beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'homeostat-config-'));
});

afterEach(() => {
  rmSync(cwd, { recursive: true, force: true });
});

function write(relative: string, text: string): string {
  const path = join(cwd, relative);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

function resolveWith(flags: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = {}): ServeSettings {
  return resolveServeConfig({ flags, env, cwd });
}

/** The ConfigError a resolution throws, as its one line. */
function failure(flags: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = {}): string {
  try {
    resolveWith(flags, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error('expected a ConfigError');
}

describe('resolveServeConfig: defaults', () => {
  it('gives the documented defaults, paths resolved against the working directory', () => {
    expect(resolveWith()).toEqual({
      policies: cwd,
      source: { kind: 'directory', dir: cwd },
      listen: { host: '127.0.0.1', port: 9595 },
      dataDir: join(cwd, '.homeostat'),
      audit: { remote: null, branch: 'main' },
      dryRun: false,
      externalUrl: null,
      kube: { kubeconfig: null, context: null },
      webhookToken: null,
      adminToken: null,
      syncToken: null,
      viewerToken: null,
      maxBodyBytes: 33_554_432,
      concurrency: 4,
      shutdownTimeoutMs: 30_000,
      logLevel: 'info',
      prometheusUrl: null,
      remediationWindowMs: 1_800_000,
      requestTimeoutMs: 30_000,
      tokenFiles: { webhook: null, admin: null, sync: null, viewer: null },
    });
  });

  it('treats an empty config file as no settings', () => {
    write('homeostat.yaml', '# nothing set yet\n');
    expect(resolveWith({ config: 'homeostat.yaml' })).toEqual(resolveWith());
  });

  it('ignores an environment variable set to the empty string', () => {
    expect(resolveWith({}, { HOMEOSTAT_LISTEN: '', HOMEOSTAT_CONCURRENCY: '' }).listen).toEqual({ host: '127.0.0.1', port: 9595 });
  });
});

describe('resolveServeConfig: precedence', () => {
  beforeEach(() => {
    write('homeostat.yaml', 'listen: 127.0.0.1:1001\nconcurrency: 7\nlog-level: warn\naudit-branch: from-file\n');
  });

  it('takes a flag over the environment over the config file over the default, key by key', () => {
    const config = resolveWith(
      { config: 'homeostat.yaml', listen: '127.0.0.1:3003' },
      { HOMEOSTAT_LISTEN: '127.0.0.1:2002', HOMEOSTAT_CONCURRENCY: '9' },
    );
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 3003 });
    expect(config.concurrency).toBe(9);
    expect(config.logLevel).toBe('warn');
    expect(config.audit.branch).toBe('from-file');
    expect(config.shutdownTimeoutMs).toBe(30_000);
  });

  it('takes the environment over the config file', () => {
    expect(resolveWith({ config: 'homeostat.yaml' }, { HOMEOSTAT_LISTEN: '127.0.0.1:2002' }).listen.port).toBe(2002);
  });

  it('takes the config file over the default', () => {
    expect(resolveWith({ config: 'homeostat.yaml' }).listen.port).toBe(1001);
  });

  it('finds the config file through HOMEOSTAT_CONFIG, and --config over it', () => {
    write('other.yaml', 'listen: 127.0.0.1:4004\n');
    expect(resolveWith({}, { HOMEOSTAT_CONFIG: 'homeostat.yaml' }).listen.port).toBe(1001);
    expect(resolveWith({ config: 'other.yaml' }, { HOMEOSTAT_CONFIG: 'homeostat.yaml' }).listen.port).toBe(4004);
  });

  it('reads every key from a flag, commander style (camelCase, strings)', () => {
    write('hook.token', `${TOKEN}\n`);
    write('admin.token', `${TOKEN}-admin`);
    write('sync.token', `${TOKEN}-sync`);
    write('viewer.token', `${TOKEN}-viewer`);
    write('allowed_signers', 'ops@example.com ssh-ed25519 AAAA\n');
    write('cluster.kubeconfig', 'apiVersion: v1\nkind: Config\n');
    const config = resolveWith({
      kubeconfig: 'cluster.kubeconfig',
      kubeContext: 'prod',
      policies: 'https://git.example.com/ops/policies.git',
      branch: 'release',
      path: 'remediation/',
      syncInterval: '30s',
      verifySignatures: 'allowed_signers',
      allowRewrite: true,
      syncTokenFile: 'sync.token',
      listen: '[::1]:8080',
      dataDir: 'state',
      auditRemote: 'git@example.com:ops/audit.git',
      auditBranch: 'audit',
      dryRun: true,
      externalUrl: 'https://homeostat.example/',
      webhookTokenFile: 'hook.token',
      adminTokenFile: 'admin.token',
      viewerTokenFile: 'viewer.token',
      maxBody: '1KiB',
      concurrency: '16',
      shutdownTimeout: '1m30s',
      requestTimeout: '10s',
      logLevel: 'debug',
      prometheusUrl: 'http://prometheus.monitoring:9090',
      remediationWindow: '2h',
    });
    expect(config).toEqual({
      policies: 'https://git.example.com/ops/policies.git',
      source: {
        kind: 'git', url: 'https://git.example.com/ops/policies.git', branch: 'release', path: 'remediation',
        intervalMs: 30_000, allowedSigners: join(cwd, 'allowed_signers'), allowRewrite: true,
      },
      listen: { host: '::1', port: 8080 },
      dataDir: join(cwd, 'state'),
      audit: { remote: 'git@example.com:ops/audit.git', branch: 'audit' },
      dryRun: true,
      externalUrl: 'https://homeostat.example',
      kube: { kubeconfig: join(cwd, 'cluster.kubeconfig'), context: 'prod' },
      webhookToken: TOKEN,
      adminToken: `${TOKEN}-admin`,
      syncToken: `${TOKEN}-sync`,
      viewerToken: `${TOKEN}-viewer`,
      maxBodyBytes: 1024,
      concurrency: 16,
      shutdownTimeoutMs: 90_000,
      logLevel: 'debug',
      prometheusUrl: 'http://prometheus.monitoring:9090',
      remediationWindowMs: 7_200_000,
      requestTimeoutMs: 10_000,
      tokenFiles: { webhook: join(cwd, 'hook.token'), admin: join(cwd, 'admin.token'), sync: join(cwd, 'sync.token'), viewer: join(cwd, 'viewer.token') },
    });
  });

  it('reads every key from the environment', () => {
    const config = resolveWith(
      {},
      {
        HOMEOSTAT_POLICIES: 'git@example.com:ops/policies.git',
        HOMEOSTAT_BRANCH: 'main',
        HOMEOSTAT_PATH: '.',
        HOMEOSTAT_SYNC_INTERVAL: '5m',
        HOMEOSTAT_ALLOW_REWRITE: 'no',
        HOMEOSTAT_SYNC_TOKEN: `${TOKEN}-sync`,
        HOMEOSTAT_LISTEN: '0.0.0.0:9000',
        HOMEOSTAT_DATA_DIR: '/var/lib/homeostat',
        HOMEOSTAT_AUDIT_REMOTE: 'https://git.example.com/audit.git',
        HOMEOSTAT_AUDIT_BRANCH: 'audit',
        HOMEOSTAT_DRY_RUN: 'true',
        HOMEOSTAT_EXTERNAL_URL: 'http://10.1.2.3:9595',
        HOMEOSTAT_KUBECONFIG: '/dev/null',
        HOMEOSTAT_KUBE_CONTEXT: 'staging',
        HOMEOSTAT_WEBHOOK_TOKEN: TOKEN,
        HOMEOSTAT_ADMIN_TOKEN: `${TOKEN}-admin`,
        HOMEOSTAT_VIEWER_TOKEN: `${TOKEN}-viewer`,
        HOMEOSTAT_MAX_BODY: '2GiB',
        HOMEOSTAT_CONCURRENCY: '2',
        HOMEOSTAT_SHUTDOWN_TIMEOUT: '2m',
        HOMEOSTAT_REQUEST_TIMEOUT: '500ms',
        HOMEOSTAT_LOG_LEVEL: 'error',
        HOMEOSTAT_PROMETHEUS_URL: 'http://127.0.0.1:9090',
        HOMEOSTAT_REMEDIATION_WINDOW: '10m',
      },
    );
    expect(config).toEqual({
      policies: 'git@example.com:ops/policies.git',
      source: { kind: 'git', url: 'git@example.com:ops/policies.git', branch: 'main', path: '', intervalMs: 300_000, allowedSigners: null, allowRewrite: false },
      listen: { host: '0.0.0.0', port: 9000 },
      dataDir: '/var/lib/homeostat',
      audit: { remote: 'https://git.example.com/audit.git', branch: 'audit' },
      dryRun: true,
      externalUrl: 'http://10.1.2.3:9595',
      kube: { kubeconfig: '/dev/null', context: 'staging' },
      webhookToken: TOKEN,
      adminToken: `${TOKEN}-admin`,
      syncToken: `${TOKEN}-sync`,
      viewerToken: `${TOKEN}-viewer`,
      maxBodyBytes: 2 * 1024 ** 3,
      concurrency: 2,
      shutdownTimeoutMs: 120_000,
      logLevel: 'error',
      prometheusUrl: 'http://127.0.0.1:9090',
      remediationWindowMs: 600_000,
      requestTimeoutMs: 500,
      tokenFiles: { webhook: null, admin: null, sync: null, viewer: null },
    });
  });
});

describe('resolveServeConfig: values', () => {
  it.each([
    ['32MiB', 33_554_432],
    ['1KiB', 1024],
    ['512B', 512],
    ['3GiB', 3 * 1024 ** 3],
    ['0B', 0],
  ])('parses max-body %s as %i bytes', (text, bytes) => {
    expect(resolveWith({ maxBody: text }).maxBodyBytes).toBe(bytes);
  });

  it.each([
    ['true', true],
    ['TRUE', true],
    ['1', true],
    ['yes', true],
    ['on', true],
    ['false', false],
    ['0', false],
    ['no', false],
    ['Off', false],
  ])('reads HOMEOSTAT_DRY_RUN=%s as %s', (text, dryRun) => {
    expect(resolveWith({}, { HOMEOSTAT_DRY_RUN: text }).dryRun).toBe(dryRun);
  });

  it('reads a bracketed IPv6 listen address and a host name', () => {
    expect(resolveWith({ listen: '[::]:9595' }).listen).toEqual({ host: '::', port: 9595 });
    expect(resolveWith({ listen: 'localhost:80' }).listen).toEqual({ host: 'localhost', port: 80 });
  });

  it('trims the token file (a trailing newline is not part of the token) and accepts 16 characters', () => {
    write('t', '  0123456789abcdef  \n');
    expect(resolveWith({ webhookTokenFile: 't' }).webhookToken).toBe('0123456789abcdef');
  });

  it('reads a token file given by an absolute path', () => {
    const path = write('secrets/hook.token', TOKEN);
    expect(resolveWith({ webhookTokenFile: path }).webhookToken).toBe(TOKEN);
  });
});

describe('resolveServeConfig: a config file', () => {
  it('resolves relative paths in the file against its folder, and those of flags and env against the working directory', () => {
    write('etc/homeostat.yaml', 'policies: ../repo\ndata-dir: state\n');
    expect(resolveWith({ config: 'etc/homeostat.yaml' })).toMatchObject({ policies: join(cwd, 'repo'), dataDir: join(cwd, 'etc', 'state') });
    expect(resolveWith({ config: 'etc/homeostat.yaml', policies: 'mine' }, { HOMEOSTAT_DATA_DIR: 'here' })).toMatchObject({
      policies: join(cwd, 'mine'),
      dataDir: join(cwd, 'here'),
    });
  });

  it('keeps absolute paths of the file as they are', () => {
    write('etc/homeostat.yaml', 'data-dir: /var/lib/homeostat\n');
    expect(resolveWith({ config: 'etc/homeostat.yaml' }).dataDir).toBe('/var/lib/homeostat');
  });

  it('accepts an absolute path to the file', () => {
    const path = write('etc/homeostat.yaml', 'data-dir: state\n');
    expect(resolveWith({ config: path }).dataDir).toBe(join(cwd, 'etc', 'state'));
  });

  it('resolves a token file named in the config file against the file\'s folder', () => {
    write('etc/homeostat.yaml', 'webhook-token-file: hook.token\n');
    write('etc/hook.token', TOKEN);
    expect(resolveWith({ config: 'etc/homeostat.yaml' }).webhookToken).toBe(TOKEN);
    expect(resolveWith({ config: 'etc/homeostat.yaml' }).tokenFiles.webhook).toBe(join(cwd, 'etc', 'hook.token'));
  });

  it('bounds the time a request may take to arrive from 100ms to 1h', () => {
    expect(resolveWith({ requestTimeout: '100ms' }).requestTimeoutMs).toBe(100);
    expect(resolveWith({ requestTimeout: '1h' }).requestTimeoutMs).toBe(3_600_000);
    const advice = 'give a time from 100ms to 1h for a request to arrive, headers and body';
    expect(failure({ requestTimeout: '99ms' })).toBe(`--request-timeout 99ms: ${advice}`);
    expect(failure({}, { HOMEOSTAT_REQUEST_TIMEOUT: '2h' })).toBe(`HOMEOSTAT_REQUEST_TIMEOUT 2h: ${advice}`);
  });
});

describe('resolveServeConfig: errors name where the value came from', () => {
  const LISTEN_PATTERN = '^(\\[[0-9a-fA-F:.]+\\]|[A-Za-z0-9.-]+):[0-9]{1,5}$';

  it('a bad listen from a flag, the environment or the file', () => {
    write('homeostat.yaml', 'listen: nowhere\n');
    const says = `listen "nowhere" does not match ${LISTEN_PATTERN} (change the value to the required form)`;
    expect(failure({ listen: 'nowhere' })).toBe(`--listen: ${says}`);
    expect(failure({}, { HOMEOSTAT_LISTEN: 'nowhere' })).toBe(`HOMEOSTAT_LISTEN: ${says}`);
    expect(failure({ config: 'homeostat.yaml' })).toBe(`homeostat.yaml: listen: ${says}`);
  });

  it('a port above 65535 given as a flag', () => {
    expect(failure({ listen: '0.0.0.0:65536' })).toBe('--listen 0.0.0.0:65536: port 65536 is above 65535');
  });

  it('a port above 65535 given in the environment names HOMEOSTAT_LISTEN', () => {
    expect(failure({}, { HOMEOSTAT_LISTEN: '0.0.0.0:99999' })).toMatch(/^HOMEOSTAT_LISTEN\b/);
  });

  it('an unknown key in the file, listing the known ones', () => {
    write('homeostat.yaml', 'listen: 127.0.0.1:9595\nlisten-port: 80\n');
    expect(failure({ config: 'homeostat.yaml' })).toBe(`homeostat.yaml: listen-port: unknown field 'listen-port' (known fields here: ${KNOWN})`);
  });

  it('a bad max-body', () => {
    expect(failure({ maxBody: '32MB' })).toBe('--max-body: max-body "32MB" does not match ^[0-9]+(B|KiB|MiB|GiB)$ (change the value to the required form)');
    expect(failure({}, { HOMEOSTAT_MAX_BODY: '-1B' })).toBe(
      'HOMEOSTAT_MAX_BODY: max-body "-1B" does not match ^[0-9]+(B|KiB|MiB|GiB)$ (change the value to the required form)',
    );
  });

  it('a concurrency of 0, or not a whole number', () => {
    write('homeostat.yaml', 'concurrency: 0\n');
    const range = 'concurrency must be >= 1 (see the schema for the allowed range)';
    expect(failure({ concurrency: '0' })).toBe(`--concurrency: ${range}`);
    expect(failure({}, { HOMEOSTAT_CONCURRENCY: '0' })).toBe(`HOMEOSTAT_CONCURRENCY: ${range}`);
    expect(failure({ config: 'homeostat.yaml' })).toBe(`homeostat.yaml: concurrency: ${range}`);
    expect(failure({ concurrency: '257' })).toBe('--concurrency: concurrency must be <= 256 (see the schema for the allowed range)');
    expect(failure({ concurrency: 'four' })).toBe('--concurrency: concurrency must be integer (change the value to the type the schema asks for)');
    expect(failure({}, { HOMEOSTAT_CONCURRENCY: '2.5' })).toBe(
      'HOMEOSTAT_CONCURRENCY: concurrency must be integer (change the value to the type the schema asks for)',
    );
  });

  it('a dry-run that is not a boolean', () => {
    write('homeostat.yaml', 'dry-run: "yes"\n');
    expect(failure({}, { HOMEOSTAT_DRY_RUN: 'maybe' })).toBe('HOMEOSTAT_DRY_RUN: dry-run must be boolean (change the value to the type the schema asks for)');
    expect(failure({ config: 'homeostat.yaml' })).toBe('homeostat.yaml: dry-run: dry-run must be boolean (change the value to the type the schema asks for)');
  });

  it('a remediation-window outside 1s to 24d, naming where it came from', () => {
    expect(failure({ remediationWindow: '500ms' })).toBe('--remediation-window 500ms: give a window from 1s to 24d in which an alert must resolve after a successful action to count as healed');
    expect(failure({}, { HOMEOSTAT_REMEDIATION_WINDOW: '25d' })).toBe('HOMEOSTAT_REMEDIATION_WINDOW 25d: give a window from 1s to 24d in which an alert must resolve after a successful action to count as healed');
  });

  it('a bad shutdown-timeout or log-level', () => {
    expect(failure({ shutdownTimeout: '30 seconds' })).toBe(
      '--shutdown-timeout: shutdown-timeout "30 seconds" is not a duration (write a duration such as 30s, 5m, 1h30m or 2d)',
    );
    expect(failure({}, { HOMEOSTAT_LOG_LEVEL: 'verbose' })).toBe(
      'HOMEOSTAT_LOG_LEVEL: log-level is "verbose", not one of "fatal", "error", "warn", "info", "debug", "trace" (use one of fatal, error, warn, info, debug, trace)',
    );
  });

  it('a token file that is missing', () => {
    const missing = join(cwd, 'missing.token');
    expect(failure({ webhookTokenFile: missing })).toBe(`--webhook-token-file ${missing}: cannot read the token file (ENOENT)`);
    expect(failure({ adminTokenFile: 'nope' })).toBe('--admin-token-file nope: cannot read the token file (ENOENT)');
  });

  it('a token file that is missing names the config file or variable that gave it', () => {
    const missing = join(cwd, 'missing.token');
    write('homeostat.yaml', `webhook-token-file: ${missing}\n`);
    expect(failure({ config: 'homeostat.yaml' })).toMatch(/^homeostat\.yaml: webhook-token-file\b/);
    expect(failure({}, { HOMEOSTAT_WEBHOOK_TOKEN_FILE: missing })).toMatch(/^HOMEOSTAT_WEBHOOK_TOKEN_FILE\b/);
  });

  it('a token shorter than 16 characters, from a file or the environment', () => {
    write('short.token', '0123456789abcde\n');
    const advice = 'the token is shorter than 16 characters; use a long random one (openssl rand -hex 32)';
    expect(failure({ webhookTokenFile: 'short.token' })).toBe(`--webhook-token-file short.token: ${advice}`);
    expect(failure({ adminTokenFile: 'short.token' })).toBe(`--admin-token-file short.token: ${advice}`);
    expect(failure({}, { HOMEOSTAT_WEBHOOK_TOKEN: 'short' })).toBe(`HOMEOSTAT_WEBHOOK_TOKEN: ${advice}`);
    expect(failure({}, { HOMEOSTAT_ADMIN_TOKEN: '0123456789abcde' })).toBe(`HOMEOSTAT_ADMIN_TOKEN: ${advice}`);
  });

  it('a token file that holds only blank space', () => {
    write('blank.token', '\n   \n');
    expect(failure({ webhookTokenFile: 'blank.token' })).toBe(
      '--webhook-token-file blank.token: the token is shorter than 16 characters; use a long random one (openssl rand -hex 32)',
    );
  });

  it('a config file that cannot be read', () => {
    expect(failure({ config: 'absent.yaml' })).toBe('absent.yaml: cannot read the config file (ENOENT)');
    expect(failure({}, { HOMEOSTAT_CONFIG: 'absent.yaml' })).toBe('absent.yaml: cannot read the config file (ENOENT)');
  });

  it('a config file with a YAML alias', () => {
    write('homeostat.yaml', 'policies: &p /srv/policies\ndata-dir: *p\n');
    expect(failure({ config: 'homeostat.yaml' })).toBe('homeostat.yaml: not valid YAML: Alias resolution is disabled');
  });

  it('a config file with a duplicate key, or that is not YAML', () => {
    write('dup.yaml', 'listen: 127.0.0.1:1\nlisten: 127.0.0.1:2\n');
    write('bad.yaml', 'listen: [127.0.0.1\n');
    expect(failure({ config: 'dup.yaml' })).toMatch(/^dup\.yaml: not valid YAML: Map keys must be unique/);
    expect(failure({ config: 'bad.yaml' })).toBe(
      'bad.yaml: not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ] at line 2, column 1:',
    );
  });

  it.each([
    ['a list', '- listen: 127.0.0.1:9595\n'],
    ['a string', 'listen 127.0.0.1:9595\n'],
    ['a number', '42\n'],
  ])('a config file that is %s, not a mapping', (_, text) => {
    write('homeostat.yaml', text);
    expect(failure({ config: 'homeostat.yaml' })).toBe("homeostat.yaml: expected a mapping of settings such as 'listen: 127.0.0.1:9595'");
  });

  it('a __proto__ key in the file is an unknown field', () => {
    write('homeostat.yaml', '__proto__: 5\n');
    expect(failure({ config: 'homeostat.yaml' })).toMatch(/^homeostat\.yaml: __proto__: unknown field '__proto__'/);
  });

  it('a value of the wrong type in the file', () => {
    write('homeostat.yaml', 'listen:\n');
    expect(failure({ config: 'homeostat.yaml' })).toBe('homeostat.yaml: listen: listen must be string (change the value to the type the schema asks for)');
  });

  it('a setting of git policy remotes given with a policy directory', () => {
    write('homeostat.yaml', 'branch: main\n');
    const says = 'applies to a git policy remote, and --policies . is a directory; give --policies a git URL or a bare repository';
    expect(failure({ branch: 'main' })).toBe(`--branch: ${says}`);
    expect(failure({ path: 'policies' })).toBe(`--path: ${says}`);
    expect(failure({ allowRewrite: true })).toBe(`--allow-rewrite: ${says}`);
    expect(failure({ config: 'homeostat.yaml' })).toBe(`homeostat.yaml: branch: ${says}`);
  });

  it('an allowed-signers file that does not exist, and a --path that leaves the repository', () => {
    expect(failure({ policies: 'ssh://git@example.com/policies.git', verifySignatures: 'nope' })).toBe('--verify-signatures nope: no such allowed-signers file');
    expect(failure({ policies: 'ssh://git@example.com/policies.git', path: 'a/../..' })).toBe('--path: a/../..: the folder must be inside the repository');
  });
});

describe('isGitRemote', () => {
  it('takes URLs, scp-like addresses and bare repositories as remotes, and any other folder as a directory', () => {
    mkdirSync(join(cwd, 'bare', 'objects'), { recursive: true });
    mkdirSync(join(cwd, 'bare', 'refs'), { recursive: true });
    write('bare/HEAD', 'ref: refs/heads/main\n');
    mkdirSync(join(cwd, 'checkout', '.git'), { recursive: true });
    mkdirSync(join(cwd, 'checkout', 'rules'), { recursive: true });
    for (const remote of ['https://git.example.com/p.git', 'ssh://git@example.com:2222/p.git', 'file:///srv/p.git', 'git@example.com:ops/p.git', 'bare', 'gone/policies.git']) {
      expect(isGitRemote(remote, cwd), remote).toBe(true);
    }
    for (const dir of ['checkout', '.', 'missing', '/srv/policies']) expect(isGitRemote(dir, cwd), dir).toBe(false);
    expect(resolveWith({ policies: 'bare' }).source).toMatchObject({ kind: 'git', url: join(cwd, 'bare'), branch: null, path: '', intervalMs: 60_000 });
  });
});

describe('checkExposure and isLoopback', () => {
  it('refuses to listen beyond loopback without a webhook token', () => {
    expect(checkExposure(resolveWith({ listen: '0.0.0.0:9595' }))).toBe(
      '--listen 0.0.0.0:9595: refusing to listen beyond loopback without a webhook token; set --webhook-token-file or HOMEOSTAT_WEBHOOK_TOKEN',
    );
    expect(checkExposure(resolveWith({ listen: '[::]:9595' }))).toBe(
      '--listen :::9595: refusing to listen beyond loopback without a webhook token; set --webhook-token-file or HOMEOSTAT_WEBHOOK_TOKEN',
    );
    expect(checkExposure(resolveWith({}, { HOMEOSTAT_LISTEN: '10.1.2.3:80' }))).not.toBeNull();
  });

  it('allows any address with a webhook token (an admin token is not enough)', () => {
    expect(checkExposure(resolveWith({ listen: '0.0.0.0:9595' }, { HOMEOSTAT_WEBHOOK_TOKEN: TOKEN }))).toBeNull();
    expect(checkExposure(resolveWith({ listen: '0.0.0.0:9595' }, { HOMEOSTAT_ADMIN_TOKEN: TOKEN }))).not.toBeNull();
  });

  it('allows loopback without a token', () => {
    for (const listen of ['127.0.0.1:9595', '127.8.9.10:9595', 'localhost:9595', '[::1]:9595']) {
      expect(checkExposure(resolveWith({ listen })), listen).toBeNull();
    }
  });

  it.each([
    ['127.0.0.1', true],
    ['127.255.255.254', true],
    ['localhost', true],
    ['::1', true],
    ['[::1]', true],
    ['0.0.0.0', false],
    ['::', false],
    ['10.0.0.1', false],
    ['128.0.0.1', false],
    ['1.127.0.0', false],
    ['example.com', false],
    ['', false],
  ])('isLoopback(%j) is %s', (host, loopback) => {
    expect(isLoopback(host)).toBe(loopback);
  });

  it('does not take a host name starting with "127." for loopback', () => {
    expect(isLoopback('127.example.com')).toBe(false);
    expect(checkExposure(resolveWith({ listen: '127.example.com:9595' }))).not.toBeNull();
  });
});
