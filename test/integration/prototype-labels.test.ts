/**
 * Labels named like prototype machinery (`__proto__`, `constructor`, `prototype`) are labels:
 * the webhook accepts the group (fastify's parser answered 400, and Alertmanager never retries
 * a 4xx), policies match and render them as data, they reach the process and the audit entry
 * as sent, and no prototype anywhere is changed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { closeTestEngine, startTestEngine, TOKEN, waitFor, writeRepo } from '../helpers/engine.js';
import type { TestEngine } from '../helpers/engine.js';
import { PROTOTYPE_LABELS, PROTOTYPE_LINE, prototypeRepo } from '../helpers/prototype-labels.js';

/**
 * Written as text: in an object literal `__proto__` would set the prototype instead of a key.
 * The payload also carries `__proto__` and `constructor.prototype` objects where a parser that
 * assigns keys would pollute Object.prototype.
 */
const BODY = `{
  "version": "4", "status": "firing", "receiver": "homeostat", "groupKey": "{}:{alertname=\\"Prototype\\"}",
  "truncatedAlerts": 0, "externalURL": "http://alertmanager:9093",
  "__proto__": { "polluted": "top" },
  "constructor": { "prototype": { "polluted": "constructor" } },
  "groupLabels": { "alertname": "Prototype", "__proto__": "group" },
  "commonLabels": ${PROTOTYPE_LABELS},
  "commonAnnotations": { "__proto__": "annotation" },
  "alerts": [{
    "status": "firing",
    "labels": ${PROTOTYPE_LABELS},
    "annotations": { "__proto__": "annotation", "toString": "not a function" },
    "startsAt": "2026-11-21T09:00:00Z", "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "",
    "__proto__": { "polluted": "alert" }
  }]
}`;

const LABELS = JSON.parse(PROTOTYPE_LABELS) as Record<string, string>;

let t: TestEngine | undefined;
afterEach(async () => (t = await closeTestEngine(t)));

describe('labels named __proto__, constructor, prototype', () => {
  it('are accepted, matched, rendered, run and audited as plain labels; no prototype changes', async () => {
    const objectKeys = Reflect.ownKeys(Object.prototype);
    t = await startTestEngine({ files: prototypeRepo('/nonexistent') });
    const out = join(t.root, 'out.txt');
    writeRepo(t.repoDir, prototypeRepo(out));
    await t.engine.policies.load();

    const response = await t.post(BODY, { authorization: `Bearer ${TOKEN}` });
    expect([response.statusCode, response.json()]).toMatchObject([202, { alerts: 1, decisions: 1, actions: 1 }]);

    await waitFor(() => readFileSync(out, { encoding: 'utf8', flag: 'a+' }).includes('\n'), 'the script to write its arguments');
    expect(readFileSync(out, 'utf8')).toBe(PROTOTYPE_LINE);
    const id = await waitFor(() => t!.engine.recent.list({ outcome: 'succeeded' })[0]?.id, 'the outcome');
    await waitFor(() => t!.git('log', '--format=%s', 'main').includes('succeeded:'), 'the outcome commit');
    const entry = t.auditEntry(id);
    expect(Object.entries(entry.alert!.labels).sort()).toEqual(Object.entries(LABELS).sort());
    expect(Object.getPrototypeOf(entry.alert!.labels)).toBe(Object.prototype);
    expect((entry.params as { args: string[] }).args).toEqual(['Array', 'Object', 'null', 'liquid:Array']);

    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Reflect.ownKeys(Object.prototype)).toEqual(objectKeys);
    expect(Object.prototype.toString.call([])).toBe('[object Array]');
    expect([].constructor).toBe(Array);
  });
});
