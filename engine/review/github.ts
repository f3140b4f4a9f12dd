/**
 * One pull-request comment, updated rather than repeated: the comment that carries MARKER is
 * found among the PR's comments and edited; only when there is none is one created. Requests
 * go through engine/http; the token is sent as a header and masked in every error.
 */
import { send } from '../http/client.js';
import type { OutboundRequest, OutboundResponse } from '../http/client.js';

/** Hidden in the rendered comment; how the next run finds it. */
export const MARKER = '<!-- homeostat-review -->';

export interface PullRequest {
  /** https://api.github.com, or a GitHub Enterprise server's API. */
  apiUrl: string;
  /** owner/name */
  repository: string;
  number: number;
  token: string;
}

export type Send = (request: OutboundRequest) => Promise<OutboundResponse>;

const PAGE = 100;
const MAX_PAGES = 30;

function request(pr: PullRequest, method: OutboundRequest['method'], path: string, body?: unknown): OutboundRequest {
  const api = new URL(pr.apiUrl);
  const isGithubCom = api.hostname === 'api.github.com';
  return {
    url: `${pr.apiUrl.replace(/\/$/, '')}${path}`,
    method,
    headers: { authorization: `Bearer ${pr.token}`, accept: 'application/vnd.github+json', 'user-agent': 'homeostat-review', ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
    timeoutMs: 30_000,
    retry: true,
    // A GitHub Enterprise API the workflow names may be on a private network: it is allowed.
    allowHosts: isGithubCom ? [] : [api.hostname],
    secrets: [pr.token],
  };
}

/** Creates the review comment, or edits the one a previous run made; returns its id and what was done. */
export async function upsertComment(pr: PullRequest, body: string, sendRequest: Send = send): Promise<{ id: number; action: 'created' | 'updated' }> {
  const text = body.includes(MARKER) ? body : `${MARKER}\n${body}`;
  const base = `/repos/${pr.repository}/issues`;
  for (let page = 1; page <= MAX_PAGES; page++) {
    const answer = await sendRequest(request(pr, 'GET', `${base}/${pr.number}/comments?per_page=${PAGE}&page=${page}`));
    const comments = JSON.parse(answer.body) as { id: number; body?: string }[];
    const ours = comments.find((c) => c.body?.includes(MARKER));
    if (ours) {
      await sendRequest(request(pr, 'PATCH', `${base}/comments/${ours.id}`, { body: text }));
      return { id: ours.id, action: 'updated' };
    }
    if (comments.length < PAGE) break;
  }
  const created = await sendRequest(request(pr, 'POST', `${base}/${pr.number}/comments`, { body: text }));
  return { id: (JSON.parse(created.body) as { id: number }).id, action: 'created' };
}
