/** replay --match: a PromQL selector is parsed into matchers and the query written back from them. */
import { describe, expect, it } from 'vitest';
import { alertsQuery, parseSelector, SelectorError } from '../../../engine/replay/selector.js';
import { parseAlertsText, TimelineError } from '../../../engine/alerts/timeline.js';

describe('parseSelector', () => {
  it('reads braces or none, every operator, both quotes and the escapes', () => {
    expect(parseSelector(`{severity="critical", job=~'node.*' ,env!="dev",team!="a\\"b\\\\"}`)).toEqual([
      { name: 'severity', op: '=', value: 'critical' },
      { name: 'job', op: '=~', value: 'node.*' },
      { name: 'env', op: '!=', value: 'dev' },
      { name: 'team', op: '!=', value: 'a"b\\' },
    ]);
    expect(parseSelector('alertname="NodeDown"')).toEqual([{ name: 'alertname', op: '=', value: 'NodeDown' }]);
    expect(parseSelector('{}')).toEqual([]);
  });

  it.each([
    ['alertname=NodeDown', /expected a quoted value/],
    ['{a="b"} or vector(1)', /unexpected text after the selector/],
    ['{a="b"}}', /unexpected text after the selector/],
    ['{a="b" c="d"}', /expected , or }/],
    ['{alertstate="pending"}', /alertstate is set by replay itself/],
    ['{__name__="up"}', /__name__ is set by replay itself/],
    ['{a=~"(x"}', /^a=~: /],
    ['{a="unclosed}', /is not closed/],
    ['{a="\\q"}', /unknown escape/],
    ['{1a="b"}', /expected a label name/],
  ])('%s is refused', (text, message) => {
    expect(() => parseSelector(text)).toThrow(SelectorError);
    expect(() => parseSelector(text)).toThrow(message);
  });

  it('writes the query back from the matchers, values quoted whatever they hold', () => {
    expect(alertsQuery(parseSelector(`{name="x\\"} or vector(1) # \\n"}`))).toBe('ALERTS{alertstate="firing",name="x\\"} or vector(1) # \\n"}');
  });
});

describe('parseAlertsText', () => {
  it('reads a payload, or a timeline whose errors name their line', () => {
    const payload = { version: '4', status: 'firing', receiver: 'r', groupKey: 'k', groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: '', truncatedAlerts: 0, alerts: [{ status: 'firing', labels: { alertname: 'A' }, annotations: {}, startsAt: '2026-11-20T09:00:00Z', endsAt: '0001-01-01T00:00:00Z', generatorURL: '' }] };
    expect(parseAlertsText(JSON.stringify(payload))).toMatchObject([{ payload: { alerts: [{ alertname: 'A' }] } }]);
    const line = (at: string) => JSON.stringify({ at, payload });
    expect(parseAlertsText(`${line('2026-11-20T09:00:00Z')}\n\n${line('2026-11-20T09:01:00Z')}\n`).map((p) => p.at)).toEqual([Date.parse('2026-11-20T09:00:00Z'), Date.parse('2026-11-20T09:01:00Z')]);
    const bad = `${line('2026-11-20T09:00:00Z')}\n${line('yesterday')}\n`;
    expect(() => parseAlertsText(bad)).toThrow(TimelineError);
    expect(() => parseAlertsText(bad)).toThrow('"at" is "yesterday", not an ISO 8601 time');
    try {
      parseAlertsText(bad);
    } catch (error) {
      expect((error as TimelineError).line).toBe(2);
    }
  });
});
