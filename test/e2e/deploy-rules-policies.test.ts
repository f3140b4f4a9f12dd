/**
 * The PrometheusRule examples against the bundled policies, end to end with real tools: the
 * real `promtool test rules` evaluates each rule on synthetic series and asserts the alert it
 * fires, labels and summary (test/fixtures/deploy/prometheus-rule-cases.json); each of those
 * alerts, sent as a webhook payload to the built `simulate` over the bundled rules/, is decided
 * by the policy it is for, its target and parameters rendered from the rule's labels.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { requireCommand } from '../helpers/processes.js';
import { ROOT, runCli } from './run-cli.js';

interface Case {
  alert: string;
  policy: string;
  evalTime: string;
  series: { series: string; values: string }[];
  labels: Record<string, string>;
  summary: string;
}

const cases = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/deploy/prometheus-rule-cases.json'), 'utf8')) as Case[];
const rule = parse(readFileSync(join(ROOT, 'deploy/prometheus/prometheusrule.yaml'), 'utf8')) as { spec: { groups: { name: string; rules: { alert?: string }[] }[] } };
const tmp = mkdtempSync(join(tmpdir(), 'homeostat-rule-cases-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function promtoolTest(all: readonly Case[]): { status: number | null; output: string } {
  const promtool = requireCommand('promtool', 'prometheus');
  writeFileSync(join(tmp, 'rules.yml'), stringify({ groups: rule.spec.groups }));
  const tests = all.map((c) => ({
    interval: '1m',
    input_series: c.series,
    alert_rule_test: [{ eval_time: c.evalTime, alertname: c.alert, exp_alerts: [{ exp_labels: c.labels, exp_annotations: { summary: c.summary } }] }],
  }));
  const file = join(tmp, `test-${Math.random().toString(36).slice(2)}.yml`);
  writeFileSync(file, stringify({ rule_files: ['rules.yml'], evaluation_interval: '1m', tests }));
  const result = spawnSync(promtool, ['test', 'rules', file], { encoding: 'utf8', cwd: tmp });
  return { status: result.status, output: result.stdout + result.stderr };
}

describe('deploy/prometheus rules feed the bundled policies', () => {
  it('fires each example alert with the labels the cases expect (promtool test rules)', () => {
    const result = promtoolTest(cases);
    expect(result.output).toContain('SUCCESS');
    expect(result.status).toBe(0);
  });

  it('fails promtool when an expected label is wrong (the check is real)', () => {
    const wrong = structuredClone(cases[0]!);
    wrong.labels.instance = 'elsewhere:9100';
    expect(promtoolTest([wrong]).status).not.toBe(0);
  });

  it("has a case for every example alert that a bundled policy handles, and leaves a control-plane node's CPU alone", () => {
    const names = cases.map((c) => c.alert);
    expect(new Set(names).size).toBe(names.length);
    // Every example but the engine's own alerts (deploy-prometheus.test.ts: one for each alertname a policy matches).
    const examples = rule.spec.groups.filter((g) => g.name !== 'homeostat-engine').flatMap((g) => g.rules.map((r) => r.alert!));
    expect([...names].sort()).toEqual([...examples].sort());
    // The NodeHighCPU case has a control-plane node as hot as the worker: only the worker fires.
    expect(cases.find((c) => c.alert === 'NodeHighCPU')!.series.some((s) => s.series.includes('heal-control-plane'))).toBe(true);
  });

  it('has each alert decided by its policy, with nothing missing to render its target and parameters', () => {
    const startsAt = '2026-12-01T10:00:00Z';
    const files = cases.map((c, i) => {
      const labels = { alertname: c.alert, ...c.labels };
      const file = join(tmp, `payload-${i}.json`);
      writeFileSync(file, JSON.stringify({
        version: '4', status: 'firing', receiver: 'homeostat', groupKey: `{}:{alertname="${c.alert}"}`, truncatedAlerts: 0,
        groupLabels: { alertname: c.alert }, commonLabels: labels, commonAnnotations: { summary: c.summary }, externalURL: 'http://alertmanager:9093',
        alerts: [{ status: 'firing', labels, annotations: { summary: c.summary }, startsAt, endsAt: '0001-01-01T00:00:00Z', generatorURL: 'http://prometheus:9090/graph' }],
      }));
      return file;
    });
    // A Tuesday at 10:05 UTC: inside every bundled window.
    const result = runCli(['simulate', ROOT, '--alerts', ...files, '--now', '2026-12-01T10:05:00Z', '--format', 'json']);
    expect(result.status, result.stderr).toBe(0);
    const decisions = (JSON.parse(result.stdout) as { decisions: { alert: { alertname: string }; policy: string; verdict: string; reason: string | null; target: string | null }[] }).decisions;
    for (const c of cases) {
      const mine = decisions.filter((d) => d.alert.alertname === c.alert && d.policy === c.policy);
      expect(mine.length, `${c.alert} decided by ${c.policy}`).toBeGreaterThan(0);
      for (const d of mine) {
        expect(d.verdict, `${c.alert} → ${c.policy}: ${d.reason}`).not.toBe('failed');
        expect(d.target, `${c.alert} → ${c.policy}`).toBeTruthy();
      }
    }
  });
});
