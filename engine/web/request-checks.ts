/**
 * What the page asks of every answer and of every state-changing request. Answers carry a
 * strict Content-Security-Policy (scripts, styles and requests to the engine only: nothing
 * inline, no eval, no frame), and are never cached. A state-changing request must come from
 * the engine's own page: Sec-Fetch-Site same-origin, and an Origin (when sent) equal to the
 * engine's own (the Host it was asked under, or --external-url); the session's CSRF token is
 * checked on top of that by the route.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

export function securityHeaders(reply: FastifyReply): void {
  void reply
    .header('content-security-policy', CONTENT_SECURITY_POLICY)
    .header('x-content-type-options', 'nosniff')
    .header('x-frame-options', 'DENY')
    // same-origin, not no-referrer: with no-referrer a browser sends 'Origin: null' on the page's own form posts.
    .header('referrer-policy', 'same-origin')
    .header('cross-origin-opener-policy', 'same-origin')
    .header('cross-origin-resource-policy', 'same-origin');
}

/** Why a request is not one from the engine's own page, or null when it is. */
export function crossSiteReason(request: FastifyRequest, externalUrl: string | null): string | null {
  const site = request.headers['sec-fetch-site'];
  const origin = request.headers.origin;
  if (site === undefined && origin === undefined) return 'neither Origin nor Sec-Fetch-Site sent: only a browser on the page itself may change anything';
  if (site !== undefined && site !== 'same-origin') return `Sec-Fetch-Site is ${String(site)}, not same-origin`;
  if (origin !== undefined) {
    const own = new Set([`${request.protocol}://${request.headers.host ?? ''}`]);
    if (externalUrl) own.add(new URL(externalUrl).origin);
    if (!own.has(origin)) return 'Origin is another site';
  }
  return null;
}
