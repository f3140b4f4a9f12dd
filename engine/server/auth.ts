/**
 * Webhook and admin authentication: a bearer token, or basic auth whose password is the token
 * (Alertmanager's http_config offers both). Compared in constant time, on digests so that
 * the length of the token leaks nothing either.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** The secret a request presents, from `Authorization: Bearer T` or `Basic base64(user:T)`. */
export function presentedToken(header: string | undefined): string | null {
  if (!header) return null;
  const space = header.indexOf(' ');
  if (space < 0) return null;
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  if (scheme === 'bearer') return value;
  if (scheme !== 'basic') return null;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? null : decoded.slice(colon + 1);
}

export function tokenMatches(presented: string | null, expected: string): boolean {
  const given = digest(presented ?? '');
  const match = timingSafeEqual(given, digest(expected));
  return match && presented !== null;
}

/**
 * Whether a GitHub webhook's `X-Hub-Signature-256: sha256=<hex>` is the HMAC-SHA256 of the
 * raw body under the secret, compared in constant time.
 */
export function hubSignatureMatches(header: string | undefined, body: Buffer, secret: string): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
  const given = Buffer.from(header ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
