import { describe, it, expect } from 'vitest';
import { fingerprint } from '../../../engine/alerts/fingerprint.js';
import { splitPayload } from '../../../engine/alerts/payload.js';
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
    alerts: [{ status: 'firing', labels: { alertname: 'NodeDown', instance: 'web-1:9100' } }],
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
    const body = { ...validBody(), alerts: [{ status: 'pending', labels: { alertname: 'NodeDown', port: 9100 }, fingerprint: 'XYZ' }] };
    expect(splitPayload(body)).toEqual({
      ok: false,
      problems: [
        { pointer: '/alerts/0/status', code: 'HST_SCHEMA_ENUM', message: 'status is "pending", not one of "firing", "resolved"', hint: 'use one of firing, resolved' },
        { pointer: '/alerts/0/labels/port', code: 'HST_SCHEMA_TYPE', message: 'port must be string', hint: 'change the value to the type the schema asks for' },
        { pointer: '/alerts/0/fingerprint', code: 'HST_SCHEMA_PATTERN', message: 'fingerprint "XYZ" does not match ^[0-9a-f]{16}$', hint: 'change the value to the required form' },
      ],
    });
  });

  it('refuses an alert without labels and a negative truncatedAlerts', () => {
    const body = { ...validBody(), truncatedAlerts: -1, alerts: [{ status: 'firing' }] };
    const result = splitPayload(body);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => [p.pointer, p.code])).toEqual([
      ['/truncatedAlerts', 'HST_SCHEMA_RANGE'],
      ['/alerts/0', 'HST_SCHEMA_REQUIRED'],
    ]);
  });

  it.each([[[]], ['alerts'], [null], [42]])('refuses a body that is not an object: %j', (body) => {
    expect(splitPayload(body)).toEqual({
      ok: false,
      problems: [{ pointer: '', code: 'HST_SCHEMA_TYPE', message: 'document must be object', hint: 'change the value to the type the schema asks for' }],
    });
  });
});

describe('fingerprint', () => {
  const cases = FIXTURES.flatMap((name) => (fixtureBody(name) as RawPayload).alerts.map((alert) => ({ name, alert })));

  it('is checked against every alert of every fixture', () => {
    expect(cases.length).toBe(FIXTURES.reduce((n, name) => n + (fixtureBody(name) as RawPayload).alerts.length, 0));
    expect(cases.length).toBeGreaterThan(908);
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

  it('does not depend on the order labels are written in', () => {
    expect(fingerprint({ job: 'node', alertname: 'NodeDown' })).toBe(fingerprint({ alertname: 'NodeDown', job: 'node' }));
    expect(fingerprint({ a: 'bc' })).not.toBe(fingerprint({ ab: 'c' }));
    expect(fingerprint({})).toBe('cbf29ce484222325');
  });
});
