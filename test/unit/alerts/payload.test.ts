import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, expect } from 'vitest';
import { fingerprint } from '../../../engine/alerts/fingerprint.js';
import { splitPayload } from '../../../engine/alerts/payload.js';
import { packageRoot } from '../../../engine/util/package-root.js';
import { fixtureBody, fixtureNames, fixturePayload } from '../../helpers/alerts.js';

interface RawAlert {
  status: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

interface RawPayload {
  status: string;
  receiver: string;
  groupKey: string;
  truncatedAlerts: number;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  alerts: RawAlert[];
}

const FIXTURES = fixtureNames();

/** A valid one-alert payload to break in one place at a time. */
function validBody(): Record<string, unknown> {
  return {
    version: '4',
    status: 'firing',
    receiver: 'heal',
    alerts: [{ status: 'firing', labels: { alertname: 'NodeDown', instance: 'web-1:9100' }, startsAt: '2026-11-21T07:00:00Z' }],
  };
}

describe('splitPayload', () => {
  it('finds the captured payloads', () => {
    expect(FIXTURES).toContain('storm-repeat-500.json');
    expect(FIXTURES.length).toBeGreaterThanOrEqual(16);
  });

  it.each(FIXTURES)('%s validates and splits into every one of its alerts', (name) => {
    const body = fixtureBody(name) as RawPayload;
    const result = splitPayload(body);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const { group, alerts } = result.payload;
    expect(alerts).toHaveLength(body.alerts.length);
    expect(group).toMatchObject({ receiver: body.receiver, status: body.status, groupKey: body.groupKey, truncatedAlerts: body.truncatedAlerts });
    expect({ ...group.groupLabels }).toEqual(body.groupLabels);
    expect({ ...group.commonLabels }).toEqual(body.commonLabels);
    alerts.forEach((alert, i) => {
      const raw = body.alerts[i]!;
      expect({ ...alert.labels }).toEqual(raw.labels);
      expect({ ...alert.annotations }).toEqual(raw.annotations);
      expect(alert).toMatchObject({
        status: raw.status,
        startsAt: raw.startsAt,
        endsAt: raw.endsAt,
        generatorURL: raw.generatorURL,
        fingerprint: raw.fingerprint,
        alertname: raw.labels.alertname,
      });
      expect(alert.group).toBe(group);
    });
  });

  it('keeps resolved alerts next to firing ones (never only alerts[0])', () => {
    const { group, alerts } = fixturePayload('net-device-down-one-resolved.json');
    expect(group.status).toBe('firing');
    expect(alerts.map((a) => [a.fingerprint, a.status])).toEqual([
      ['16524211944f55ab', 'resolved'],
      ['cf2ed593de00943a', 'firing'],
    ]);
  });

  it('carries the number of alerts Alertmanager left out of a truncated group', () => {
    const { group, alerts } = fixturePayload('disk-will-fill-truncated.json');
    expect(alerts.map((a) => a.labels.instance)).toEqual(['db-1:9100', 'db-2:9100']);
    expect(group.truncatedAlerts).toBe(3);
    expect(fixturePayload('service-down-nginx.json').group.truncatedAlerts).toBe(0);
  });

  it('splits both notifications of an alert storm whole', () => {
    const first = fixturePayload('storm-first-408.json').alerts;
    const repeat = fixturePayload('storm-repeat-500.json').alerts;
    expect([first.length, repeat.length]).toEqual([408, 500]);
    const repeated = new Set(repeat.map((a) => `${a.fingerprint}|${a.startsAt}`));
    expect(first.every((a) => repeated.has(`${a.fingerprint}|${a.startsAt}`))).toBe(true);
    expect(new Set(repeat.map((a) => a.fingerprint)).size).toBe(500);
  });

  it('returns frozen alerts whose label maps have no prototype to reach', () => {
    const [alert] = fixturePayload('service-down-nginx.json').alerts;
    expect(Object.isFrozen(alert)).toBe(true);
    expect(Object.isFrozen(alert!.group)).toBe(true);
    expect((alert!.labels as Record<string, unknown>).toString).toBeUndefined();
    expect((alert!.labels as Record<string, unknown>).constructor).toBeUndefined();
  });
});

describe('splitPayload refuses what is not an Alertmanager version 4 payload', () => {
  it('refuses payload version 3', () => {
    expect(splitPayload({ ...validBody(), version: '3' })).toEqual({
      ok: false,
      problems: [{ pointer: '/version', code: 'HST_SCHEMA_ENUM', message: 'version is "3", not one of "4"', hint: 'use one of 4' }],
    });
  });

  it('refuses a payload without alerts', () => {
    const { alerts: _alerts, ...body } = validBody();
    expect(splitPayload(body)).toEqual({
      ok: false,
      problems: [{ pointer: '', code: 'HST_SCHEMA_REQUIRED', message: "missing required field 'alerts' in document", hint: "add 'alerts'" }],
    });
  });

  it('refuses alerts that are not a list', () => {
    expect(splitPayload({ ...validBody(), alerts: {} })).toEqual({
      ok: false,
      problems: [{ pointer: '/alerts', code: 'HST_SCHEMA_TYPE', message: 'alerts must be array', hint: 'change the value to the type the schema asks for' }],
    });
  });

  it('reports every wrongly typed field of an alert at once', () => {
    const body = { ...validBody(), alerts: [{ status: 'pending', labels: { alertname: 'NodeDown', port: 9100 }, startsAt: '2026-11-21T07:00:00Z', fingerprint: 'XYZ' }] };
    expect(splitPayload(body)).toEqual({
      ok: false,
      problems: [
        { pointer: '/alerts/0/status', code: 'HST_SCHEMA_ENUM', message: 'alerts[0] (alertname "NodeDown"): status is "pending", not one of "firing", "resolved"', hint: 'use one of firing, resolved' },
        { pointer: '/alerts/0/labels/port', code: 'HST_SCHEMA_TYPE', message: 'alerts[0] (alertname "NodeDown"): port must be string', hint: 'change the value to the type the schema asks for' },
        { pointer: '/alerts/0/fingerprint', code: 'HST_SCHEMA_PATTERN', message: 'alerts[0] (alertname "NodeDown"): fingerprint "XYZ" does not match ^[0-9a-f]{16}$', hint: 'change the value to the required form' },
      ],
    });
  });

  it('refuses an alert without labels and a negative truncatedAlerts', () => {
    const body = { ...validBody(), truncatedAlerts: -1, alerts: [{ status: 'firing', startsAt: '2026-11-21T07:00:00Z' }] };
    const result = splitPayload(body);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => [p.pointer, p.code, p.message])).toEqual([
      ['/truncatedAlerts', 'HST_SCHEMA_RANGE', 'truncatedAlerts must be >= 0'],
      ['/alerts/0', 'HST_SCHEMA_REQUIRED', "alerts[0] (alertname none): missing required field 'labels'"],
    ]);
  });

  it('refuses an alert without startsAt, naming it by index and alertname', () => {
    const body = { ...validBody(), alerts: [{ status: 'firing', labels: { alertname: 'NodeDown' }, startsAt: '2026-11-21T07:00:00Z' }, { status: 'firing', labels: { alertname: 'ServiceDown' } }] };
    expect(splitPayload(body)).toEqual({
      ok: false,
      problems: [{ pointer: '/alerts/1', code: 'HST_SCHEMA_REQUIRED', message: 'alerts[1] (alertname "ServiceDown"): missing required field \'startsAt\'', hint: "add 'startsAt'" }],
    });
  });

  it.each(['', 'yesterday', '2026-13-01T00:00:00Z', '2026-11-21 07:00', '1700000000'])('refuses an alert whose startsAt is not a date: %j', (startsAt) => {
    const body = { ...validBody(), alerts: [{ status: 'firing', labels: { alertname: 'NodeDown' }, startsAt }] };
    expect(splitPayload(body)).toEqual({
      ok: false,
      problems: [{ pointer: '/alerts/0/startsAt', code: 'HST_SCHEMA', message: 'alerts[0] (alertname "NodeDown"): startsAt must match format "date-time"', hint: 'see the schema under schemas/' }],
    });
  });

  it('takes the startsAt forms Alertmanager sends', () => {
    for (const startsAt of ['2026-11-21T07:08:15.667Z', '2026-11-21T07:08:15.667123456Z', '2026-11-21T08:08:15+01:00']) {
      expect(splitPayload({ ...validBody(), alerts: [{ status: 'firing', labels: { alertname: 'NodeDown' }, startsAt }] }).ok).toBe(true);
    }
  });

  it.each([[[]], ['alerts'], [null], [42]])('refuses a body that is not an object: %j', (body) => {
    expect(splitPayload(body)).toEqual({
      ok: false,
      problems: [{ pointer: '', code: 'HST_SCHEMA_TYPE', message: 'document must be object', hint: 'change the value to the type the schema asks for' }],
    });
  });
});

describe('fingerprint', () => {
  /** Every captured payload, here and in the shared fixtures the captures came from. */
  const DIRS = [join(packageRoot(), 'test', 'fixtures', 'alertmanager'), join(packageRoot(), '..', 'shared', 'fixtures', 'alertmanager')];
  const files = DIRS.flatMap((dir) => readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => join(dir, f)));
  const cases = files.flatMap((file) => (JSON.parse(readFileSync(file, 'utf8')) as RawPayload).alerts.map((alert) => ({ name: file, alert })));

  it('is checked against every alert of every fixture', () => {
    expect(files.length).toBeGreaterThanOrEqual(2 * 16);
    expect(cases.length).toBeGreaterThan(2 * 908);
  });

  it("equals Alertmanager's fingerprint for every alert of every fixture", () => {
    const wrong = cases.filter(({ alert }) => fingerprint(alert.labels) !== alert.fingerprint).map(({ name, alert }) => `${name}: ${alert.fingerprint}`);
    expect(wrong).toEqual([]);
  });

  it("is computed with Alertmanager's algorithm when an alert comes without one", () => {
    const body = fixtureBody('node-down-two-instances.json') as RawPayload;
    const stripped = { ...body, alerts: body.alerts.map(({ fingerprint: _fp, ...alert }) => alert) };
    const result = splitPayload(stripped);
    expect(result.ok && result.payload.alerts.map((a) => a.fingerprint)).toEqual(['62bf957d7b6668be', '5da2f060dcf25751']);
  });

  it('equals FNV-1a 64 computed with BigInt, over names and values in any script', () => {
    const samples: Record<string, string>[] = [
      { alertname: 'NodeDown', instance: 'web-1:9100' },
      { alertname: 'Über', 'zone': '東京', note: 'emoji 🚨 and \u202e and \u0000' },
      { '\ue000': 'private use', '😀': 'astral name' },
      { a: 'x'.repeat(10_000) },
    ];
    for (const labels of samples) expect(fingerprint(labels)).toBe(referenceFingerprint(labels));
  });

  it('does not depend on the order labels are written in', () => {
    expect(fingerprint({ job: 'node', alertname: 'NodeDown' })).toBe(fingerprint({ alertname: 'NodeDown', job: 'node' }));
    expect(fingerprint({ a: 'bc' })).not.toBe(fingerprint({ ab: 'c' }));
    expect(fingerprint({})).toBe('cbf29ce484222325');
  });
});

/** The algorithm written the plain way: 64-bit BigInt arithmetic, names in UTF-8 byte order. */
function referenceFingerprint(labels: Record<string, string>): string {
  let hash = 0xcbf29ce484222325n;
  const add = (bytes: Uint8Array) => {
    for (const byte of bytes) hash = ((hash ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
  };
  const names = Object.keys(labels).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  for (const name of names) {
    add(Buffer.from(name));
    add(Buffer.from([0xff]));
    add(Buffer.from(labels[name]!));
    add(Buffer.from([0xff]));
  }
  return hash.toString(16).padStart(16, '0');
}

describe('a fingerprint sent by the caller', () => {
  const labelsA = { alertname: 'NodeDown', instance: 'web-1:9100' };
  const labelsB = { alertname: 'NodeDown', instance: 'web-2:9100' };
  const alert = (labels: Record<string, string>, sent: string) => ({ status: 'firing', labels, startsAt: '2026-11-21T07:00:00Z', fingerprint: sent });

  it('is replaced by the one computed from the labels, and each difference is reported', () => {
    const result = splitPayload({ ...validBody(), alerts: [alert(labelsA, fingerprint(labelsA)), alert(labelsB, fingerprint(labelsA))] });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.payload.alerts.map((a) => a.fingerprint)).toEqual([fingerprint(labelsA), fingerprint(labelsB)]);
    expect(result.fingerprintMismatches).toEqual([{ index: 1, sent: fingerprint(labelsA), computed: fingerprint(labelsB) }]);
  });

  it('reports nothing for the captured payloads', () => {
    for (const name of FIXTURES) {
      const result = splitPayload(fixtureBody(name));
      expect(result.ok && result.fingerprintMismatches).toEqual([]);
    }
  });
});
