/**
 * Lint's view of the SSRF guard: URLs and SMTP hosts written in a policy whose host is, as
 * written, not on the public internet (an IP literal in a private, loopback or link-local
 * range, or localhost) and that homeostat.yaml does not allowlist. Names are not resolved
 * here (lint runs offline); the engine checks every address when it connects.
 */
import { forEachAction } from '../policy/checks.js';
import { actionTypeOf } from '../actions/registry.js';
import { hostAllowed, nonPublicRange } from '../http/client.js';
import { pointerOf } from '../diagnostics/diagnostic.js';

export interface PrivateUrl {
  pointer: string;
  written: string;
  range: string;
}

type Obj = Record<string, unknown>;

export function privateUrls(policy: unknown, allowHosts: readonly string[]): PrivateUrl[] {
  const found: PrivateUrl[] = [];
  forEachAction((policy as { spec?: unknown } | null)?.spec, (action, path) => {
    const [type] = actionTypeOf(action);
    const params = action[type ?? ''] as Obj | undefined;
    if (typeof params !== 'object' || params === null) return;
    const check = (written: unknown, host: string | null) => {
      if (typeof written !== 'string' || host === null || hostAllowed(host, allowHosts)) return;
      const range = rangeOfHost(host);
      // Placed at the action's type key: the places lint keeps for warnings (analyze.ts ACTION_KEY).
      if (range !== null) found.push({ pointer: pointerOf([...path, type!]), written, range });
    };
    if (type === 'http') check(params.url, hostOfUrl(params.url));
    if (type === 'pagerduty') check(params.eventsUrl, hostOfUrl(params.eventsUrl));
    if (type === 'email' && typeof params.smtp === 'object' && params.smtp !== null) {
      const host = (params.smtp as Obj).host;
      check(host, typeof host === 'string' ? host : null);
    }
  });
  return found;
}

function hostOfUrl(url: unknown): string | null {
  if (typeof url !== 'string') return null;
  try {
    return new URL(url).hostname;
  } catch {
    return null;
  }
}

function rangeOfHost(host: string): string | null {
  const bare = host.toLowerCase().replace(/\.$/, '');
  if (bare === 'localhost' || bare.endsWith('.localhost')) return 'loopback (localhost)';
  const range = nonPublicRange(bare);
  return range === 'not an IP address' ? null : range;
}
