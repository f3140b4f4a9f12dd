/** What a section is given to render: the engine's read side, the session, the clock. */
import type { Engine } from '../runtime/engine.js';
import type { Html } from './html.js';
import type { Session } from './sessions.js';

export type WebEngine = Pick<Engine, 'status' | 'recent'> & Partial<Pick<Engine, 'schedules'>>;

export interface View {
  engine: WebEngine;
  session: Session;
  now: number;
  /** A line saying what a button just did (or why not), shown in its section. */
  message?: { text: string; error: boolean };
}

/**
 * One part of the page: rendered whole at GET / and again, alone, each time it is polled
 * (GET /ui/sections/ID). A section with buttons registers its own routes, each behind `admin`
 * (an admin session, the page's own origin, the session's CSRF token).
 */
export interface Section {
  id: string;
  title: string;
  render(view: View): Html;
  /** Its buttons' routes, if it has any. */
  register?(routes: SectionRoutes): void;
}

/** What a button's route answers: a line for the section's live region, and an HTTP status. */
export interface Answer {
  status: number;
  text: string;
}

export interface SectionRoutes {
  /**
   * POST PATH (a form with the session's CSRF token as `_csrf`), for an admin session from
   * the page itself; `params` are the path's parameters, `form` the other fields.
   */
  post(path: string, handle: (request: { params: Record<string, string>; form: Record<string, string>; view: View; ip: string }) => Promise<Answer>): void;
}
