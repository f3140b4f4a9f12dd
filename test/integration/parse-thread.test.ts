/**
 * The parser thread gives what parsing on the main thread gives: the same alerts, label maps
 * without a prototype (a `__proto__` label kept as a label), frozen, one group shared, the same
 * refusals. Run against dist/ (built by the global setup): from source there is no compiled
 * parser thread, and bodies are parsed on the main thread.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../engine/util/package-root.js';

type Dist = {
  body: typeof import('../../engine/server/webhook-body.js');
  json: typeof import('../../engine/server/json-body.js');
  payload: typeof import('../../engine/alerts/payload.js');
  labels: typeof import('../../engine/alerts/labels.js');
};

async function dist(): Promise<Dist> {
  const load = (path: string) => import(pathToFileURL(join(packageRoot(), 'dist/engine', path)).href);
  const [body, json, payload, labels] = await Promise.all(['server/webhook-body.js', 'server/json-body.js', 'alerts/payload.js', 'alerts/labels.js'].map(load));
  return { body, json, payload, labels } as Dist;
}

/** A body over the parser thread's threshold; every alert carries labels named like prototype machinery. */
function body(alerts: number, extra = ''): Buffer {
  const items = Array.from(
    { length: alerts },
    (_, i) =>
      `{"status":"firing","labels":{"alertname":"Thread","instance":"node-${i}:9100","__proto__":"p${i}","constructor":"c","prototype":"x"},` +
      `"annotations":{"__proto__":"a${i}"},"startsAt":"2026-11-21T07:10:19Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":""${i === 7 ? ',"fingerprint":"0123456789abcdef"' : ''}${extra}}`,
  );
  return Buffer.from(
    `{"version":"4","status":"firing","receiver":"r","groupKey":"{}:{}","truncatedAlerts":2,"externalURL":"",` +
      `"groupLabels":{"__proto__":"g"},"commonLabels":{"constructor":"c"},"commonAnnotations":{},"__proto__":{"polluted":"yes"},"alerts":[${items.join(',')}]}`,
  );
}

describe('the parser thread', () => {
  it('splits a large body exactly as the main thread does', async () => {
    const d = await dist();
    const bytes = body(8_000);
    expect(bytes.length).toBeGreaterThan(d.body.PARSE_THREAD_MIN_BYTES);
    const inline = d.payload.splitPayload(d.json.parseJson(bytes));
    const parsing = d.body.parseWebhookBody(Buffer.from(bytes));
    expect(parsing).toBeInstanceOf(Promise); // the thread's answer; the main thread's is at once
    const threaded = await parsing;
    expect(threaded).toEqual(inline);
    if (!threaded.ok || !inline.ok) throw new Error('the payload should be accepted');
    const { group, alerts } = threaded.payload;
    expect(alerts).toHaveLength(8_000);
    expect(Object.entries(alerts[3]!.labels)).toEqual(Object.entries(inline.payload.alerts[3]!.labels));
    expect(alerts[3]!.labels['__proto__']).toBe('p3');
    expect(alerts[3]!.annotations['__proto__']).toBe('a3');
    expect(group.groupLabels['__proto__']).toBe('g');
    for (const map of [group.groupLabels, group.commonLabels, group.commonAnnotations, ...alerts.flatMap((a) => [a.labels, a.annotations])]) {
      expect(d.labels.isLabelMap(map)).toBe(true);
      expect(Object.isFrozen(map)).toBe(true);
    }
    expect(alerts.every((a) => Object.isFrozen(a) && a.group === group)).toBe(true);
    expect(Object.isFrozen(group)).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('takes the body in the chunks it arrived in, a character cut between two of them', async () => {
    const d = await dist();
    const bytes = body(8_000, ',"annotations":{"summary":"nœud 日本 🚒"}');
    const inline = d.payload.splitPayload(d.json.parseJson(bytes));
    // Cuts every 1,001 bytes: many fall inside a multi-byte character.
    const chunks = Array.from({ length: Math.ceil(bytes.length / 1001) }, (_, i) => Buffer.from(bytes.subarray(i * 1001, (i + 1) * 1001)));
    const threaded = await d.body.parseWebhookBody(chunks);
    expect(threaded).toEqual(inline);
    if (!threaded.ok) throw new Error('the payload should be accepted');
    expect(threaded.payload.alerts[5]!.annotations['summary']).toBe('nœud 日本 🚒');
  });

  it('refuses what the main thread refuses, with the same problems', async () => {
    const d = await dist();
    const invalid = body(8_000, ',"status":"sideways"');
    const inline = d.payload.splitPayload(d.json.parseJson(invalid));
    expect(inline.ok).toBe(false);
    expect(await d.body.parseWebhookBody(invalid)).toEqual(inline);

    const notJson = Buffer.concat([body(8_000), Buffer.from('}')]);
    await expect(Promise.resolve().then(() => d.body.parseWebhookBody(notJson))).rejects.toMatchObject({ statusCode: 400, message: expect.stringMatching(/^body is not valid JSON/) });
  });
});
