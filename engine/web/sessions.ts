/**
 * The page's sessions: a login with the admin or viewer token makes one, kept in this
 * process only (a restart, or another replica, asks for a login again) and named to the
 * browser by a random id in a signed, HttpOnly, SameSite=Strict cookie. A session lasts
 * SESSION_TTL_MS from its login, ends at logout, and ends as soon as the token it was opened
 * with is no longer in force (a rotated or revoked token file closes its sessions too).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const ROLES = { admin: 'admin', viewer: 'viewer' } as const;
export type Role = (typeof ROLES)[keyof typeof ROLES];

/** A night shift, so that nobody logs in again at 3 a.m. */
export const SESSION_TTL_MS = 12 * 3_600_000;
/** Beyond this many open sessions, the oldest ends: a login storm cannot fill memory. */
const MAX_SESSIONS = 1_000;

export interface Session {
  id: string;
  role: Role;
  /** The name of the token logged in with (an admin token's name; 'viewer'): who acts, in the audit. */
  name: string;
  /** The per-session token every state-changing form carries (CSRF). */
  csrf: string;
  expiresAt: number;
  /** A digest of the token logged in with, to end the session once that token changes. */
  tokenDigest: Buffer;
}

export function digestToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

export class Sessions {
  private readonly open = new Map<string, Session>();

  constructor(private readonly clock: () => number = Date.now) {}

  create(role: Role, name: string, token: string): Session {
    this.prune();
    while (this.open.size >= MAX_SESSIONS) this.open.delete(this.open.keys().next().value!);
    const session: Session = { id: randomBytes(32).toString('base64url'), role, name, csrf: randomBytes(32).toString('base64url'), expiresAt: this.clock() + SESSION_TTL_MS, tokenDigest: digestToken(token) };
    this.open.set(session.id, session);
    return session;
  }

  /**
   * The session of this id if it is open and its token is still the one it was opened with
   * (`current`: the value now in force of the token the session names, null when none is).
   */
  find(id: string | undefined, current: (session: Session) => string | null): Session | null {
    if (!id) return null;
    const session = this.open.get(id);
    if (!session) return null;
    const token = current(session);
    if (session.expiresAt <= this.clock() || token === null || !timingSafeEqual(digestToken(token), session.tokenDigest)) {
      this.open.delete(id);
      return null;
    }
    return session;
  }

  end(id: string): void {
    this.open.delete(id);
  }

  get size(): number {
    return this.open.size;
  }

  private prune(): void {
    const now = this.clock();
    for (const [id, s] of this.open) if (s.expiresAt <= now) this.open.delete(id);
  }
}

/** Compares a presented CSRF token with the session's, in constant time. */
export function csrfMatches(session: Session, presented: unknown): boolean {
  if (typeof presented !== 'string') return false;
  const a = digestToken(presented);
  return timingSafeEqual(a, digestToken(session.csrf));
}
