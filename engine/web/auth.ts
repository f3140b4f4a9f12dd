/**
 * Sessions on requests: the signed session cookie set at login and read on every request,
 * the login cookie that pairs the form with the browser that got it, and the rule that the
 * page answers only those logged in.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { currentToken } from '../server/tokens.js';
import type { Token } from '../server/tokens.js';
import { SESSION_TTL_MS, Sessions } from './sessions.js';
import type { Role, Session } from './sessions.js';

export const SESSION_COOKIE = 'homeostat_session';
export const LOGIN_COOKIE = 'homeostat_login';
const LOGIN_TTL_S = 3_600;

export interface WebAuth {
  sessions: Sessions;
  adminToken: Token;
  viewerToken: Token;
  externalUrl: string | null;
}

export function tokenOf(auth: WebAuth, role: Role): string | null {
  return currentToken(role === 'admin' ? auth.adminToken : auth.viewerToken);
}

/** The request's session, or null (none, expired, ended, or its token rotated). */
export function sessionOf(auth: WebAuth, request: FastifyRequest): Session | null {
  const raw = request.cookies[SESSION_COOKIE];
  if (!raw) return null;
  const unsigned = request.unsignCookie(raw);
  if (!unsigned.valid || unsigned.value === null) return null;
  return auth.sessions.find(unsigned.value, (role) => tokenOf(auth, role));
}

function cookieOptions(auth: WebAuth, request: FastifyRequest, maxAge: number) {
  // Secure where the browser reaches the engine over https (directly or through --external-url);
  // a plain-http loopback engine would otherwise never get its cookie back.
  const secure = request.protocol === 'https' || (auth.externalUrl?.startsWith('https:') ?? false);
  return { path: '/', httpOnly: true, sameSite: 'strict' as const, secure, signed: true, maxAge };
}

export function startSession(auth: WebAuth, request: FastifyRequest, reply: FastifyReply, session: Session): void {
  void reply.setCookie(SESSION_COOKIE, session.id, cookieOptions(auth, request, Math.floor(SESSION_TTL_MS / 1000)));
  void reply.clearCookie(LOGIN_COOKIE, { path: '/' });
}

export function endSession(auth: WebAuth, reply: FastifyReply, session: Session | null): void {
  if (session) auth.sessions.end(session.id);
  void reply.clearCookie(SESSION_COOKIE, { path: '/' });
}

/** A fresh login nonce, set as a signed cookie; the form repeats it. */
export function loginNonce(auth: WebAuth, request: FastifyRequest, reply: FastifyReply): string {
  const nonce = randomBytes(24).toString('base64url');
  void reply.setCookie(LOGIN_COOKIE, nonce, cookieOptions(auth, request, LOGIN_TTL_S));
  return nonce;
}

/** Whether the form's nonce is the one its login cookie holds. */
export function loginNonceMatches(request: FastifyRequest, presented: unknown): boolean {
  const raw = request.cookies[LOGIN_COOKIE];
  if (!raw || typeof presented !== 'string') return false;
  const unsigned = request.unsignCookie(raw);
  return unsigned.valid && unsigned.value === presented;
}
