/**
 * Sessions on requests: the signed session cookie set at login and read on every request,
 * the login cookie that pairs the form with the browser that got it, and the rule that the
 * page answers only those logged in.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { currentToken } from '../server/tokens.js';
import type { Token } from '../server/tokens.js';
import { tokenMatches } from '../server/auth.js';
import { ROLES, SESSION_TTL_MS, Sessions } from './sessions.js';
import type { Role, Session } from './sessions.js';

export const SESSION_COOKIE = 'homeostat_session';
export const LOGIN_COOKIE = 'homeostat_login';
const LOGIN_TTL_S = 3_600;

/** An admin token and the name an admin's answers are given in (the audit's `by`). */
export interface NamedToken {
  name: string;
  token: Token;
}

export interface WebAuth {
  sessions: Sessions;
  admins: readonly NamedToken[];
  viewerToken: Token;
  externalUrl: string | null;
}

export const VIEWER_NAME = 'viewer';

/** The value now in force of the token a session was opened with; null when it is gone. */
export function tokenOf(auth: WebAuth, role: Role, name: string): string | null {
  if (role === ROLES.viewer) return currentToken(auth.viewerToken);
  const admin = auth.admins.find((a) => a.name === name);
  return admin ? currentToken(admin.token) : null;
}

/** Whether any token can log in now. */
export function anyToken(auth: WebAuth): boolean {
  return currentToken(auth.viewerToken) !== null || auth.admins.some((a) => currentToken(a.token) !== null);
}

/**
 * The session a presented token opens: an admin token's (by its name) or the viewer's. Every
 * configured token is compared, each in constant time, so the time taken says nothing of which
 * one matched.
 */
export function whoPresents(auth: WebAuth, presented: string): { role: Role; name: string; token: string } | null {
  let found: { role: Role; name: string; token: string } | null = null;
  for (const admin of auth.admins) {
    const value = currentToken(admin.token);
    if (value !== null && tokenMatches(presented, value) && found === null) found = { role: ROLES.admin, name: admin.name, token: value };
  }
  const viewer = currentToken(auth.viewerToken);
  if (viewer !== null && tokenMatches(presented, viewer) && found === null) found = { role: ROLES.viewer, name: VIEWER_NAME, token: viewer };
  return found;
}

/** The request's session, or null (none, expired, ended, or its token rotated). */
export function sessionOf(auth: WebAuth, request: FastifyRequest): Session | null {
  const raw = request.cookies[SESSION_COOKIE];
  if (!raw) return null;
  const unsigned = request.unsignCookie(raw);
  if (!unsigned.valid || unsigned.value === null) return null;
  return auth.sessions.find(unsigned.value, (session) => tokenOf(auth, session.role, session.name));
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
