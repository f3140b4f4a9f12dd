import { describe, expect, it } from 'vitest';
import { compilePromql, escapePromqlString, quoteRegex, renderPromql } from '../../../engine/template/promql.js';
import { TemplateRenderError } from '../../../engine/template/template.js';

const scope = (labels: Record<string, string>) => ({ labels, annotations: {}, alert: {}, group: {} });

function render(source: string, labels: Record<string, string>): string {
  const { template, problems } = compilePromql(source);
  expect(problems).toEqual([]);
  return renderPromql(template!, scope(labels));
}

describe('PromQL query templates', () => {
  it('escapes a value as the inside of the string it stands in', () => {
    const query = 'node_load1{instance="{{ labels.instance }}"}';
    expect(render(query, { instance: 'web-1:9100' })).toBe('node_load1{instance="web-1:9100"}');
    expect(render(query, { instance: '"} or vector(1) or {"' })).toBe('node_load1{instance="\\"} or vector(1) or {\\""}');
    expect(render(query, { instance: 'a\\"b\nc\u0000' })).toBe('node_load1{instance="a\\\\\\"b\\x0ac\\x00"}');
    expect(render("up{job='{{ labels.job }}'}", { job: `it's "x"` })).toBe(`up{job='it\\'s "x"'}`);
  });

  it('regex-quotes a value in a =~ or !~ matcher, and only there', () => {
    expect(render('up{instance=~"{{ labels.instance }}:.*", job!~ "{{ labels.job }}"}', { instance: 'web.1', job: '.*' })).toBe('up{instance=~"web\\\\.1:.*", job!~ "\\\\.\\\\*"}');
    expect(render('up{instance="{{ labels.instance }}"} > 0 and on() vector(1) == 1', { instance: 'web.1' })).toBe('up{instance="web.1"} > 0 and on() vector(1) == 1');
  });

  it('renders filters, and throws on a missing label as every template does', () => {
    expect(render('node_load1{instance=~"{{ labels.instance | host }}:.*"}', { instance: 'web-1:9100' })).toBe('node_load1{instance=~"web-1:.*"}');
    const { template } = compilePromql('up{instance="{{ labels.instance }}"}');
    expect(() => renderPromql(template!, scope({}))).toThrow(TemplateRenderError);
  });

  it('refuses an output outside a quoted string, in a raw string or in a comment', () => {
    const codes = (source: string) => compilePromql(source).problems.map((p) => p.code);
    expect(codes('node_load1{instance={{ labels.instance }}}')).toEqual(['HST_PROMQL_UNQUOTED']);
    expect(codes('node_load1{instance="x"} > {{ labels.threshold }}')).toEqual(['HST_PROMQL_UNQUOTED']);
    expect(codes('up{instance=`{{ labels.instance }}`}')).toEqual(['HST_PROMQL_UNQUOTED']);
    expect(codes('up # {{ labels.instance }}\n')).toEqual(['HST_PROMQL_UNQUOTED']);
    // An escaped quote does not end the string: the output is still inside it.
    expect(codes('up{a="x\\"{{ labels.a }}"}')).toEqual([]);
    expect(codes('up{a="x\\\\"{{ labels.a }}"}')).toEqual(['HST_PROMQL_UNQUOTED']);
  });

  it('refuses tags, whitespace control, unclosed strings and unknown variables', () => {
    const codes = (source: string) => compilePromql(source).problems.map((p) => p.code);
    expect(codes('up{a="{% if labels.a %}x{% endif %}"}')).toEqual(['HST_PROMQL_TEMPLATE']);
    expect(codes('up{a="{{- labels.a }}"}')).toEqual(['HST_PROMQL_TEMPLATE']);
    expect(codes('up{a="{{ labels.a }}}')).toEqual(['HST_PROMQL_TEMPLATE']);
    expect(codes('up{a="{{ labels.a "}')).toEqual(['HST_PROMQL_TEMPLATE']);
    expect(codes('up{a="{{ target }}"}')).toEqual(['HST_TEMPLATE_UNKNOWN_VARIABLE']);
    expect(codes('up{a="{{ enrichment.load }}"}')).toEqual(['HST_TEMPLATE_UNKNOWN_VARIABLE']);
    expect(codes('up')).toEqual([]);
  });

  it('escapes as Prometheus reads strings back, and quotes regex metacharacters as RE2 does', () => {
    expect(escapePromqlString(`a"b'c\\d\te\x7f`, '"')).toBe(`a\\"b'c\\\\d\\x09e\\x7f`);
    expect(escapePromqlString(`a"b'c`, "'")).toBe(`a"b\\'c`);
    expect(quoteRegex('a.b*c+d?e(f)g|h[i]j{k}l^m$n\\o')).toBe('a\\.b\\*c\\+d\\?e\\(f\\)g\\|h\\[i\\]j\\{k\\}l\\^m\\$n\\\\o');
  });
});
