/**
 * The action types, one line each. Adding a type means one folder under engine/actions/ and
 * one line here; nothing scans directories at run time.
 */
import type { ActionType } from './types.js';
import { ansible } from './ansible/index.js';
import { script } from './script/index.js';
import { kubernetes } from './kubernetes/index.js';
import { http } from './http/index.js';
import { slack } from './slack/index.js';
import { pagerduty } from './pagerduty/index.js';
import { email } from './email/index.js';

export const ACTION_TYPES: ReadonlyMap<string, ActionType> = new Map(
  [ansible, script, kubernetes, http, slack, pagerduty, email].map((t) => [t.type, t]),
);

export function actionTypeOf(action: Record<string, unknown>): string[] {
  return Object.keys(action).filter((key) => ACTION_TYPES.has(key));
}
