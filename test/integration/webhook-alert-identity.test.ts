/**
 * An alert is known by its fingerprint and startsAt (dedup, the audit), through the webhook:
 * the engine computes the fingerprint from the labels, so a sent one cannot make one alert pass
 * for another, and an alert without a startsAt that is a date is refused (400) by name.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprint } from '../../engine/alerts/fingerprint.js';
import { payload, removeTestEngine, startTestEngine, waitFor } from '../helpers/engine.js';
import type { TestEngine } from '../helpers/engine.js';
import { ECHO_REPO } from '../helpers/echo-policy.js';

let t: TestEngine;
beforeAll(async () => {
  t = await startTestEngine({ files: ECHO_REPO });
});
afterAll(async () => {
  await t.close();
  removeTestEngine(t);
});

/** One payload holding the alerts given, shaped as the helper shapes one. */
function group(...alerts: object[]): Record<string, unknown> {
  return { ...payload({ alertname: 'Echo' }), alerts };
}

function alertOf(labels: Record<string, string>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...(payload(labels).alerts as object[])[0], ...extra };
}

describe('a fingerprint sent with an alert', () => {
  it('is not trusted: two alerts with different labels and the same sent fingerprint are both decided and run', async () => {
    const web1 = { alertname: 'Echo', host: 'web-1' };
    const web2 = { alertname: 'Echo', host: 'web-2' };
    const sent = fingerprint(web1);
    const response = await t.post(group(alertOf(web1, { fingerprint: sent }), alertOf(web2, { fingerprint: sent })));
    expect(response.statusCode).toBe(202);
    expect(response.json()).toMatchObject({ alerts: 2, decisions: 2, duplicates: 0, actions: 2 });
    const ran = await waitFor(() => {
      const done = t.engine.recent.list({ outcome: 'succeeded' });
      return done.length === 2 ? done : undefined;
    }, 'both actions to end');
    expect(ran.map((a) => [a.target, t.auditEntry(a.id).alert!.fingerprint]).sort()).toEqual([
      ['web-1', fingerprint(web1)],
      ['web-2', fingerprint(web2)],
    ]);
  });
});

describe('an alert without a startsAt that is a date', () => {
  it.each([
    ['without startsAt', undefined, "missing required field 'startsAt'"],
    ['with a startsAt that is not a date', 'soon', 'startsAt must match format "date-time"'],
  ])('is refused with 400 naming the alert by index and alertname, and nothing is decided: %s', async (_, startsAt, problem) => {
    const { startsAt: _dropped, ...undated } = alertOf({ alertname: 'ServiceDown', host: 'web-3' });
    const before = t.engine.recent.list({}).length;
    const response = await t.post(group(alertOf({ alertname: 'Echo', host: 'web-4' }), startsAt === undefined ? undated : { ...undated, startsAt }));
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toContain(`alerts[1] (alertname "ServiceDown"): ${problem}`);
    expect(t.engine.recent.list({})).toHaveLength(before);
  });
});
