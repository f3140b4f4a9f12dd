/**
 * The routes of approvals and of the kill switch (engine/approvals/): GET /api/v1/approvals,
 * POST /api/v1/approvals/:id/approve and …/deny, POST /api/v1/pause and /api/v1/resume. Each
 * answer is given in the name of the admin token presented (admins.ts), with a required reason;
 * the body is small JSON, read only after the token is checked.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Engine } from '../runtime/engine.js';
import { acceptSmallJson } from './small-json.js';
import { NotReadyError } from '../runtime/engine.js';
import type { AdminAuth } from './admins.js';

const BODY_LIMIT = 16 * 1024;
const REASON_MAX = 1_000;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

type Body = Record<string, unknown>;

/** A plugin: `app.register(approvalRoutes(engine, admin))`. */
export function approvalRoutes(engine: Pick<Engine, 'approvals' | 'killSwitch'>, admin: AdminAuth) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get<{ Querystring: { state?: string } }>('/api/v1/approvals', { onRequest: admin.check }, async (request, reply) => {
      const { state = 'pending' } = request.query;
      if (state !== 'pending' && state !== 'all') return reply.code(400).send({ error: `state=${state}: give pending (the default) or all (answered ones of the last 7 days too)` });
      return { approvals: engine.approvals.list(state === 'all'), pending: engine.approvals.pending };
    });

    await app.register(async (scoped) => {
      acceptSmallJson(scoped, BODY_LIMIT);
      const person = { onRequest: admin.check };

      for (const what of ['approve', 'deny'] as const) {
        scoped.post<{ Params: { id: string } }>(`/api/v1/approvals/:id/${what}`, person, async (request, reply) => {
          const asked = answerable(request, reply, admin);
          if (!asked) return reply;
          return notReadyAs503(reply, async () => {
            const result = await engine.approvals.answer(request.params.id, what, asked.by, asked.reason);
            return reply.code(result.status).send(result.body);
          });
        });
      }

      scoped.post('/api/v1/pause', person, async (request, reply) => {
        const asked = answerable(request, reply, admin);
        if (!asked) return reply;
        const until = asked.body.until;
        let untilMs: number | null = null;
        if (until !== undefined && until !== null) {
          untilMs = typeof until === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(until) ? Date.parse(until) : NaN;
          if (Number.isNaN(untilMs)) return reply.code(400).send({ error: 'until: give an ISO 8601 time such as 2026-12-03T22:00:00Z, or leave it out to pause until resumed' });
          if (untilMs <= Date.now()) return reply.code(400).send({ error: `until ${until} has passed: give a later time` });
        }
        const status = await engine.killSwitch.pause(asked.by, asked.reason, untilMs);
        request.log.warn({ by: asked.by, until: status.api?.until ?? null }, 'pause asked for');
        return reply.code(200).send({ pause: status });
      });

      scoped.post('/api/v1/resume', person, async (request, reply) => {
        const asked = answerable(request, reply, admin, 'no reason given');
        if (!asked) return reply;
        const status = await engine.killSwitch.resume(asked.by, asked.reason);
        if (status === null) {
          const settings = engine.killSwitch.status().settings;
          const why = settings ? '; homeostat.yaml sets paused: true, which only a commit undoes' : '';
          return reply.code(409).send({ error: `not paused through the API: nothing to resume${why}`, pause: engine.killSwitch.status() });
        }
        return reply.code(200).send({ pause: status, ...(status.settings ? { note: 'still paused: homeostat.yaml sets paused: true, which a resume does not undo; change it by a commit' } : {}) });
      });
    });
  };
}

/**
 * Who answers and why, or null once the reply says what is wrong: a person's answer needs an
 * admin token to name them (403 when none is configured) and a reason (400), unless `fallback`
 * stands in for one.
 */
function answerable(request: FastifyRequest, reply: FastifyReply, admin: AdminAuth, fallback?: string): { by: string; reason: string; body: Body } | null {
  if (!admin.configured()) {
    void reply.code(403).send({ error: 'no admin token is configured: approvals, denials, pauses and resumes are given in the name of an admin token; set --admin-token-file or admin-tokens in --config' });
    return null;
  }
  const body = (request.body ?? {}) as Body;
  if (typeof body !== 'object' || Array.isArray(body)) {
    void reply.code(400).send({ error: 'the body is a JSON object: {"reason": "TEXT"}' });
    return null;
  }
  const given = typeof body.reason === 'string' ? body.reason.trim() : '';
  const reason = given || fallback;
  if (!reason || reason.length > REASON_MAX || CONTROL.test(reason)) {
    void reply.code(400).send({ error: `reason: a required text of 1 to ${REASON_MAX} characters on one line, saying why (it goes into the audit)` });
    return null;
  }
  return { by: admin.nameOf(request)!, reason, body };
}

async function notReadyAs503(reply: FastifyReply, task: () => Promise<FastifyReply>): Promise<FastifyReply> {
  try {
    return await task();
  } catch (error) {
    if (error instanceof NotReadyError) return reply.code(503).send({ error: `not ready: ${error.message}` });
    throw error;
  }
}
