/**
 * What a policy author sees for each kind of broken policy: the exact code and place of every
 * diagnostic, for the fixtures of test/fixtures/broken/ (one problem each), the hostile YAML
 * among them (bench/bounds.mjs times those), and the codes of engine/diagnostics/codes.ts kept covered.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CODES } from '../../../engine/diagnostics/codes.js';
import type { Code } from '../../../engine/diagnostics/codes.js';
import type { Diagnostic } from '../../../engine/diagnostics/diagnostic.js';
import { readRepository } from '../../../engine/load/read-dir.js';
import { loadRepository } from '../../../engine/load/repository.js';
import type { LoadResult, RepoFile } from '../../../engine/load/repository.js';
import { MAX_FILE_BYTES } from '../../../engine/load/yaml-source.js';
import { packageRoot } from '../../../engine/util/package-root.js';

const BROKEN = join(packageRoot(), 'test', 'fixtures', 'broken');

/** The one playbook the fixtures may reference. */
function exists(path: string): boolean {
  return path === 'playbooks/stop_cpu_hog.yml';
}

function load(files: RepoFile[], revision = 'rev-broken'): LoadResult {
  return loadRepository({ files, exists, revision });
}

function fixture(name: string): RepoFile {
  return { path: `rules/${name}`, text: readFileSync(join(BROKEN, name), 'utf8') };
}

type Placed = Pick<Diagnostic, 'file' | 'code' | 'line' | 'col' | 'pointer'>;

function placed(diagnostics: Diagnostic[]): Placed[] {
  return diagnostics.map(({ file, code, line, col, pointer }) => ({ file, code, line, col, pointer }));
}

/** Every code a case of this file expects; filled while the tests are collected. */
const covered = new Set<Code>();

/** The diagnostics a case expects, registered for the coverage check. */
function expected(list: Placed[]): Placed[] {
  list.forEach((d) => covered.add(d.code));
  return list;
}

function errors(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics.filter((d) => d.severity === 'error');
}

/**
 * The exact errors, each with a message (naming `names`) and a hint; no policy set. Warnings
 * are asserted by their own cases.
 */
function expectDiagnostics(result: LoadResult, want: Placed[], names: readonly string[] = []): void {
  expect(placed(errors(result.diagnostics))).toEqual(want);
  for (const d of errors(result.diagnostics)) {
    expect(d.message.trim()).not.toBe('');
    expect(d.hint.trim()).not.toBe('');
    for (const name of names) expect(d.message).toContain(name);
  }
  expect(result.policySet).toBeNull();
}

interface Case {
  code: Code;
  line: number;
  col: number;
  pointer: string;
  /** What the message must name: the offending value, key or field. */
  names?: string[];
  hostile?: boolean;
}

/** One problem per file: the diagnostic each fixture of test/fixtures/broken/ must yield. */
const FIXTURES: Record<string, Case> = {
  // hostile YAML: refused at parse time, each within the time budget
  'alias-bomb.yaml': { code: 'HST_YAML_ALIAS_BOMB', line: 1, col: 1, pointer: '', hostile: true },
  'duplicate-key.yaml': { code: 'HST_YAML_DUPLICATE_KEY', line: 20, col: 5, pointer: '', names: ['cooldown'], hostile: true },
  'merge-key.yaml': { code: 'HST_YAML_MERGE_KEY', line: 19, col: 7, pointer: '', names: ['<<'], hostile: true },
  'unknown-tag.yaml': { code: 'HST_YAML_UNKNOWN_TAG', line: 15, col: 16, pointer: '', names: ['!unsafe'], hostile: true },
  'yaml-syntax.yaml': { code: 'HST_YAML_SYNTAX', line: 10, col: 40, pointer: '', names: ['quote'] },
  'unknown-kind.yaml': { code: 'HST_KIND_UNKNOWN', line: 2, col: 7, pointer: '/kind', names: ['Rule'] },
  // structure (ajv)
  'missing-required.yaml': { code: 'HST_SCHEMA_REQUIRED', line: 14, col: 9, pointer: '/spec/actions/0/ansible', names: ['playbook'] },
  'unknown-field.yaml': { code: 'HST_SCHEMA_UNKNOWN_FIELD', line: 17, col: 3, pointer: '/spec/cooldown', names: ['cooldown'] },
  'wrong-type.yaml': { code: 'HST_SCHEMA_TYPE', line: 8, col: 13, pointer: '/spec/priority', names: ['priority'] },
  'bad-enum.yaml': { code: 'HST_SCHEMA_ENUM', line: 8, col: 7, pointer: '/spec/on', names: ['firng'] },
  'window-between-format.yaml': { code: 'HST_SCHEMA_PATTERN', line: 19, col: 57, pointer: '/spec/guards/window/between', names: ['9am-6pm'] },
  // 24:00 is the latest end of a day; 24:30 is no time of day
  'window-past-midnight.yaml': { code: 'HST_SCHEMA_PATTERN', line: 19, col: 57, pointer: '/spec/guards/window/between', names: ['18:00-24:30'] },
  'bad-label-name.yaml': { code: 'HST_SCHEMA_PATTERN', line: 10, col: 5, pointer: '/spec/match/team-name', names: ['team-name'] },
  'priority-out-of-range.yaml': { code: 'HST_SCHEMA_RANGE', line: 8, col: 13, pointer: '/spec/priority', names: ['priority'] },
  'bad-name.yaml': { code: 'HST_NAME_INVALID', line: 4, col: 9, pointer: '/metadata/name', names: ['Stop_CPU_Hog'] },
  'bad-duration.yaml': { code: 'HST_DURATION_INVALID', line: 18, col: 15, pointer: '/spec/guards/cooldown', names: ['5 minutes'] },
  // actions
  'unknown-action-type.yaml': { code: 'HST_ACTION_UNKNOWN_TYPE', line: 13, col: 7, pointer: '/spec/actions/0/ansibel', names: ['ansibel'] },
  'two-action-types.yaml': { code: 'HST_ACTION_TYPE_COUNT', line: 12, col: 7, pointer: '/spec/actions/0', names: ['ansible', 'slack'] },
  'duplicate-action.yaml': { code: 'HST_ACTION_DUPLICATE', line: 17, col: 13, pointer: '/spec/actions/1/name', names: ['stop-hog'] },
  // HST_SCHEMA keeps ajv's words (docs/diagnostics.md), which name the operation only
  'scale-replicas-and-by.yaml': { code: 'HST_SCHEMA', line: 16, col: 16, pointer: '/spec/actions/0/kubernetes/scale', names: ['scale'] },
  'missing-playbook.yaml': { code: 'HST_FILE_MISSING', line: 14, col: 19, pointer: '/spec/actions/0/ansible/playbook', names: ['playbooks/stop_cpu_hogs.yml'] },
  'path-outside-repo.yaml': { code: 'HST_PATH_OUTSIDE_REPO', line: 14, col: 19, pointer: '/spec/actions/0/ansible/playbook', names: ['../../etc/passwd'] },
  'notify-misplaced-on.yaml': { code: 'HST_NOTIFY_MISPLACED', line: 13, col: 11, pointer: '/spec/actions/0/on', names: ["'on'"] },
  'notify-disruptive.yaml': { code: 'HST_NOTIFY_DISRUPTIVE', line: 20, col: 13, pointer: '/spec/actions/0/notify/0/ansible', names: ['ansible'] },
  'url-template.yaml': { code: 'HST_TEMPLATE_IN_URL', line: 14, col: 14, pointer: '/spec/actions/0/http/url', names: ['http://{{labels.instance}}/api/stop-hog'] },
  // regexes
  'regex-backreference.yaml': { code: 'HST_REGEX_UNSAFE', line: 10, col: 24, pointer: '/spec/match/instance/regex', names: ['([a-z]+)-[0-9]+'] },
  'regex-lookahead.yaml': { code: 'HST_REGEX_UNSAFE', line: 10, col: 24, pointer: '/spec/match/instance/regex', names: ['(?!db-).*:9100'] },
  'regex-syntax.yaml': { code: 'HST_REGEX_SYNTAX', line: 10, col: 24, pointer: '/spec/match/instance/regex', names: ['(web|api-[0-9]+:9100'] },
  // templates
  'template-syntax.yaml': { code: 'HST_TEMPLATE_SYNTAX', line: 10, col: 11, pointer: '/spec/target', names: ['{{ labels.instance | host }'] },
  'template-unknown-variable.yaml': { code: 'HST_TEMPLATE_UNKNOWN_VARIABLE', line: 10, col: 11, pointer: '/spec/target', names: ["'label'"] },
  'template-include.yaml': { code: 'HST_TEMPLATE_FORBIDDEN', line: 21, col: 19, pointer: '/spec/actions/0/notify/0/slack/text', names: ['include'] },
  // when
  'unknown-fact.yaml': { code: 'HST_WHEN_UNKNOWN_FACT', line: 12, col: 15, pointer: '/spec/when/all/0/fact', names: ['promql'] },
  'unknown-operator.yaml': { code: 'HST_WHEN_UNKNOWN_OPERATOR', line: 14, col: 19, pointer: '/spec/when/all/0/operator', names: ['greaterThen'] },
  'jsonpath-path.yaml': { code: 'HST_WHEN_PATH', line: 13, col: 15, pointer: '/spec/when/all/0/path', names: ['$.labels[0]'] },
  'when-shape.yaml': { code: 'HST_WHEN_SHAPE', line: 12, col: 9, pointer: '/spec/when/all/0', names: ['operator'] },
  // enrichment
  'promql-unquoted.yaml': { code: 'HST_PROMQL_UNQUOTED', line: 12, col: 14, pointer: '/spec/enrich/0/query', names: ['{{ labels.instance }}'] },
  'promql-tag.yaml': { code: 'HST_PROMQL_TEMPLATE', line: 13, col: 26, pointer: '/spec/when/all/0/params/query', names: ['{% %}'] },
  'enrich-unknown.yaml': { code: 'HST_ENRICH_UNKNOWN', line: 15, col: 59, pointer: '/spec/actions/0/slack/text', names: ['enrichment.lod'] },
  'enrich-duplicate.yaml': { code: 'HST_ENRICH_DUPLICATE', line: 13, col: 13, pointer: '/spec/enrich/1/name', names: ["'load'"] },
  // guards
  'unknown-timezone.yaml': { code: 'HST_TIMEZONE_UNKNOWN', line: 19, col: 82, pointer: '/spec/guards/window/timezone', names: ['Europe/Pariss'] },
  'window-empty.yaml': { code: 'HST_WINDOW_INVALID', line: 19, col: 57, pointer: '/spec/guards/window/between', names: ['09:00-09:00'] },
};

/** Fixtures that are not one file with one problem: asserted by their own tests below. */
const OWN_TESTS = ['duplicate-policy-a.yaml', 'duplicate-policy-b.yaml', 'three-problems.yaml'];

const VALID_POLICY = `apiVersion: homeostat/v1
kind: Policy
metadata:
  name: stop-cpu-hog
  description: Stop the process hogging a host's CPU.
  owner: team-ops
spec:
  match:
    alertname: HighCPUUsage
    heal: 'true'
  target: '{{ labels.instance | host }}'
  actions:
    - name: stop-hog
      ansible:
        playbook: playbooks/stop_cpu_hog.yml
        limit: '{{ target }}'
        extraVars:
          min_cpu_percent: 80
      timeout: 2m
  guards:
    cooldown: 30m
    rateLimit: { max: 5, per: 1h }
`;

/** A test of stop-cpu-hog with these expectation lines. */
function policyTest(expectations: string): string {
  return `apiVersion: homeostat/v1
kind: PolicyTest
metadata: { name: stop-cpu-hog }
spec:
  cases:
    - name: a CPU hog is stopped
      alerts: [{ labels: { alertname: HighCPUUsage, heal: 'true', instance: 'web-1:9100' } }]
      expect:
${expectations}`;
}

const SETTINGS = `apiVersion: homeostat/v1
kind: Settings
spec:
  paused: false
  defaults:
    guards: { cooldown: 5m, concurrency: 1 }
`;

beforeAll(() => {
  // The schemas compile on first use; the time budgets below are for the input, not for that.
  expect(load([{ path: 'rules/stop-cpu-hog.yaml', text: VALID_POLICY }]).diagnostics).toEqual([]);
});

describe('broken policy fixtures: one diagnostic each, placed', () => {
  it('every fixture file has an expected diagnostic', () => {
    const files = readdirSync(BROKEN).filter((f) => f.endsWith('.yaml')).sort();
    expect(files).toEqual([...Object.keys(FIXTURES), ...OWN_TESTS].sort());
  });

  for (const [name, c] of Object.entries(FIXTURES)) {
    const want = expected([{ file: `rules/${name}`, code: c.code, line: c.line, col: c.col, pointer: c.pointer }]);
    it(`${name}: ${c.code}`, () => {
      // A hostile file is refused at parse time; bench/bounds.mjs measures how soon.
      expectDiagnostics(load([fixture(name)]), want, c.names);
    });
  }

  const duplicate = expected([{ file: 'rules/duplicate-policy-b.yaml', code: 'HST_POLICY_DUPLICATE', line: 4, col: 9, pointer: '/metadata/name' }]);
  it('duplicate-policy-a.yaml + duplicate-policy-b.yaml: HST_POLICY_DUPLICATE on the second', () => {
    const result = load([fixture('duplicate-policy-a.yaml'), fixture('duplicate-policy-b.yaml')]);
    expectDiagnostics(result, duplicate, ['stop-cpu-hog', 'rules/duplicate-policy-a.yaml']);
  });

  it('each of the duplicate-policy pair loads alone', () => {
    expect(errors(load([fixture('duplicate-policy-a.yaml')]).diagnostics)).toEqual([]);
    expect(errors(load([fixture('duplicate-policy-b.yaml')]).diagnostics)).toEqual([]);
  });
});

describe('hostile input', () => {
  const tooLarge = expected([{ file: 'rules/huge.yaml', code: 'HST_FILE_TOO_LARGE', line: 1, col: 1, pointer: '' }]);

  it(`a file over ${MAX_FILE_BYTES} bytes is refused before it is parsed`, () => {
    const text = `${VALID_POLICY}# ${'x'.repeat(MAX_FILE_BYTES)}\n`;
    expectDiagnostics(load([{ path: 'rules/huge.yaml', text }]), tooLarge, [String(MAX_FILE_BYTES)]);
  });

  it('an oversized file read from disk is reported at its path, the other files still load', () => {
    const root = mkdtempSync(join(tmpdir(), 'homeostat-broken-'));
    try {
      mkdirSync(join(root, 'rules'));
      mkdirSync(join(root, 'playbooks'));
      writeFileSync(join(root, 'playbooks', 'stop_cpu_hog.yml'), '- hosts: all\n  tasks: []\n');
      writeFileSync(join(root, 'rules', 'huge.yaml'), `${VALID_POLICY}# ${'x'.repeat(MAX_FILE_BYTES)}\n`);
      writeFileSync(join(root, 'rules', 'stop-cpu-hog.yaml'), VALID_POLICY);
      const repo = readRepository(root);
      const result = loadRepository(repo);
      expectDiagnostics(result, tooLarge);
      expect(result.policies.map((p) => p.value.metadata.name)).toEqual(['stop-cpu-hog']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('all problems of one file at once', () => {
  // The schema reports the duration first and the checks the regex and playbook after it.
  const three = expected([
    { file: 'rules/three-problems.yaml', code: 'HST_REGEX_UNSAFE', line: 10, col: 24, pointer: '/spec/match/instance/regex' },
    { file: 'rules/three-problems.yaml', code: 'HST_FILE_MISSING', line: 15, col: 19, pointer: '/spec/actions/0/ansible/playbook' },
    { file: 'rules/three-problems.yaml', code: 'HST_DURATION_INVALID', line: 19, col: 15, pointer: '/spec/guards/cooldown' },
  ]);
  it('three problems from the schema and the checks yield three diagnostics, sorted by line', () => {
    expectDiagnostics(load([fixture('three-problems.yaml')]), three);
  });
});

describe('every problem at once, across documents and files', () => {
  const SYNTAX = VALID_POLICY.replace("target: '{{ labels.instance | host }}'", "target: '{{ labels.instance | host }}");
  const DUPLICATE_KEY_AND_REGEX = VALID_POLICY.replace('    heal: \'true\'\n', "    heal: 'true'\n    instance: { regex: '(a)\\1' }\n").replace('    cooldown: 30m\n', '    cooldown: 30m\n    cooldown: 5m\n');

  const brokenFirst = expected([
    { file: 'rules/a-broken.yaml', code: 'HST_YAML_SYNTAX', line: 11, col: 40, pointer: '' },
    { file: 'rules/b-valid.yaml', code: 'HST_POLICY_DUPLICATE', line: 4, col: 9, pointer: '/metadata/name' },
  ]);
  it('a name taken by a document with a YAML syntax error is still a duplicate name', () => {
    const result = load([{ path: 'rules/a-broken.yaml', text: SYNTAX }, { path: 'rules/b-valid.yaml', text: VALID_POLICY }]);
    expectDiagnostics(result, brokenFirst);
    expect(result.diagnostics[1]!.message).toBe("policy name 'stop-cpu-hog' is already used at rules/a-broken.yaml:4");
  });

  const brokenSecond = expected([
    { file: 'rules/b-broken.yaml', code: 'HST_POLICY_DUPLICATE', line: 4, col: 9, pointer: '/metadata/name' },
    { file: 'rules/b-broken.yaml', code: 'HST_YAML_SYNTAX', line: 11, col: 40, pointer: '' },
  ]);
  it('the document with the syntax error is reported twice when it comes second: its syntax and its name', () => {
    expectDiagnostics(load([{ path: 'rules/a-valid.yaml', text: VALID_POLICY }, { path: 'rules/b-broken.yaml', text: SYNTAX }]), brokenSecond);
  });

  const keyAndRegex = expected([
    { file: 'rules/b.yaml', code: 'HST_POLICY_DUPLICATE', line: 4, col: 9, pointer: '/metadata/name' },
    { file: 'rules/b.yaml', code: 'HST_REGEX_UNSAFE', line: 11, col: 24, pointer: '/spec/match/instance/regex' },
    { file: 'rules/b.yaml', code: 'HST_YAML_DUPLICATE_KEY', line: 23, col: 5, pointer: '' },
  ]);
  it("a duplicate key hides neither the document's other problems nor its name", () => {
    const result = load([{ path: 'rules/a.yaml', text: VALID_POLICY }, { path: 'rules/b.yaml', text: DUPLICATE_KEY_AND_REGEX }]);
    expectDiagnostics(result, keyAndRegex);
  });

  it('a test naming a policy whose YAML is broken gets no second diagnostic for it', () => {
    const test = policyTest('        - { policy: stop-cpu-hog, action: stop-hog }\n');
    const result = load([{ path: 'rules/stop-cpu-hog.yaml', text: SYNTAX }, { path: 'rules/stop-cpu-hog.test.yaml', text: test }]);
    expect(placed(errors(result.diagnostics)).map((d) => d.code)).toEqual(['HST_YAML_SYNTAX']);
    expect(result.policies).toEqual([]);
  });
});

describe('tests and settings', () => {
  const TEST_FILE = 'rules/stop-cpu-hog.test.yaml';

  const alertsMissing = expected([{ file: TEST_FILE, code: 'HST_TEST_ALERTS_MISSING', line: 7, col: 15, pointer: '/spec/cases/0/alerts' }]);
  it('HST_TEST_ALERTS_MISSING: a payload file that is not in the repository', () => {
    const test = `apiVersion: homeostat/v1
kind: PolicyTest
metadata: { name: stop-cpu-hog }
spec:
  cases:
    - name: a CPU hog is stopped
      alerts: ../test/fixtures/alertmanager/high-cpu-usag.json
      expect:
        - { policy: stop-cpu-hog, action: stop-hog }
`;
    const result = load([{ path: 'rules/stop-cpu-hog.yaml', text: VALID_POLICY }, { path: TEST_FILE, text: test }]);
    expectDiagnostics(result, alertsMissing, ['../test/fixtures/alertmanager/high-cpu-usag.json']);
  });

  const unknownPolicy = expected([
    { file: TEST_FILE, code: 'HST_TEST_UNKNOWN_POLICY', line: 9, col: 21, pointer: '/spec/cases/0/expect/0/policy' },
    { file: TEST_FILE, code: 'HST_TEST_UNKNOWN_POLICY', line: 10, col: 43, pointer: '/spec/cases/0/expect/1/action' },
  ]);
  it('HST_TEST_UNKNOWN_POLICY: an expectation naming a policy, or an action, that does not exist', () => {
    const test = policyTest('        - { policy: stop-cpu-hogs, action: stop-hog }\n        - { policy: stop-cpu-hog, action: stop }\n');
    const result = load([{ path: 'rules/stop-cpu-hog.yaml', text: VALID_POLICY }, { path: TEST_FILE, text: test }]);
    expectDiagnostics(result, unknownPolicy);
    expect(result.diagnostics[0]!.message).toContain('stop-cpu-hogs');
    expect(result.diagnostics[1]!.message).toContain("'stop'");
  });

  const settingsDuplicate = expected([{ file: 'rules/settings.yaml', code: 'HST_SETTINGS_DUPLICATE', line: 1, col: 1, pointer: '' }]);
  it('HST_SETTINGS_DUPLICATE: a second Settings document', () => {
    const result = load([
      { path: 'homeostat.yaml', text: SETTINGS },
      { path: 'rules/stop-cpu-hog.yaml', text: VALID_POLICY },
      { path: 'rules/settings.yaml', text: SETTINGS },
    ]);
    expectDiagnostics(result, settingsDuplicate, ['homeostat.yaml']);
  });

  const otherSchema = expected([{ file: 'homeostat.yaml', code: 'HST_SCHEMA', line: 8, col: 16, pointer: '/spec/maintenanceWindows/0/start' }]);
  it('HST_SCHEMA: another schema violation (a maintenance window that is not a date-time)', () => {
    const settings = `${SETTINGS}  maintenanceWindows:
    - { start: next monday, end: '2026-11-24T06:00:00Z', reason: kernel upgrades }
`;
    const result = load([{ path: 'homeostat.yaml', text: settings }, { path: 'rules/stop-cpu-hog.yaml', text: VALID_POLICY }]);
    expectDiagnostics(result, otherSchema, ['start']);
  });

  // The breaker's mapping starts on line 8 (per); its notification's text is on line 11.
  const stormBreaker = expected([
    { file: 'homeostat.yaml', code: 'HST_STORM_BREAKER_THRESHOLD', line: 8, col: 5, pointer: '/spec/stormBreaker' },
    { file: 'homeostat.yaml', code: 'HST_TEMPLATE_UNKNOWN_VARIABLE', line: 11, col: 59, pointer: '/spec/stormBreaker/notify/slack/text' },
  ]);
  it('HST_STORM_BREAKER_THRESHOLD: a storm breaker that counts nothing; its notification sees storm, not an alert', () => {
    const settings = `${SETTINGS}  stormBreaker:
    per: 5m
    quietFor: 10m
    notify:
      slack: { webhook: { env: SLACK_WEBHOOK_URL }, text: '{{ labels.alertname }} storm since {{ storm.since }}' }
`;
    const result = load([{ path: 'homeostat.yaml', text: settings }, { path: 'rules/stop-cpu-hog.yaml', text: VALID_POLICY }]);
    expectDiagnostics(result, stormBreaker);
    expect(result.diagnostics.find((d) => d.code === 'HST_TEMPLATE_UNKNOWN_VARIABLE')!.hint).toBe('use one of storm');
  });

  it('a storm breaker with a threshold and a storm template loads', () => {
    const settings = `${SETTINGS}  stormBreaker:
    alerts: 100
    per: 5m
    quietFor: 10m
    notify:
      slack: { webhook: { env: SLACK_WEBHOOK_URL }, text: '{{ storm.alerts }} alerts since {{ storm.since }}: {{ storm.top }}' }
`;
    const result = load([{ path: 'homeostat.yaml', text: settings }, { path: 'rules/stop-cpu-hog.yaml', text: VALID_POLICY }]);
    expect(errors(result.diagnostics)).toEqual([]);
    expect(result.policySet!.settings.stormBreaker).toMatchObject({ alerts: 100, targets: null, perMs: 300_000, quietForMs: 600_000, notify: { name: 'storm-summary', type: 'slack' } });
  });
});

describe('notify actions and receivers', () => {
  const policy = (actions: string) => `apiVersion: homeostat/v1
kind: Policy
metadata: { name: tell }
spec:
  match: { alertname: NodeDown }
  actions:
${actions}`;
  const settings = (hosts: string) => ({ path: 'homeostat.yaml', text: `apiVersion: homeostat/v1\nkind: Settings\nspec:\n  outbound: { allowHosts: [${hosts}] }\n` });

  it('HST_URL_PRIVATE: a receiver written as a private address warns, unless allowlisted; the set still loads', () => {
    const actions = [
      "    - name: hook\n      http: { url: 'http://169.254.169.254/latest/meta-data' }\n",
      "    - name: page\n      pagerduty: { routingKey: { env: PD }, summary: s, eventsUrl: 'http://[::1]:8080/enqueue' }\n",
      "    - name: mail\n      email: { smtp: { host: localhost }, from: a@example.com, to: b@example.com, subject: s }\n",
      "    - name: public\n      http: { url: 'https://hooks.example.com/x' }\n",
    ].join('');
    const result = load([{ path: 'rules/tell.yaml', text: policy(actions) }]);
    expect(placed(result.diagnostics)).toEqual(expected([
      { file: 'rules/tell.yaml', code: 'HST_URL_PRIVATE', line: 8, col: 7, pointer: '/spec/actions/0/http' },
      { file: 'rules/tell.yaml', code: 'HST_URL_PRIVATE', line: 10, col: 7, pointer: '/spec/actions/1/pagerduty' },
      { file: 'rules/tell.yaml', code: 'HST_URL_PRIVATE', line: 12, col: 7, pointer: '/spec/actions/2/email' },
    ]));
    expect(result.diagnostics.map((d) => d.severity)).toEqual(['warning', 'warning', 'warning']);
    expect(result.diagnostics[0]!.message).toBe("'http://169.254.169.254/latest/meta-data' is link-local (169.254.0.0/16): the engine refuses to connect there");
    expect(result.policySet).not.toBeNull();
    const allowed = load([settings("'169.254.169.254', '::1', localhost"), { path: 'rules/tell.yaml', text: policy(actions) }]);
    expect(allowed.diagnostics).toEqual([]);
  });

  it('HST_NOTIFY_MISPLACED: a notify of a notify', () => {
    const actions = "    - name: hook\n      http: { url: 'https://a.example.com' }\n      notify:\n        - name: n1\n          http: { url: 'https://b.example.com' }\n          notify:\n            - name: n2\n              http: { url: 'https://c.example.com' }\n";
    const result = load([{ path: 'rules/tell.yaml', text: policy(actions) }]);
    expect(placed(result.diagnostics)).toEqual(expected([{ file: 'rules/tell.yaml', code: 'HST_NOTIFY_MISPLACED', line: 13, col: 15, pointer: '/spec/actions/0/notify/0/notify/0' }]));
  });

  it("HST_TEMPLATE_UNKNOWN_VARIABLE: outcome outside a notify action; inside one it is known", () => {
    const inAction = load([{ path: 'rules/tell.yaml', text: policy("    - name: hook\n      http: { url: 'https://a.example.com', body: '{{ outcome.status }}' }\n") }]);
    expect(inAction.diagnostics.map((d) => [d.code, d.pointer])).toEqual([['HST_TEMPLATE_UNKNOWN_VARIABLE', '/spec/actions/0/http/body']]);
    const inNotify = load([{ path: 'rules/tell.yaml', text: policy("    - name: hook\n      http: { url: 'https://a.example.com' }\n      notify:\n        - name: n1\n          http: { url: 'https://b.example.com', body: '{{ outcome.status }} {{ outcome.auditId }}' }\n") }]);
    expect(inNotify.diagnostics).toEqual([]);
  });
});

describe('files that must be executable', () => {
  const SCRIPT_POLICY = `apiVersion: homeostat/v1
kind: Policy
metadata: { name: run-fix }
spec:
  match: { alertname: Broken }
  actions:
    - name: fix
      script: { path: scripts/fix.sh }
    - name: play
      ansible: { playbook: playbooks/stop_cpu_hog.yml, inventory: inventory/hosts.py }
`;

  function onDisk(modes: Record<string, number>, texts: Record<string, string> = {}): { root: string; result: LoadResult } {
    const root = mkdtempSync(join(tmpdir(), 'homeostat-modes-'));
    for (const dir of ['rules', 'scripts', 'playbooks', 'inventory']) mkdirSync(join(root, dir));
    writeFileSync(join(root, 'rules', 'fix.yaml'), SCRIPT_POLICY);
    writeFileSync(join(root, 'playbooks', 'stop_cpu_hog.yml'), '- hosts: all\n  tasks: []\n');
    for (const [path, mode] of Object.entries(modes)) writeFileSync(join(root, path), texts[path] ?? '#!/bin/sh\necho fixed\n', { mode });
    return { root, result: loadRepository(readRepository(root)) };
  }

  const notExecutable = expected([
    { file: 'rules/fix.yaml', code: 'HST_FILE_NOT_EXECUTABLE', line: 8, col: 23, pointer: '/spec/actions/0/script/path' },
    { file: 'rules/fix.yaml', code: 'HST_FILE_NOT_EXECUTABLE', line: 10, col: 67, pointer: '/spec/actions/1/ansible/inventory' },
  ]);
  it('HST_FILE_NOT_EXECUTABLE: a script, and an inventory starting with #!, without the executable bit', () => {
    const { root, result } = onDisk({ 'scripts/fix.sh': 0o644, 'inventory/hosts.py': 0o644 });
    try {
      expectDiagnostics(result, notExecutable, ['is not executable']);
      expect(result.diagnostics[0]!.message).toBe("script 'scripts/fix.sh' is not executable, so it cannot run");
      expect(result.diagnostics[0]!.hint).toBe('make it executable: chmod +x scripts/fix.sh');
      expect(result.diagnostics[1]!.message).toContain("inventory 'inventory/hosts.py' starts with #!");
      expect(result.diagnostics[1]!.hint).toBe('make it executable: chmod +x inventory/hosts.py');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('takes executable ones, and an inventory that is a host list whatever its mode', () => {
    const executable = onDisk({ 'scripts/fix.sh': 0o755, 'inventory/hosts.py': 0o755 });
    const hostList = onDisk({ 'scripts/fix.sh': 0o700, 'inventory/hosts.py': 0o644 }, { 'inventory/hosts.py': '[web]\nweb-1\n' });
    try {
      expect(errors(executable.result.diagnostics)).toEqual([]);
      expect(errors(hostList.result.diagnostics)).toEqual([]);
    } finally {
      rmSync(executable.root, { recursive: true, force: true });
      rmSync(hostList.root, { recursive: true, force: true });
    }
  });
});

describe('a valid repository', () => {
  it('yields no diagnostics and a policy set at the revision passed in', () => {
    const result = load([{ path: 'homeostat.yaml', text: SETTINGS }, { path: 'rules/stop-cpu-hog.yaml', text: VALID_POLICY }], 'rev-3f2c9a1');
    expect(result.diagnostics).toEqual([]);
    expect(result.policySet).not.toBeNull();
    expect(result.policySet!.revision).toBe('rev-3f2c9a1');
    expect(result.files).toBe(2);
  });
});

describe('code coverage', () => {
  // Codes about test files, homeostat.yaml and webhook payloads rather than policy files.
  // HST_TEST_ALERTS_MISSING, HST_TEST_UNKNOWN_POLICY and HST_SETTINGS_DUPLICATE have cases
  // above all the same; HST_PAYLOAD_INVALID is a payload's, tested with the payloads;
  // HST_TEST_FAILED and HST_REV_* are the engine's refusals of a revision, tested with the
  // git policy source.
  const NOT_ABOUT_POLICY_FILES: readonly Code[] = [
    'HST_TEST_FAILED',
    'HST_REV_REWRITTEN',
    'HST_REV_SIGNATURE',
    'HST_TEST_ALERTS_MISSING',
    'HST_TEST_UNKNOWN_POLICY',
    'HST_PAYLOAD_INVALID',
    'HST_SETTINGS_DUPLICATE',
    // Schedules: test/unit/schedule/lint.test.ts; the inventory check: test/integration/inventory-check.test.ts.
    'HST_CRON_INVALID',
    'HST_SCHEDULE_TARGETS',
    'HST_SCHEDULE_DUPLICATE',
    'HST_SCHEDULE_NO_INVENTORY',
    'HST_INVENTORY_INVALID',
    // The node guards' settings and disruptsNode: test/unit/plan/node-guards.test.ts.
    'HST_SELECTOR_INVALID',
    'HST_DISRUPTS_NODE_TYPE',
  ];

  it('every code about policy files is expected by a case of this file', () => {
    const wanted = (Object.keys(CODES) as Code[]).filter((code) => !NOT_ABOUT_POLICY_FILES.includes(code));
    expect(wanted.filter((code) => !covered.has(code))).toEqual([]);
  });
});
