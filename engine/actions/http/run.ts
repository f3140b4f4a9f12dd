/**
 * The http action's run: a JSON webhook. The URL is written in the policy (never a template);
 * header values may be secret references; a body written as a mapping is rendered leaf by leaf
 * and sent as JSON, so a label holding quotes cannot change its structure. A body written as
 * one string is sent as it renders. Without a body, the notice (alert, policy, action, target,
 * outcome, link) is sent.
 */
import { deliver, notSent } from '../deliver.js';
import { noticeOf } from '../notice.js';
import { describeRef, isSecretRef, SecretError, SecretReader } from '../secrets.js';
import type { RunContext, RunResult } from '../types.js';
import type { OutboundMethod } from '../../http/client.js';

export async function runHttp(context: RunContext): Promise<RunResult> {
  const { params } = context;
  const url = String(params.url);
  const method = (params.method ?? 'POST') as OutboundMethod;
  const reader = new SecretReader();
  const headers: Record<string, string> = {};
  try {
    for (const [name, value] of Object.entries((params.headers ?? {}) as Record<string, unknown>)) {
      headers[name.toLowerCase()] = context.dryRun && isSecretRef(value) ? `(${describeRef(value)})` : reader.text(value);
    }
  } catch (error) {
    if (error instanceof SecretError) return notSent(error.message);
    throw error;
  }
  const body = bodyOf(params.body, context);
  if (method !== 'GET' && method !== 'DELETE') headers['content-type'] ??= body.json ? 'application/json' : 'text/plain; charset=utf-8';
  const sent = method === 'GET' ? '' : body.text;
  return deliver(context, { method, url, shownUrl: url, headers, body: sent }, reader.values);
}

function bodyOf(body: unknown, context: RunContext): { text: string; json: boolean } {
  if (body === undefined) return { text: JSON.stringify(noticeOf(context)), json: true };
  if (typeof body === 'string') return { text: body, json: parsesAsJson(body) };
  return { text: JSON.stringify(body), json: true };
}

function parsesAsJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
