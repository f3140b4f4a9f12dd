/**
 * deploy/grafana/homeostat-dashboard.json: every PromQL expression passes the real Prometheus
 * parser (promtool check rules, the expressions as recording rules), and every metric it reads
 * is one the built `serve` exports on /metrics (read from a running engine: prom-client lists a
 * metric with no samples yet by its # HELP and # TYPE lines; a histogram's series are its
 * _bucket, _sum and _count).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { TOKEN, writeRepo } from '../helpers/engine.js';
import { requireCommand } from '../helpers/processes.js';
import { scriptRepo, servedForFile } from '../helpers/serve.js';
import { ROOT } from './run-cli.js';

interface Panel {
  title: string;
  type: string;
  targets?: { expr: string }[];
}
interface Dashboard {
  panels: Panel[];
  templating: { list: { name: string; definition?: string }[] };
}

const dashboard = JSON.parse(readFileSync(join(ROOT, 'deploy/grafana/homeostat-dashboard.json'), 'utf8')) as Dashboard;
const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
const variableQueries = dashboard.templating.list.flatMap((v) => (v.definition ? [{ panel: `variable ${v.name}`, expr: v.definition }] : []));

/** PromQL words that are not metric names (aggregations, keywords); functions are told by their '('. */
const NOT_METRICS = new Set(['sum', 'min', 'max', 'avg', 'count', 'stddev', 'stdvar', 'topk', 'bottomk', 'quantile', 'count_values', 'group', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'inf', 'nan']);

/** The metric names a PromQL expression (with Grafana variables) selects. */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""') // strings
    .replace(/\$\{?\w+\}?/g, ' ') // Grafana variables
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // ranges and subqueries
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ') // label lists
    .replace(/\boffset\s+-?\w+/g, ' ')
    .replace(/\b\d[\w.]*/g, ' '); // numbers and durations
  const names = new Set<string>();
  for (const [, name, call] of bare.matchAll(/([A-Za-z_:][\w:]*)\s*(\()?/g)) {
    if (!call && !NOT_METRICS.has(name!)) names.add(name!);
  }
  return [...names];
}

/** The metric names a /metrics text exports, with a histogram's and a summary's series. */
function exported(text: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name!);
    if (type === 'histogram') ['_bucket', '_sum', '_count'].forEach((s) => names.add(`${name}${s}`));
    if (type === 'summary') ['_sum', '_count'].forEach((s) => names.add(`${name}${s}`));
  }
  for (const [, name] of text.matchAll(/^([A-Za-z_:][\w:]*)(?:\{| )/gm)) names.add(name!);
  return names;
}

const served = servedForFile('homeostat-dashboard-', (root) => {
  writeRepo(join(root, 'repo'), scriptRepo('noop', 'NeverFires', '#!/bin/sh\nexit 0\n'));
  return { args: ['--policies', join(root, 'repo')], env: { HOMEOSTAT_WEBHOOK_TOKEN: TOKEN } };
});

const tmp = mkdtempSync(join(tmpdir(), 'homeostat-dash-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('deploy/grafana: the dashboard', () => {
  it('reads metric names as PromQL selects them', () => {
    expect(metricNames('sum by (type, le) (rate(homeostat_action_duration_seconds_bucket{job=~"$job", x="a{b}"}[$__rate_interval])) / on (x) group_left (y) b_total offset 5m > 0.5')).toEqual([
      'homeostat_action_duration_seconds_bucket',
      'b_total',
    ]);
    expect(metricNames('label_values(homeostat_ready, job)')).toEqual(['homeostat_ready', 'job']);
  });

  it('has expressions that the real Prometheus parser accepts', () => {
    const promtool = requireCommand('promtool', 'prometheus');
    // Grafana's variables as Prometheus would get them once Grafana has substituted them.
    const substitute = (expr: string) => expr.replace(/\$__rate_interval|\$__range|\$__interval/g, '5m').replace(/\$job/g, '.+');
    const rules = exprs.map((e, i) => ({ record: `homeostat:dashboard_${i}`, expr: substitute(e.expr) }));
    const file = join(tmp, 'dashboard-rules.yml');
    writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules }] }));
    const result = spawnSync(promtool, ['check', 'rules', file], { encoding: 'utf8' });
    expect(result.stdout + result.stderr).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(result.status).toBe(0);
  });

  it('queries only metrics the running engine exports', async () => {
    const known = exported(await (await fetch(`${served.url}/metrics`)).text());
    expect(known.has('homeostat_ready')).toBe(true);
    const unknown = [...exprs, ...variableQueries].flatMap(({ panel, expr }) => metricNames(expr).filter((name) => name !== 'job' && !known.has(name)).map((name) => `${panel}: ${name}`));
    expect(unknown).toEqual([]);
  });

  it('shows decisions by verdict, actions by type and outcome, action duration, queue, audit backlog, refusals by guard, the active revision and the recovery metrics', () => {
    const used = new Set(exprs.flatMap((e) => metricNames(e.expr)));
    for (const name of [
      'homeostat_decisions_total', 'homeostat_actions_total', 'homeostat_action_duration_seconds_bucket', 'homeostat_queue_depth', 'homeostat_audit_backlog',
      'homeostat_refusals_total', 'homeostat_policy_active_info', 'homeostat_remediation_effective_total', 'homeostat_remediation_ineffective_total',
      'homeostat_time_to_remediation_seconds_bucket',
    ]) {
      expect(used, name).toContain(name);
    }
    const byLegend = exprs.map((e) => e.expr).join('\n');
    expect(byLegend).toContain('sum by (verdict)');
    expect(byLegend).toContain('sum by (type, outcome)');
    expect(byLegend).toContain('sum by (guard)');
  });
});
