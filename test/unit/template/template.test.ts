import { describe, it, expect } from 'vitest';
import { toLabelMap } from '../../../engine/alerts/labels.js';
import { compileTemplate, renderTemplate, TemplateRenderError } from '../../../engine/template/template.js';
import type { TemplateProblem } from '../../../engine/template/template.js';
import { liquid } from '../../../engine/template/liquid.js';
import { Evaluator } from '../../../engine/policy/evaluate.js';
import { decide } from '../../../engine/plan/decide.js';
import { IndexedLedger } from '../../../engine/plan/ledger.js';
import { inlineAlert } from '../../helpers/alerts.js';
import { loadInline, policySet, policyYaml } from '../../helpers/policies.js';

const scope = {
  labels: toLabelMap({
    alertname: 'ServiceDown',
    instance: 'web-2:9100',
    name: 'nginx.service',
    pod: 'checkout-7d9f8b6c5-x2x9z',
    evil: '{{ 7*7 }}',
    tag: "{% include '/etc/passwd' %}",
  }),
  annotations: toLabelMap({ summary: 'nginx.service failed on web-2' }),
  alert: { status: 'firing', fingerprint: '0123456789abcdef' },
  target: 'web-2',
};

/** Compiles (refusing any problem) and renders. */
function render(source: string, on: object = scope): string {
  const { template, problems } = compileTemplate(source);
  expect(problems).toEqual([]);
  return renderTemplate(template, on);
}

/** The error a render throws, as the audit would show it. */
function renderError(source: string, on: object = scope): { message: string; missing: string | null } {
  try {
    render(source, on);
  } catch (error) {
    expect(error).toBeInstanceOf(TemplateRenderError);
    return { message: (error as TemplateRenderError).message, missing: (error as TemplateRenderError).missing };
  }
  throw new Error(`${source} rendered without error`);
}

function problemsOf(source: string): TemplateProblem[] {
  return compileTemplate(source).problems;
}

describe('templates: strict variables', () => {
  it('renders labels, annotations, alert fields and the target', () => {
    expect(render('{{ labels.name }} on {{ target }}: {{ annotations.summary }} ({{ alert.fingerprint }})')).toBe(
      'nginx.service on web-2: nginx.service failed on web-2 (0123456789abcdef)',
    );
  });

  it('leaves a string without template syntax as written', () => {
    const { template, problems } = compileTemplate('playbooks/restart.yml');
    expect(problems).toEqual([]);
    expect(template.parsed).toBeNull();
    expect(renderTemplate(template, {})).toBe('playbooks/restart.yml');
  });

  it('fails on a missing label, naming it, instead of rendering an empty string', () => {
    expect(renderError('restart {{ labels.unit }}')).toEqual({ message: "label 'unit' is missing", missing: 'labels.unit' });
  });

  it('fails on a missing annotation or alert field, naming its path', () => {
    expect(renderError('{{ annotations.runbook }}')).toEqual({ message: "'annotations.runbook' is missing", missing: 'annotations.runbook' });
    expect(renderError('{{ alert.nope }}')).toEqual({ message: "'alert.nope' is missing", missing: 'alert.nope' });
  });

  it('fails on a missing label even when a filter follows it', () => {
    expect(renderError('{{ labels.unit | host }}')).toEqual({ message: "label 'unit' is missing", missing: 'labels.unit' });
    expect(renderError('{{ labels.unit | upcase }}').message).toBe("label 'unit' is missing");
  });

  it('never reads a label map through its prototype', () => {
    for (const key of ['constructor', 'toString', 'hasOwnProperty', '__proto__', 'valueOf']) {
      expect(renderError(`{{ labels.${key} }}`)).toEqual({ message: `label '${key}' is missing`, missing: `labels.${key}` });
    }
  });

  it('fails on a missing label even when it is named like a Liquid property (size, first, last)', () => {
    // Liquid answers `.size` of an object with its key count; a missing label must still fail.
    expect(renderError('{{ labels.first }}').message).toBe("label 'first' is missing");
    expect(renderError('{{ labels.last }}').message).toBe("label 'last' is missing");
    expect(renderError('{{ labels.size }}').message).toBe("label 'size' is missing");
  });

  it('renders a label named size when the alert has one', () => {
    expect(render('{{ labels.size }}', { labels: toLabelMap({ size: 'xl' }) })).toBe('xl');
  });

  it('lets `if` test an optional label, and honours an explicit default', () => {
    expect(render('{% if labels.unit %}unit {{ labels.unit }}{% else %}no unit{% endif %}')).toBe('no unit');
    expect(render('{% if labels.name %}unit {{ labels.name }}{% endif %}')).toBe('unit nginx.service');
    expect(render("{{ labels.unit | default: 'all units' }}")).toBe('all units');
  });
});

describe('templates: filters', () => {
  it.each([
    ['web-1:9100', 'web-1'],
    ['10.0.3.21:9100', '10.0.3.21'],
    ['[::1]:9100', '::1'],
    ['[fe80::1]', 'fe80::1'],
    ['web-1', 'web-1'],
    ['web-1.example.com', 'web-1.example.com'],
    ['fe80::1', 'fe80::1'],
    ['2001:db8::1', '2001:db8::1'],
  ])('host of %s is %s', (instance, host) => {
    expect(render('{{ labels.instance | host }}', { labels: toLabelMap({ instance }) })).toBe(host);
  });

  it.each([
    ['checkout-7d9f8b6c5-x2x9z', 'checkout'],
    ['customer-rs-transformer-7b8c9d6f5-k2m4p', 'customer-rs-transformer'],
    ['cart-5f6d7c8b9-abcde', 'cart'],
  ])('pod_deployment of %s is %s', (pod, deployment) => {
    expect(render('{{ labels.pod | pod_deployment }}', { labels: toLabelMap({ pod }) })).toBe(deployment);
  });

  it('fails on a pod that is not named like a Deployment pod', () => {
    expect(renderError('{{ labels.pod | pod_deployment }}', { labels: toLabelMap({ pod: 'web-0' }) })).toEqual({
      message: "template failed: 'web-0' is not named like a Deployment's pod (NAME-HASH-XXXXX)",
      missing: null,
    });
  });

  it('reports an unknown filter when the template is compiled', () => {
    expect(problemsOf('{{ labels.instance | hostname }}')).toEqual([
      {
        code: 'HST_TEMPLATE_SYNTAX',
        message: 'template does not parse: undefined filter: hostname',
        hint: 'check the {{ }} and {% %} pairs and the filter names (host, pod_deployment and the Liquid standard filters)',
      },
    ]);
  });
});

describe('templates: what they may not do', () => {
  const forbidden = (tag: string) => ({
    code: 'HST_TEMPLATE_FORBIDDEN',
    message: `tag '${tag}' is not allowed in a template`,
    hint: 'use only if, elsif, else, unless, case, when, for, raw, comment, assign',
  });

  it.each([
    ["{% include 'secrets.yaml' %}", 'include'],
    ["{% render 'snippet' %}", 'render'],
    ["{% layout 'base' %}", 'layout'],
    ["{%- include '/etc/passwd' -%}", 'include'],
    ['{% liquid echo labels.name %}', 'liquid'],
  ])('reports the forbidden tag in %s', (source, tag) => {
    expect(problemsOf(source)).toEqual([forbidden(tag)]);
  });

  it('reports an unknown root variable', () => {
    expect(problemsOf('{{ env.HOME }} {{ labels.name }}')).toEqual([
      { code: 'HST_TEMPLATE_UNKNOWN_VARIABLE', message: "template uses unknown variable 'env'", hint: 'use one of labels, annotations, alert, group, enrichment, target' },
    ]);
    expect(problemsOf('{{ process.env }}').map((p) => p.message)).toEqual(["template uses unknown variable 'process'"]);
  });

  it('does not report a variable the template assigns itself', () => {
    expect(problemsOf('{% assign unit = labels.name %}{{ unit }}')).toEqual([]);
    expect(render('{% assign unit = labels.name %}restart {{ unit }}')).toBe('restart nginx.service');
  });

  it('does not let the target template use `target`', () => {
    const result = loadInline(policyYaml('self-target', `
      match: { alertname: X }
      target: '{{ target }}'
      actions:
        - name: say
          slack: { webhook: { env: W }, text: hi }
    `));
    expect(result.policySet).toBeNull();
    expect(result.diagnostics.filter((d) => d.severity === 'error').map((d) => [d.file, d.line, d.pointer, d.code, d.message])).toEqual([
      ['rules/p0.yaml', 7, '/spec/target', 'HST_TEMPLATE_UNKNOWN_VARIABLE', "template uses unknown variable 'target'"],
    ]);
  });

  it('places template problems of a policy on their line', () => {
    const result = loadInline(policyYaml('leaky', `
      match: { alertname: X }
      actions:
        - name: say
          slack:
            webhook: { env: W }
            text: "{% include '/etc/passwd' %}"
        - name: env
          slack: { webhook: { env: W }, text: '{{ env.SLACK_TOKEN }}' }
    `));
    expect(result.policySet).toBeNull();
    expect(result.diagnostics.filter((d) => d.severity === 'error').map((d) => [d.line, d.col, d.pointer, d.code])).toEqual([
      [11, 15, '/spec/actions/0/slack/text', 'HST_TEMPLATE_FORBIDDEN'],
      [13, 43, '/spec/actions/1/slack/text', 'HST_TEMPLATE_UNKNOWN_VARIABLE'],
    ]);
  });

  it('has no file access even when a template reaches the engine without the checks', () => {
    for (const source of ["{% include '/etc/passwd' %}", "{% render '/etc/hostname' %}", "{% layout '/etc/passwd' %}x"]) {
      let output: string | undefined;
      let failure: unknown;
      try {
        output = liquid.parseAndRenderSync(source, {});
      } catch (error) {
        failure = error;
      }
      expect(output).toBeUndefined();
      expect(String((failure as Error).message)).not.toMatch(/root:/);
    }
  });

  it('fails cleanly on a template that would render forever (the test timeout bounds a hang)', () => {
    const failure = renderError('{% for i in (1..1000) %}{% for j in (1..1000) %}{% for k in (1..1000) %}{% endfor %}{% endfor %}{% endfor %}');
    // A billion iterations: whichever of the engine's limits (time, memory) trips first.
    expect(failure).toEqual({ message: expect.stringMatching(/^template failed: (template render|memory alloc) limit exceeded$/), missing: null });
  });

  it('renders a short template even when the process is paused mid-render (GC, CPU starvation)', () => {
    // The render limit is wall-clock time from the start of the render: under load (an alert
    // storm, a CPU hog — the very moments alerts fire) a trivial template must still render.
    liquid.registerFilter('pause_150ms_for_test', (value: unknown) => {
      const until = performance.now() + 150;
      while (performance.now() < until); // a busy pause, as a descheduled process sees it
      return value;
    });
    expect(render('{{ labels.name | pause_150ms_for_test }} on {{ target }}')).toBe('nginx.service on web-2');
  });

  it('fails cleanly on a template that would allocate without bound', () => {
    expect(renderError('{% for i in (1..100000000) %}x{% endfor %}')).toEqual({ message: 'template failed: memory alloc limit exceeded', missing: null });
    expect(renderError('{% assign s = labels.name %}{% for i in (1..40) %}{% assign s = s | append: s %}{% endfor %}{{ s }}').message).toBe(
      'template failed: memory alloc limit exceeded',
    );
  });
});

describe('templates: labels are data, not template source', () => {
  it('renders a label holding {{ 7*7 }} literally', () => {
    expect(render('value: {{ labels.evil }}')).toBe('value: {{ 7*7 }}');
    expect(render('{{ labels.tag }}')).toBe("{% include '/etc/passwd' %}");
  });

  it('plans an action with the label value as written', async () => {
    const set = policySet(policyYaml('echo', `
      match: { alertname: Echo }
      actions:
        - name: say
          slack: { webhook: { env: W }, text: 'got {{ labels.payload }}' }
    `));
    const alert = inlineAlert({ labels: { alertname: 'Echo', payload: "{{ 7*7 }} {% include 'x' %}" } });
    const matches = await new Evaluator(set).evaluate(alert);
    const [decision] = decide(set, alert, matches, { now: Date.parse('2026-11-23T12:00:00Z'), dryRun: false, ledger: new IndexedLedger() });
    expect(decision).toMatchObject({ verdict: 'run', params: { webhook: { env: 'W' }, text: "got {{ 7*7 }} {% include 'x' %}" } });
  });
});
