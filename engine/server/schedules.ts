/**
 * The routine jobs' routes: GET /api/v1/runs (their history, newest first, with outcome and
 * duration) and POST /api/v1/schedules/:name/run (run one now, on one target or all; admin
 * token). The body of a run request is small JSON, read only after the token is checked.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuditEntry } from '../audit/entry.js';
import { isEntryId } from '../audit/entry.js';
import type { Engine } from '../runtime/engine.js';
import { NotReadyError } from '../runtime/engine.js';
import { RunRefused } from '../schedule/service.js';

const RUN_BODY_LIMIT = 16 * 1024;
const WHO = /^[\w .@+-]{1,100}$/;

type Hook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/** One run entry as the API and `homeostat runs` show it. */
export function runView(entry: AuditEntry) {
  const run = entry.schedule!;
  return {
    id: entry.id,
    schedule: run.name,
    runId: run.runId,
    trigger: run.trigger,
    by: run.by ?? null,
    due: run.due,
    timezone: run.timezone ?? null,
    action: entry.action,
    type: entry.type,
    target: entry.target,
    verdict: entry.verdict,
    outcome: entry.outcome ?? null,
    reason: entry.reason ?? null,
    startedAt: entry.execution?.startedAt ?? null,
    durationMs: entry.execution?.durationMs ?? null,
    ...(run.missed ? { missed: run.missed } : {}),
  };
}

/** A plugin: `app.register(scheduleRoutes(engine, admin))`. */
export function scheduleRoutes(engine: Pick<Engine, 'runHistory' | 'schedules'>, admin: Hook) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get<{ Querystring: { schedule?: string; target?: string; outcome?: string; since?: string; before?: string; limit?: string } }>('/api/v1/runs', { onRequest: admin }, async (request, reply) => {
      const { schedule, target, outcome, since, before, limit } = request.query;
      const n = limit === undefined ? 100 : Math.min(500, Math.max(1, Number.parseInt(limit, 10) || 100));
      const from = since === undefined ? null : Date.parse(since);
      if (from !== null && Number.isNaN(from)) return reply.code(400).send({ error: `since=${since}: not a time; give ISO 8601` });
      if (before !== undefined && !isEntryId(before)) return reply.code(400).send({ error: 'before: not a run id; give the next of the previous page' });
      const page = await engine.runHistory.list({
        limit: n, ...(schedule !== undefined ? { schedule } : {}), ...(target !== undefined ? { target } : {}), ...(outcome !== undefined ? { outcome } : {}),
        ...(from !== null ? { since: new Date(from) } : {}), ...(before !== undefined ? { before } : {}),
      });
      if (page.incomplete) request.log.warn({ reason: page.incomplete }, 'run history read from memory only');
      return { runs: page.runs.map(runView), next: page.next, ...(page.incomplete ? { incomplete: page.incomplete } : {}), schedules: engine.schedules.list() };
    });

    await app.register(async (scoped) => {
      scoped.removeAllContentTypeParsers();
      scoped.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: RUN_BODY_LIMIT }, (_request, body, done) => {
        try {
          done(null, body === '' ? {} : JSON.parse(body as string));
        } catch {
          done(Object.assign(new Error('the body is not JSON'), { statusCode: 400 }), undefined);
        }
      });
      scoped.post<{ Params: { name: string } }>('/api/v1/schedules/:name/run', { onRequest: admin }, async (request, reply) => {
        const body = (request.body ?? {}) as { target?: unknown; by?: unknown };
        if (typeof body !== 'object' || Array.isArray(body)) return reply.code(400).send({ error: 'the body is a JSON object: {"target": "HOST", "by": "WHO"}, both optional' });
        if (body.target !== undefined && typeof body.target !== 'string') return reply.code(400).send({ error: 'target is a string: one host of the schedule' });
        const by = typeof body.by === 'string' && WHO.test(body.by) ? body.by : `admin token from ${request.ip}`;
        try {
          const entries = await engine.schedules.runNow(request.params.name, { ...(body.target !== undefined ? { target: body.target as string } : {}), by });
          request.log.info({ schedule: request.params.name, target: body.target ?? null, by, entries: entries.length }, 'run asked for');
          return reply.code(202).send({ runs: entries.map(runView) });
        } catch (error) {
          if (error instanceof RunRefused) return reply.code(error.status).send({ error: error.message });
          if (error instanceof NotReadyError) return reply.code(503).send({ error: `not ready: ${error.message}` });
          throw error;
        }
      });
    });
  };
}
