/**
 * `homeostat status`: what a running engine says about itself (GET /api/v1/status): whether
 * it is ready, the policy revision it acts on, the last sync and the last failure, whether it
 * is paused, its storm breaker, its queue and its audit. Exit 0 when ready, 1 when not ready, 2 when the engine
 * cannot be asked.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { count } from '../../util/count.js';
import { OutboundError, send } from '../../http/client.js';
import type { OutboundResponse } from '../../http/client.js';
import { EXIT, UserError } from '../errors.js';
import { escapeControl } from '../format/terminal.js';
import type { Io } from '../io.js';
import type { LoadReport, SyncReport } from '../../runtime/activation.js';
import type { Engine } from '../../runtime/engine.js';

export interface StatusFlags {
  url: string;
  adminTokenFile?: string;
  format: string;
}

const TIMEOUT_MS = 10_000;

/** What GET /api/v1/status answers, as JSON. */
type EngineStatus = ReturnType<Engine['status']>;
type Report = LoadReport | SyncReport;

export async function statusCommand(flags: StatusFlags, io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const token = adminToken(flags, io, env);
  let url: URL;
  try {
    url = new URL('/api/v1/status', flags.url);
  } catch {
    throw new UserError(`--url ${flags.url}: not a URL; give the engine's address, e.g. http://127.0.0.1:9595`);
  }
  const response = await askEngine(url, token, flags);
  if (response.status === 401) throw new UserError(`${url.href}: 401 unauthorized; give the engine's admin token with --admin-token-file or HOMEOSTAT_ADMIN_TOKEN`);
  if (response.status !== 200) throw new UserError(`${url.href}: the engine answered ${response.status}`);
  const status = JSON.parse(response.body) as EngineStatus;
  if (flags.format === 'json') io.stdout(JSON.stringify(status, null, 2) + '\n');
  else io.stdout(statusText(status));
  return status.ready ? EXIT.ok : EXIT.problems;
}

/** The operator names the engine's address, usually a loopback one: that host is allowed. */
async function askEngine(url: URL, token: string | null, flags: StatusFlags): Promise<OutboundResponse> {
  try {
    return await send({
      url: url.href, method: 'GET', headers: token ? { authorization: `Bearer ${token}` } : {},
      timeoutMs: TIMEOUT_MS, allowHosts: [url.hostname], secrets: token ? [token] : [],
    });
  } catch (error) {
    if (!(error instanceof OutboundError)) throw error;
    if (error.response !== null) return error.response;
    throw new UserError(`cannot reach the engine at ${flags.url} (${error.code ?? error.message}); is \`homeostat serve\` running there? (--url)`);
  }
}

/** The admin token: --admin-token-file, else HOMEOSTAT_ADMIN_TOKEN, else HOMEOSTAT_ADMIN_TOKEN_FILE. */
export function adminToken(flags: Pick<StatusFlags, 'adminTokenFile'>, io: Io, env: NodeJS.ProcessEnv): string | null {
  if (flags.adminTokenFile) {
    try {
      return readFileSync(resolve(io.cwd, flags.adminTokenFile), 'utf8').trim();
    } catch (error) {
      throw new UserError(`--admin-token-file ${flags.adminTokenFile}: cannot read the token file (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  if (env.HOMEOSTAT_ADMIN_TOKEN) return env.HOMEOSTAT_ADMIN_TOKEN;
  if (env.HOMEOSTAT_ADMIN_TOKEN_FILE) return adminToken({ ...flags, adminTokenFile: env.HOMEOSTAT_ADMIN_TOKEN_FILE }, io, {});
  return null;
}

const short = (sha: string | null | undefined) => (sha && /^[0-9a-f]{40,64}$/.test(sha) ? sha.slice(0, 12) : (sha ?? 'none'));

function reportText(r: Report): string {
  const sync = 'result' in r;
  const what = sync ? r.result : r.ok ? 'ok' : 'failed';
  const commit = sync ? (r.head ? ` (head ${short(r.head)})` : '') : r.revision ? ` (${short(r.revision)})` : '';
  const first = sync ? undefined : r.diagnostics[0];
  const diagnostic = first ? `; first ${first.file}:${first.line}:${first.col} ${first.code} ${first.message}` : '';
  return `${r.at} ${what}${commit}${r.error ? `: ${r.error}` : ''}${diagnostic}`;
}

/** Both switches: homeostat.yaml's (only a commit undoes it) and the API's (homeostat pause). */
function pausedText(s: EngineStatus): string {
  const api = s.pause?.api ?? null;
  const byApi = api ? `by ${api.by} at ${api.at} ${api.until ? `until ${api.until}` : 'until resumed'}: ${api.reason}` : null;
  if (s.policies.paused) return `yes: homeostat.yaml sets paused: true, no action runs (a resume does not undo it)${byApi ? `; also paused ${byApi}` : ''}`;
  return byApi ? `yes, no action runs: paused ${byApi}` : 'no';
}

export function statusText(s: EngineStatus): string {
  const p = s.policies;
  const src = p.source;
  const lines: [string, string][] = [
    ['engine', s.ready ? `ready, since ${s.startedAt}${s.dryRun ? ' (dry-run)' : ''}` : `NOT READY: ${s.notReady.join('; ')}`],
    ['policies', src.kind === 'git' ? `git ${src.remote} branch ${src.branch ?? '(remote default)'} path ${src.path}${src.verifySignatures ? ', signatures verified' : ''}` : `directory ${src.dir}`],
    ['revision', p.revision ? `${short(p.revision)}: ${count(p.count, 'policy', 'policies')}, active since ${p.activatedAt}${src.kind === 'git' && src.servingCached ? ' (kept on disk; the remote has not answered since the start)' : ''}` : 'none active'],
    ['paused', pausedText(s)],
    ['storm breaker', breakerText(s.stormBreaker)],
  ];
  if (s.approvals) lines.push(['approvals', `${s.approvals.pending} pending${s.approvals.pending ? ' (homeostat approvals)' : ''}`]);
  if (src.kind === 'git') {
    lines.push(['last sync', src.lastSync ? reportText(src.lastSync) : 'not yet']);
    lines.push(['last failure', src.lastFailure ? reportText(src.lastFailure) : 'none']);
  }
  if (p.lastLoad && !p.lastLoad.ok) lines.push(['last load', reportText(p.lastLoad)]);
  lines.push(['queue', `${s.queue.waiting} waiting, ${s.queue.running} running`]);
  lines.push(['audit', `${s.audit.backlog} waiting for git${s.audit.remote ? `, pushed to ${s.audit.remote}` : ''}${s.audit.error ? `; ERROR ${s.audit.error}` : ''}`]);
  const width = Math.max(...lines.map(([k]) => k.length)) + 2;
  return lines.map(([k, v]) => `${k.padEnd(width)}${escapeControl(v)}\n`).join('');
}

function breakerText(b: EngineStatus['stormBreaker']): string {
  if (!b.configured && !b.open) return 'not set (homeostat.yaml stormBreaker)';
  const now = `${count(b.window.alerts, 'alert')}, ${count(b.window.targets, 'target')} in the window`;
  if (!b.open) return `closed (${now})`;
  const top = (b.alertnames ?? []).map((a) => `${a.alertname} (${a.count})`).join(', ');
  return `OPEN since ${b.since}: opened on ${b.trigger === 'alerts' ? count(b.alerts ?? 0, 'alert') : count(b.targets ?? 0, 'target')}${top ? `, top ${top}` : ''}; no new disruptive action; closes ${b.closesAt ? `at ${b.closesAt} at the earliest` : 'at the next check'} (${now})`;
}
