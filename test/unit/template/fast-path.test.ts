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
  '{% if labels.missing %}{{ target }}{% endif %}',
  '{% if labels.missing %}a{% elsif labels.empty %}[{{ labels.empty }}]{% else %}c{% endif %}',
  '{% if labels.missing %}a{% elsif labels.gone %}b{% else %}c{% endif %}!',
  '{% if labels.instance %}{% if annotations.summary %}{{ annotations.summary }}{% else %}none{% endif %} on {{ labels.instance | host }}{% endif %}',
  ':rotating_light: {{ labels.alertname }} {%- if labels.instance %} on {{ labels.instance }}{% elsif labels.pod %} in pod {{ labels.namespace }}/{{ labels.pod }}{% endif %}: {% if annotations.summary %}{{ annotations.summary }}{% else %}no summary{% endif %}',
  '{{ labels.alertname }}: {% if annotations.summary %}{{ annotations.summary }}{% else %}critical{% endif %}',
  'a \t\r {%- if labels.instance -%} \t\r\n\nb {%- endif -%}\n c',
  'a\n{%- if labels.instance %}b{% endif -%}\n\n',
  '{% if labels.missing %}{{ labels.missing }}{% else %}{{ labels.gone }}{% endif %}',
  '{% if labels.instance %}{{ labels.gone }}{% endif %}',
  '{% if alert.count %}n{% endif %}',
  '{% if alert.nothing.deeper %}n{% endif %}',
  '{% if labels.size %}n{% endif %}',
  '{% if labels.__proto__ %}own{% endif %}',
  '{% if labels.toLiquid %}t{% endif %}',
  '{% if labels.instance %}a{% else %}b{% elsif labels.pod %}c{% endif %}',
  '{% if labels.instance %}unclosed',
  '{% endif %}',
  '{% unless labels.instance %}u{% endunless %}',
  '{% if labels.instance == "x" %}eq{% endif %}',
  '{%- if labels.instance %}{{- target }}{% endif %}',
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
    for (const source of ['{% if labels.instance %}on {{ target }}{% elsif labels.pod %}pod{% else %}-{% endif %}', ' {%- if x -%} y {%- endif -%} ']) expect(fastPath(source), source).not.toBeNull();
    for (const source of ['{% unless x %}y{% endunless %}', '{% if x == "y" %}z{% endif %}', '{% if x %}y', '{% if x %}{% else %}{% elsif y %}{% endif %}', '{{ x | upcase }}', '{{- x }}', '{{ x | append: "y" }}', '{{ labels.size }}', '{{ "lit" }}', 'a }} b']) expect(fastPath(source), source).toBeNull();
  });

  it('answers only own string values, and leaves the rest (missing, numbers, throwing filters) to Liquid', () => {
    const fast = (source: string) => fastPath(source)!(scope);
    expect(fast('{{ labels.instance | host }}')).toBe('web-2');
    expect(fast('{{ labels.missing }}')).toBeUndefined();
    expect(fast('{{ alert.count }}')).toBeUndefined();
    expect(fast('{{ labels.badpod | pod_deployment }}')).toBeUndefined();
    expect(fast('{{ labels.constructor }}')).toBeUndefined();
    expect(fast('{{ alert.hasOwnProperty }}')).toBeUndefined();
    expect(fast('{% if labels.missing %}a{% else %}b{% endif %}')).toBe('b');
    expect(fast('{% if labels.empty %}a{% else %}b{% endif %}')).toBe('a');
    expect(fast('{% if alert.count %}a{% endif %}')).toBeUndefined();
  });
});
