/**
 * deploy/prometheus/prometheusrule.yaml: its groups pass the real `promtool check rules`, every
 * alertname a bundled policy matches has a rule that gives the labels the policy requires, and
 * both Alertmanager receivers in deploy/alertmanager/ route every one of them to the engine.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { ROOT } from '../e2e/run-cli.js';
import { requireCommand } from '../helpers/processes.js';

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  labels?: Record<string, string>;
}

const rule = parse(readFileSync(join(ROOT, 'deploy/prometheus/prometheusrule.yaml'), 'utf8')) as { apiVersion: string; kind: string; spec: { groups: { name: string; rules: Rule[] }[] } };
const alerts = new Map(rule.spec.groups.flatMap((g) => g.rules).filter((r) => r.alert).map((r) => [r.alert!, r]));

type Matcher = string | string[] | Record<string, unknown>;
interface Policy {
  kind: string;
  metadata: { name: string };
  spec: { match?: Record<string, Matcher> };
}

/** The bundled policies, as their files hold them. */
function bundledPolicies(): Policy[] {
  const dir = join(ROOT, 'rules');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') && !f.endsWith('.test.yaml'))
    .flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJS() as Policy))
    .filter((p) => p.kind === 'Policy');
}

/** The alertnames a policy matches on by equality or list (none when it matches by other labels). */
function alertnamesOf(policy: Policy): string[] {
  const matcher = policy.spec.match?.alertname;
  if (typeof matcher === 'string') return [matcher];
  if (Array.isArray(matcher)) return matcher;
  return [];
}

const policies = bundledPolicies();
const handled = [...new Set(policies.flatMap(alertnamesOf))].sort();
const tmp = mkdtempSync(join(tmpdir(), 'homeostat-rules-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function promtoolCheck(groups: unknown): { status: number | null; output: string } {
  const promtool = requireCommand('promtool', 'prometheus');
  const file = join(tmp, `rules-${Math.random().toString(36).slice(2)}.yml`);
  writeFileSync(file, stringify({ groups }));
  const result = spawnSync(promtool, ['check', 'rules', file], { encoding: 'utf8' });
  return { status: result.status, output: result.stdout + result.stderr };
}

describe('deploy/prometheus: PrometheusRule examples', () => {
  it('is a PrometheusRule whose groups pass promtool check rules', () => {
    expect([rule.apiVersion, rule.kind]).toEqual(['monitoring.coreos.com/v1', 'PrometheusRule']);
    const result = promtoolCheck(rule.spec.groups);
    expect(result.output).toContain(`SUCCESS: ${alerts.size} rules found`);
    expect(result.status).toBe(0);
  });

  it('fails promtool when an expression is broken (the check is real)', () => {
    const broken = structuredClone(rule.spec.groups);
    broken[0]!.rules[0]!.expr = 'sum by (instance (up)';
    expect(promtoolCheck(broken).status).not.toBe(0);
  });

  it('has a rule for every alertname a bundled policy matches', () => {
    expect(handled.length).toBeGreaterThan(5);
    expect(handled.filter((name) => !alerts.has(name))).toEqual([]);
  });

  it("gives each alert the fixed labels its policies require by equality (heal: 'true' …)", () => {
    const missing: string[] = [];
    for (const policy of policies) {
      for (const name of alertnamesOf(policy)) {
        for (const [label, matcher] of Object.entries(policy.spec.match ?? {})) {
          if (label === 'alertname' || typeof matcher !== 'string') continue;
          if (alerts.get(name)?.labels?.[label] !== matcher) missing.push(`${policy.metadata.name}: ${name} needs ${label}="${matcher}"`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it('routes every handled alertname to the engine in both Alertmanager receivers', () => {
    const plain = parse(readFileSync(join(ROOT, 'deploy/alertmanager/alertmanager.yml'), 'utf8')) as { route: { routes: { receiver: string; matchers: string[] }[] } };
    const plainRegex = plain.route.routes.filter((r) => r.receiver === 'homeostat').flatMap((r) => r.matchers).map((m) => /^alertname=~"(.*)"$/.exec(m)?.[1]).find(Boolean)!;
    const operator = parse(readFileSync(join(ROOT, 'deploy/alertmanager/alertmanagerconfig.yaml'), 'utf8')) as { spec: { route: { routes: { matchers: { name: string; matchType: string; value: string }[] }[] } } };
    const operatorRegex = operator.spec.route.routes.flatMap((r) => r.matchers).find((m) => m.name === 'alertname' && m.matchType === '=~')!.value;
    for (const regex of [plainRegex, operatorRegex]) {
      // Anchored, as Alertmanager anchors its matchers.
      const re = new RegExp(`^(?:${regex})$`);
      expect(handled.filter((name) => !re.test(name))).toEqual([]);
    }
  });
});
