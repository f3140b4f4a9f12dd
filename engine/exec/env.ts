/** The environment a child process gets: a short allowlist of the engine's own, never all of it. */

/**
 * Enough for ansible-playbook, ssh and git to find programs, a writable home, the locale
 * (ansible-core refuses to run without a UTF-8 one), the time zone and the ssh agent, and to
 * reach the network through a configured proxy with the configured CA certificates. Anything
 * else a program needs is passed explicitly; the engine's own secrets never leak this way.
 */
export const ENV_ALLOWLIST: readonly string[] = Object.freeze([
  'PATH', 'HOME', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TZ', 'USER', 'LOGNAME', 'TMPDIR', 'SSH_AUTH_SOCK',
  'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy',
  'SSL_CERT_FILE', 'SSL_CERT_DIR',
]);

export function childEnv(extra: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ENV_ALLOWLIST) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...extra };
}
