/**
 * `homeostat run SCHEDULE [--target T]` and `homeostat runs [SCHEDULE] [--since T]`: a running
 * engine's routine jobs, through its API (POST /api/v1/schedules/:name/run, GET /api/v1/runs),
 * with its admin token, as `homeostat status` asks it. The engine reads the runs its memory no
 * longer holds from its audit repository, a page at a time (`--before` the last id shown).
 */
import { userInfo } from 'node:os';
import { EXIT, UserError } from '../errors.js';
import { isEntryId } from '../../audit/entry.js';
import { line } from '../format/terminal.js';
import type { Io } from '../io.js';
import type { runView } from '../../server/schedules.js';
import { formatDuration } from '../../util/duration.js';
import { adminToken } from './status.js';
import { OutboundError, send } from '../../http/client.js';
import type { OutboundResponse } from '../../http/client.js';

const TIMEOUT_MS = 60_000;

export interface EngineFlags {
  url: string;
  adminTokenFile?: string;
  format: string;
}

type RunView = ReturnType<typeof runView>;

async function ask(flags: EngineFlags, io: Io, path: string, init: { method: 'GET' | 'POST'; body?: unknown }, env: NodeJS.ProcessEnv): Promise<Record<string, unknown>> {
  const token = adminToken(flags, io, env);
  let url: URL;
  try {
    url = new URL(path, flags.url);
  } catch {
    throw new UserError(`--url ${flags.url}: not a URL; give the engine's address, e.g. http://127.0.0.1:9595`);
  }
  const headers: Record<string, string> = { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.body ? { 'content-type': 'application/json' } : {}) };
  let response: OutboundResponse;
  try {
    // The operator names the engine's address, usually a loopback one: that host is allowed.
    response = await send({
      url: url.href, method: init.method, headers, ...(init.body ? { body: JSON.stringify(init.body) } : {}),
      timeoutMs: TIMEOUT_MS, allowHosts: [url.hostname], secrets: token ? [token] : [],
    });
  } catch (error) {
    if (!(error instanceof OutboundError)) throw error;
    if (error.response === null) throw new UserError(`cannot reach the engine at ${flags.url} (${error.code ?? error.message}); is \`homeostat serve\` running there? (--url)`);
    response = error.response;
  }
  const body = parseBody(response.body);
  if (response.status === 401) throw new UserError(`${url.href}: 401 unauthorized; give the engine's admin token with --admin-token-file or HOMEOSTAT_ADMIN_TOKEN`);
  if (response.status < 200 || response.status > 299) throw new UserError(`${url.pathname}: the engine answered ${response.status}${typeof body.error === 'string' ? `: ${body.error}` : ''}`, response.status === 404 || response.status === 400 ? EXIT.problems : EXIT.usage);
  return body;
}

function parseBody(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function runLine(r: RunView): string {
  const took = r.durationMs === null ? '' : ` in ${formatDuration(r.durationMs)}`;
  const how = r.trigger === 'manual' ? `manual by ${r.by ?? '?'}` : 'cron';
  const zone = r.timezone && r.timezone !== 'UTC' ? ` (${new Date(r.due).toLocaleString('sv-SE', { timeZone: r.timezone })} ${r.timezone})` : '';
  const state = r.outcome ?? (r.verdict === 'run' || r.verdict === 'dry-run' ? 'pending' : String(r.verdict));
  return line`${state.padEnd(11)} ${r.schedule}/${r.action} on ${r.target ?? '-'}  due ${r.due}${zone} ${how}${took}` + (r.reason && r.outcome !== 'succeeded' ? line`  ${r.reason}` : '') + '\n';
}

export async function runCommand(name: string, flags: EngineFlags & { target?: string; by?: string }, io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const by = flags.by ?? safeUser();
  const body = await ask(flags, io, `/api/v1/schedules/${encodeURIComponent(name)}/run`, { method: 'POST', body: { ...(flags.target ? { target: flags.target } : {}), by } }, env);
  const runs = (body.runs ?? []) as RunView[];
  if (flags.format === 'json') io.stdout(JSON.stringify(body, null, 2) + '\n');
  else for (const r of runs) io.stdout(runLine(r));
  return runs.some((r) => r.verdict === 'failed' || r.verdict === 'refused') ? EXIT.problems : EXIT.ok;
}

export async function runsCommand(name: string | undefined, flags: EngineFlags & { since?: string; before?: string; limit: string }, io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (flags.since !== undefined && Number.isNaN(Date.parse(flags.since))) throw new UserError(`--since ${flags.since}: not a date; give an ISO 8601 time such as 2026-11-21T09:00:00Z`);
  if (flags.before !== undefined && !isEntryId(flags.before)) throw new UserError(`--before ${flags.before}: not a run id; give the one the previous page ended with (they read like 20261121T101500123Z-1a2b3c4d)`);
  const query = new URLSearchParams({
    limit: flags.limit, ...(name ? { schedule: name } : {}), ...(flags.since ? { since: new Date(flags.since).toISOString() } : {}), ...(flags.before ? { before: flags.before } : {}),
  });
  const body = await ask(flags, io, `/api/v1/runs?${query}`, { method: 'GET' }, env);
  if (flags.format === 'json') {
    io.stdout(JSON.stringify(body, null, 2) + '\n');
    return EXIT.ok;
  }
  const runs = (body.runs ?? []) as RunView[];
  for (const r of runs) io.stdout(runLine(r));
  if (runs.length === 0) io.stdout(`no runs${name ? ` of ${name}` : ''}${flags.since ? ` since ${flags.since}` : ''}\n`);
  if (typeof body.next === 'string') io.stdout(line`more: homeostat runs${name ? ` ${name}` : ''} --before ${body.next}\n`);
  if (typeof body.incomplete === 'string') io.stderr(line`warning: ${body.incomplete}\n`);
  return EXIT.ok;
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
