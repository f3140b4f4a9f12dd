/**
 * `homeostat review`: what the GitHub action (action.yml) runs in a pull request, and what a
 * reviewer can run locally. Lint problems on the lines the change touches and failing policy
 * tests become workflow annotations; the decision diff against the base over the recorded
 * alerts becomes one PR comment, updated on each push (never a new one). The comment is posted
 * only with a token and a pull request (GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_EVENT_PATH);
 * otherwise it is written to --comment-out, or printed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Io } from '../io.js';
import { EXIT, UserError } from '../errors.js';
import { githubAnnotation } from '../format/diagnostics.js';
import { diffMarkdown } from '../format/diff-markdown.js';
import { headFails, runDiff } from './diff.js';
import type { DiffReport } from './diff.js';
import { locateGitDir, openGit } from '../../git/git.js';
import { changedLines } from '../../git/changed-lines.js';
import { MARKER, upsertComment } from '../../review/github.js';
import type { PullRequest } from '../../review/github.js';
import { OutboundError } from '../../http/client.js';
import { failureLines } from '../../testing/run-tests.js';
import { count } from '../../util/count.js';

export interface ReviewFlags {
  base: string;
  head: string;
  alerts?: string[];
  now?: string;
  failOnChange?: boolean;
  commentOut?: string;
  annotationsOut?: string;
}

/** The pull request to comment on, when the environment names one and a token. */
export function pullRequestFromEnv(env: NodeJS.ProcessEnv): PullRequest | null {
  const token = env.HOMEOSTAT_GITHUB_TOKEN || env.GITHUB_TOKEN;
  const repository = env.GITHUB_REPOSITORY;
  if (!token || !repository || !env.GITHUB_EVENT_PATH) return null;
  let event: { pull_request?: { number?: unknown } };
  try {
    event = JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, 'utf8'));
  } catch {
    return null;
  }
  const number = event.pull_request?.number;
  if (typeof number !== 'number') return null;
  return { apiUrl: env.GITHUB_API_URL || 'https://api.github.com', repository, number, token };
}

function annotations(report: DiffReport, changed: Map<string, Set<number>>, prefix: string): { lines: string[]; onChanged: number } {
  const inRepo = (file: string) => (prefix ? `${prefix}/${file}` : file);
  const lines: string[] = [];
  for (const d of report.head.diagnostics) {
    if (!changed.get(inRepo(d.file))?.has(d.line)) continue;
    lines.push(githubAnnotation(d.severity, { file: inRepo(d.file), line: d.line, col: d.col, title: d.code }, `${d.message} (${d.hint})`));
  }
  const onChanged = lines.length;
  for (const r of report.tests?.failed ?? []) lines.push(githubAnnotation('error', { file: inRepo(r.file), line: r.line, title: `${r.test}: ${r.name}` }, failureLines(r)));
  return { lines, onChanged };
}

function commentBody(report: DiffReport, alerts: number, onChanged: number): string {
  const total = report.head.diagnostics.length;
  const lint = total ? `\n${count(total, 'lint problem')} in the head, ${onChanged} on lines this change touches (annotated in the diff).\n` : '';
  const none = alerts === 0 ? '\nNo recorded alerts were given, so no decision could change: add webhook payloads or a `homeostat replay` timeline and name them in the `alerts` input.\n' : '';
  return `${MARKER}\n${diffMarkdown(report)}${lint}${none}`;
}

export async function reviewCommand(dir: string, flags: ReviewFlags, io: Io): Promise<number> {
  const alerts = flags.alerts ?? [];
  const report = await runDiff(dir, { base: flags.base, head: flags.head, alerts, ...(flags.now ? { now: flags.now } : {}) }, io);
  const located = await locateGitDir(resolve(io.cwd, dir));
  if (!located) throw new UserError(`${dir}: not in a git repository; review compares two revisions of one`);
  const changed = await changedLines(openGit(located.gitDir), flags.base, flags.head);
  const { lines, onChanged } = annotations(report, changed, located.prefix);
  for (const l of lines) io.stdout(`${l}\n`);
  if (flags.annotationsOut) writeFileSync(resolve(io.cwd, flags.annotationsOut), lines.map((l) => `${l}\n`).join(''));
  const body = commentBody(report, alerts.length, onChanged);
  if (flags.commentOut) writeFileSync(resolve(io.cwd, flags.commentOut), body);
  const pr = pullRequestFromEnv(process.env);
  if (pr) {
    try {
      const { id, action } = await upsertComment(pr, body);
      io.stdout(`review comment ${id} ${action} on ${pr.repository}#${pr.number}\n`);
    } catch (error) {
      if (!(error instanceof OutboundError)) throw error;
      const denied = error.response?.status === 403 || error.response?.status === 404;
      throw new UserError(`posting the review comment to ${pr.repository}#${pr.number}: ${error.message}${denied ? '; the job needs `permissions: pull-requests: write` and the token of this repository' : ''}`);
    }
  } else if (!flags.commentOut) {
    io.stdout(body);
  }
  if (headFails(report)) return EXIT.problems;
  return flags.failOnChange && report.changes.length > 0 ? EXIT.problems : EXIT.ok;
}
