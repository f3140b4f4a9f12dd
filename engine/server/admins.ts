/**
 * The admin tokens, each with a name: the single admin token (--admin-token-file or
 * HOMEOSTAT_ADMIN_TOKEN, named `admin` unless --admin-token-name says otherwise) and those of
 * the config file's `admin-tokens`. Any of them opens the admin routes; the name of the one a
 * request presents is who approved, denied, paused or resumed, in the audit. With no admin
 * token at all the read-only admin routes are open (loopback), and the routes that answer for
 * a person refuse (403): nobody could be named.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { presentedToken, tokenMatches } from './auth.js';
import { currentToken } from './tokens.js';
import type { Token } from './tokens.js';

export interface NamedToken {
  name: string;
  token: Token;
}

export interface AdminAuth {
  /** onRequest hook: 401 unless a configured admin token is presented (open when none is configured). */
  check(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  /** The name of the admin token the request presents; null when none matches or none is configured. */
  nameOf(request: FastifyRequest): string | null;
  /** Whether any admin token is configured (and readable) now. */
  configured(): boolean;
}

export function adminAuth(tokens: readonly NamedToken[]): AdminAuth {
  const live = () => tokens.map((t) => ({ name: t.name, value: currentToken(t.token) })).filter((t): t is { name: string; value: string } => t.value !== null);
  const nameOf = (request: FastifyRequest): string | null => {
    const presented = presentedToken(request.headers.authorization);
    // Every token is compared (in constant time each), so the time taken says nothing of which matched.
    let found: string | null = null;
    for (const t of live()) if (tokenMatches(presented, t.value) && found === null) found = t.name;
    return found;
  };
  return {
    nameOf,
    configured: () => live().length > 0,
    check: async (request, reply) => {
      if (live().length === 0 || nameOf(request) !== null) return;
      request.log.warn({ ip: request.ip, url: request.url }, 'request refused: missing or wrong token');
      await reply.code(401).header('www-authenticate', 'Bearer realm="admin"').send({ error: 'unauthorized: give an admin token as Authorization: Bearer TOKEN (or basic auth with the token as password)' });
    },
  };
}
