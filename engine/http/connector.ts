/**
 * An undici connector that resolves the host itself, judges the addresses (guard.ts), and
 * connects to the address it judged. Node's `lookup` hook is not enough: net.connect skips it
 * for IP literals, and a second lookup after the check could answer differently (DNS rebinding).
 */
import { buildConnector } from 'undici';
import { resolveChecked } from './guard.js';
import type { Resolver } from './guard.js';

export function guardedConnector(allowHosts: readonly string[], resolve: Resolver, connectTimeoutMs: number): buildConnector.connector {
  const connect = buildConnector({ timeout: connectTimeoutMs });
  return (options, callback) => {
    resolveChecked(options.hostname, allowHosts, resolve).then(
      // `host` is left as it was, so TLS still checks the certificate against the name in the URL.
      ({ address }) => connect({ ...options, hostname: address }, callback),
      (error: Error) => callback(error, null),
    );
  };
}
