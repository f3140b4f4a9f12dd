import { describe, it, expect } from 'vitest';
import { toLabelMap } from '../../../engine/alerts/labels.js';
import { fastPath } from '../../../engine/template/fast-path.js';
import { compileTemplate, renderTemplate } from '../../../engine/template/template.js';

// The fast path must say what Liquid says, or nothing: every template here is rendered both
// ways (Liquid alone, with the fast path switched off) and the answers compared.
const scope = {
  labels: toLabelMap({
    alertname: 'ServiceDown',
    instance: 'web-2:9100',
    v6: '[fe80::1]:9100',
    pod: 'checkout-7d9f8b6c5-x2x9z',
    badpod: 'checkout',
    evil: '{{ 7*7 }}',
    size: 'large',
    first: 'one',
    toLiquid: 'not a function',
    __proto__: 'own label',
    empty: '',
  }),
  annotations: toLabelMap({ summary: 'nginx.service failed on web-2' }),
  alert: { status: 'firing', fingerprint: '0123456789abcdef', count: 3 },
  group: { commonLabels: toLabelMap({ job: 'node' }) },
  target: 'web-2',
};

const TEMPLATES = [
  '{{ labels.instance }}',
  '{{labels.instance|host}}',
  '{{ labels.v6 | host }}',
  '{{ labels.pod | pod_deployment }}',
  '{{ labels.badpod | pod_deployment }}',
  'restart {{ labels.alertname }} on {{ target }} now',
  '{{ labels.evil }}',
  '{{ labels.__proto__ }}',
  '{{ labels.toLiquid }}',
  '{{ labels.empty }}x',
  '{{ labels.size }}',
  '{{ labels.first }}',
  '{{ labels.missing }}',
  '{{ labels.missing | host }}',
  '{{ alert.count }}',
  '{{ alert }}',
  '{{ alert.status.length }}',
  '{{ group.commonLabels.job }}',
  '{{ labels.instance | upcase }}',
  '{{ labels.instance | host | host }}',
  '{{- target -}} x',
  '{% if labels.instance %}{{ target }}{% endif %}',
  '{{ target }}}',
  'a { b } {{ target }}',
];

function liquidOnly(source: string): { ok: string } | { error: string } {
  const { template } = compileTemplate(source);
  try {
    return { ok: renderTemplate({ ...template, fast: null }, scope) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

function withFastPath(source: string): { ok: string } | { error: string } {
  const { template } = compileTemplate(source);
  try {
    return { ok: renderTemplate(template, scope) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

describe('template fast path', () => {
  it.each(TEMPLATES)('renders %j as Liquid does', (source) => {
    expect(withFastPath(source)).toEqual(liquidOnly(source));
  });

  it('takes the common templates, and leaves tags, unknown filters and whitespace control to Liquid', () => {
    for (const source of ['{{ labels.instance | host }}', 'restart {{ labels.job }} on {{ target }}', '{{ target }}']) expect(fastPath(source), source).not.toBeNull();
    for (const source of ['{% if x %}y{% endif %}', '{{ x | upcase }}', '{{- x }}', '{{ x | append: "y" }}', '{{ labels.size }}', '{{ "lit" }}', 'a }} b']) expect(fastPath(source), source).toBeNull();
  });

  it('answers only own string values, and leaves the rest (missing, numbers, throwing filters) to Liquid', () => {
    const fast = (source: string) => fastPath(source)!(scope);
    expect(fast('{{ labels.instance | host }}')).toBe('web-2');
    expect(fast('{{ labels.missing }}')).toBeUndefined();
    expect(fast('{{ alert.count }}')).toBeUndefined();
    expect(fast('{{ labels.badpod | pod_deployment }}')).toBeUndefined();
    expect(fast('{{ labels.constructor }}')).toBeUndefined();
    expect(fast('{{ alert.hasOwnProperty }}')).toBeUndefined();
  });
});
