/**
 * The `homeostat` command as users and CI scripts meet it (docs/cli.md, DESIGN.md "Command
 * line"): output formats, exit codes, one-line user errors, help and version.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AM, bundledCounts, copyFixtureRepo, CLI_FIXTURES, NOW, removeTemp, ROOT, runCli, runJson, unwrapped } from './run-cli.js';
import type { CliResult } from './run-cli.js';

const temps: string[] = [];
function repoCopy(name: string): string {
  const dir = copyFixtureRepo(name);
  temps.push(dir);
  return dir;
}
afterAll(() => temps.forEach(removeTemp));

/** A user error: one line on stderr naming what is wrong, nothing on stdout, never a stack. */
function expectUserError(r: CliResult, exitCode: 1 | 2): string {
  expect({ status: r.status, stdout: r.stdout }).toEqual({ status: exitCode, stdout: '' });
  expect(r.stderr).not.toContain('    at ');
  expect(r.stderr).not.toMatch(/internal error/);
  expect(r.stderr.endsWith('\n')).toBe(true);
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(/^(homeostat|error): \S/);
  return r.stderr.trimEnd();
}

const BROKEN_PROBLEMS = [
  {
    file: 'rules/broken.yaml', line: 9, col: 20, pointer: '/spec/match/name/regex', code: 'HST_REGEX_UNSAFE', severity: 'error',
    message: 'regex \'(a)\\1\' needs backtracking: invalid escape sequence: `\\1`',
    hint: 'rewrite it without backreferences or lookarounds; patterns run on RE2 (linear time)',
  },
  {
    file: 'rules/broken.yaml', line: 14, col: 19, pointer: '/spec/actions/0/ansible/playbook', code: 'HST_FILE_MISSING', severity: 'error',
    message: "playbook 'playbooks/missing.yml' does not exist in the repository",
    hint: 'add playbooks/missing.yml or fix the path (relative to the repository root)',
  },
  {
    file: 'rules/broken.yaml', line: 16, col: 16, pointer: '/spec/actions/0/timeout', code: 'HST_DURATION_INVALID', severity: 'error',
    message: 'timeout "5 minutes" is not a duration',
    hint: 'write a duration such as 30s, 5m, 1h30m or 2d',
  },
];

describe('lint', () => {
  const counts = bundledCounts();
  const summary = `${counts.files} files, ${counts.policies} policies, ${counts.schedules} schedules, ${counts.tests} test files`;
  /** The bundled rules lint clean: not even a warning. */
  const expectBundledLint = (r: CliResult) => {
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(r.stdout).toBe(`ok: ${summary}\n`);
  };

  it('lint . exits 0 and says ok with what it read', () => {
    expectBundledLint(runCli(['lint', '.']));
  });

  it('lint rules/ finds the repository root (homeostat.yaml) and says the same', () => {
    expectBundledLint(runCli(['lint', 'rules/']));
  });

  it('lint with no DIR lints the working directory', () => {
    expectBundledLint(runCli(['lint']));
  });

  it('lint --format json has the documented shape', () => {
    const r = runCli(['lint', '.', '--format', 'json']);
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toEqual({ ok: true, files: counts.files, policies: counts.policies, schedules: counts.schedules, problems: [] });
  });

  it('lint --format github prints no annotation for a repository without problems', () => {
    const r = runCli(['lint', '.', '--format', 'github']);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(r.stdout.trim()).toBe('');
  });

  describe('a repository with a broken policy (test/fixtures/cli/broken-repo)', () => {
    const repo = repoCopy('broken-repo');

    it('text: every problem with file:line:col, code, hint and pointer; exit 1', () => {
      const r = runCli(['lint', repo]);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(
        [
          'rules/broken.yaml:9:20 error HST_REGEX_UNSAFE regex \'(a)\\1\' needs backtracking: invalid escape sequence: `\\1`',
          '    hint: rewrite it without backreferences or lookarounds; patterns run on RE2 (linear time) (at /spec/match/name/regex)',
          "rules/broken.yaml:14:19 error HST_FILE_MISSING playbook 'playbooks/missing.yml' does not exist in the repository",
          '    hint: add playbooks/missing.yml or fix the path (relative to the repository root) (at /spec/actions/0/ansible/playbook)',
          'rules/broken.yaml:16:16 error HST_DURATION_INVALID timeout "5 minutes" is not a duration',
          '    hint: write a duration such as 30s, 5m, 1h30m or 2d (at /spec/actions/0/timeout)',
          '3 problems in 1 file, 1 policy, 0 test files',
          '',
        ].join('\n'),
      );
    });

    it('json: ok false and every problem with its place', () => {
      const r = runCli(['lint', repo, '--format', 'json']);
      expect(r.status).toBe(1);
      expect(JSON.parse(r.stdout)).toEqual({ ok: false, files: 1, policies: 1, schedules: 0, problems: BROKEN_PROBLEMS });
    });

    it('github: one ::error annotation per problem, with file, line and col', () => {
      const r = runCli(['lint', repo, '--format', 'github']);
      expect(r.status).toBe(1);
      expect(r.stdout).toBe(
        [
          '::error file=rules/broken.yaml,line=9,col=20,title=HST_REGEX_UNSAFE::regex \'(a)\\1\' needs backtracking: invalid escape sequence: `\\1` (rewrite it without backreferences or lookarounds; patterns run on RE2 (linear time))',
          "::error file=rules/broken.yaml,line=14,col=19,title=HST_FILE_MISSING::playbook 'playbooks/missing.yml' does not exist in the repository (add playbooks/missing.yml or fix the path (relative to the repository root))",
          '::error file=rules/broken.yaml,line=16,col=16,title=HST_DURATION_INVALID::timeout "5 minutes" is not a duration (write a duration such as 30s, 5m, 1h30m or 2d)',
          '',
        ].join('\n'),
      );
    });

    it('lint of its rules/ folder reports the same problems, relative to the repository root', () => {
      const r = runCli(['lint', join(repo, 'rules'), '--format', 'json']);
      expect(r.status).toBe(1);
      expect(JSON.parse(r.stdout).problems).toEqual(BROKEN_PROBLEMS);
    });
  });
});

describe('test', () => {
  it('test rules/ exits 0, every case passes, and its last line is "N passed, 0 failed"', () => {
    const r = runCli(['test', 'rules/']);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trimEnd().split('\n');
    const cases = lines.slice(0, -1);
    expect(cases.length).toBeGreaterThan(0);
    for (const line of cases) expect(line).toMatch(/^pass rules\/[a-z0-9-]+\.test\.yaml:\d+ [a-z0-9-]+ › .+$/);
    expect(lines.at(-1)).toBe(`${cases.length} passed, 0 failed`);
  });

  it('test --format json has the documented shape', () => {
    const report = runJson<{ ok: boolean; passed: number; failed: number; cases: Record<string, unknown>[] }>(['test', '.', '--format', 'json']);
    expect(report.ok).toBe(true);
    expect(report.failed).toBe(0);
    expect(report.passed).toBe(report.cases.length);
    expect(report.passed).toBeGreaterThan(0);
    for (const c of report.cases) {
      expect(c).toEqual({
        file: expect.stringMatching(/^rules\/.+\.test\.yaml$/),
        line: expect.any(Number),
        test: expect.any(String),
        name: expect.any(String),
        passed: true,
        missing: [],
        unexpected: [],
        error: null,
      });
    }
    // The same cases as the text output, in the same order.
    const text = runCli(['test', '.']).stdout.trimEnd().split('\n').slice(0, -1);
    expect(text).toEqual(report.cases.map((c) => `pass ${String(c.file)}:${String(c.line)} ${String(c.test)} › ${String(c.name)}`));
  });

  it('test --format github prints only the summary when every case passes', () => {
    const r = runCli(['test', '.', '--format', 'github']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^\d+ passed, 0 failed\n$/);
  });

  describe('a failing test case (test/fixtures/cli/failing-test-repo)', () => {
    const repo = repoCopy('failing-test-repo');

    it('text: FAIL with what was expected and what was decided; exit 1', () => {
      const r = runCli(['test', repo]);
      expect(r.status).toBe(1);
      expect(r.stdout).toBe(
        [
          'pass rules/announce.test.yaml:7 announce-disk › a filling disk is announced',
          'FAIL rules/announce.test.yaml:12 announce-disk › this expectation is wrong on purpose',
          '    expected, not decided: {"policy":"announce-disk","action":"tell","target":"web-3"}',
          '    decided, not expected: {"policy":"announce-disk","action":"tell","target":"web-2","verdict":"run","reason":null,"fingerprint":"b90cd113d2cff18b"}',
          '1 passed, 1 failed',
          '',
        ].join('\n'),
      );
    });

    it('json: ok false, the failing case with its missing and unexpected decisions', () => {
      const r = runCli(['test', repo, '--format', 'json']);
      expect(r.status).toBe(1);
      const report = JSON.parse(r.stdout);
      expect({ ok: report.ok, passed: report.passed, failed: report.failed }).toEqual({ ok: false, passed: 1, failed: 1 });
      expect(report.cases[1]).toMatchObject({
        file: 'rules/announce.test.yaml',
        line: 12,
        test: 'announce-disk',
        name: 'this expectation is wrong on purpose',
        passed: false,
        missing: [{ policy: 'announce-disk', action: 'tell', target: 'web-3' }],
        unexpected: [{ policy: 'announce-disk', action: 'tell', target: 'web-2', verdict: 'run', params: { text: 'disk /data fills up on web-2' } }],
        error: null,
      });
    });

    it('github: an ::error annotation on the failing case, then the summary', () => {
      const r = runCli(['test', repo, '--format', 'github']);
      expect(r.status).toBe(1);
      const lines = r.stdout.trimEnd().split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/^::error file=rules\/announce\.test\.yaml,line=12,/);
      expect(lines[0]).toContain('title=announce-disk%3A this expectation is wrong on purpose::');
      expect(lines[0]).toContain('expected, not decided: {"policy":"announce-disk","action":"tell","target":"web-3"}%0Adecided, not expected: ');
      expect(lines[1]).toBe('1 passed, 1 failed');
    });

    it('lint of the same repository is ok: a failing test is not a lint problem', () => {
      const r = runCli(['lint', repo]);
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
      // Its slack action is executed: no warning.
      expect(r.stdout).toBe('ok: 2 files, 1 policy, 1 test file\n');
    });
  });

  describe('a repository with a broken policy', () => {
    const repo = repoCopy('broken-repo');

    it('text: the problems, and that no test ran; exit 1', () => {
      const r = runCli(['test', repo]);
      expect(r.status).toBe(1);
      expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('the policies have 3 problems; no test ran');
    });

    it('github: ::error file=…,line=…,col=… for each problem', () => {
      const r = runCli(['test', repo, '--format', 'github']);
      expect(r.status).toBe(1);
      const lines = r.stdout.trimEnd().split('\n');
      expect(lines.map((l) => l.replace(/,title=.*$/, ''))).toEqual([
        '::error file=rules/broken.yaml,line=9,col=20',
        '::error file=rules/broken.yaml,line=14,col=19',
        '::error file=rules/broken.yaml,line=16,col=16',
      ]);
    });

    it('json: ok false and the problems', () => {
      const r = runCli(['test', repo, '--format', 'json']);
      expect(r.status).toBe(1);
      expect(JSON.parse(r.stdout)).toEqual({ ok: false, passed: 0, failed: 0, problems: BROKEN_PROBLEMS, cases: [] });
    });
  });
});

describe('simulate and explain on a repository with lint errors', () => {
  const repo = repoCopy('broken-repo');

  it('simulate exits 1 and names the first problem with file:line:col, in one line', () => {
    const message = expectUserError(runCli(['simulate', repo, '--now', NOW, '--alerts', `${AM}/service-down-nginx.json`]), 1);
    expect(message).toBe(
      `homeostat: 3 problems in the policies, first rules/broken.yaml:9:20 HST_REGEX_UNSAFE regex \'(a)\\1\' needs backtracking: invalid escape sequence: \`\\1\`; run \`homeostat lint ${repo}\``,
    );
  });

  it('explain exits 1 the same way', () => {
    const message = expectUserError(runCli(['explain', repo, '--alerts', `${AM}/service-down-nginx.json`]), 1);
    expect(message).toContain('first rules/broken.yaml:9:20 HST_REGEX_UNSAFE');
  });
});

// BUG: commander's errors (unknown command/option, bad --format, missing --alerts, too many
// arguments) are followed by a second line from `.showHelpAfterError('(run with --help for usage)')`
// in engine/cli/program.ts; a user error must be one line.
describe('usage errors: exit 2, one line on stderr, no stack', () => {
  const cases: [string, string[], RegExp][] = [
    ['an unknown command', ['frobnicate'], /unknown command 'frobnicate'/],
    ['an unknown option', ['lint', '--frob'], /unknown option '--frob'/],
    ['an unknown option of simulate', ['simulate', '.', '--alerts', `${AM}/pod-not-ready.json`, '--policy', 'x'], /unknown option '--policy'/],
    ['a bad --format for lint', ['lint', '--format', 'xml'], /'xml' is invalid.*text, json, github/],
    ['markdown, a format of simulate, for lint', ['lint', '--format', 'markdown'], /'markdown' is invalid/],
    ['github, a format of lint, for simulate', ['simulate', '.', '--format', 'github', '--alerts', `${AM}/pod-not-ready.json`], /'github' is invalid.*text, json, markdown/],
    ['a bad --format for explain', ['explain', '.', '--format', 'markdown', '--alerts', `${AM}/pod-not-ready.json`], /'markdown' is invalid.*text, json/],
    ['--format without a value', ['lint', '--format'], /--format/],
    ['simulate without --alerts', ['simulate', '.'], /--alerts/],
    ['explain without --alerts', ['explain', '.'], /--alerts/],
    ['--alerts without a file', ['simulate', '.', '--alerts'], /--alerts/],
    ['too many arguments', ['lint', '.', 'rules'], /too many arguments/],
    ['lint of a directory that does not exist', ['lint', 'no-such-dir'], /^homeostat: no-such-dir: no such directory/],
    ['test of a directory that does not exist', ['test', 'no-such-dir'], /^homeostat: no-such-dir: no such directory/],
    ['simulate on a directory that does not exist', ['simulate', 'no-such-dir', '--alerts', `${AM}/pod-not-ready.json`], /^homeostat: no-such-dir: no such directory/],
    ['explain on a directory that does not exist', ['explain', 'no-such-dir', '--alerts', `${AM}/pod-not-ready.json`], /^homeostat: no-such-dir: no such directory/],
    ['an alerts file that does not exist', ['simulate', '.', '--alerts', 'no-such-file.json'], /^homeostat: no-such-file\.json: /],
    ['an alerts file that is not JSON', ['simulate', '.', '--alerts', `${AM}/README.md`], /^homeostat: test\/fixtures\/alertmanager\/README\.md: not JSON /],
    ['an alerts file that is not JSON, for explain', ['explain', '.', '--alerts', `${AM}/README.md`], /^homeostat: test\/fixtures\/alertmanager\/README\.md: not JSON /],
    ['a payload of version "3"', ['simulate', '.', '--alerts', 'test/fixtures/cli/payload-version-3.json'], /^homeostat: test\/fixtures\/cli\/payload-version-3\.json: HST_PAYLOAD_INVALID .*version 4.*\/version/],
    ['JSON that is not a webhook payload', ['simulate', '.', '--alerts', 'package.json'], /^homeostat: package\.json: HST_PAYLOAD_INVALID /],
    ['a --now that is not a date', ['simulate', '.', '--now', 'yesterday', '--alerts', `${AM}/pod-not-ready.json`], /^homeostat: --now yesterday: not a date/],
    ['an unknown --policy', ['explain', '.', '--alerts', `${AM}/pod-not-ready.json`, '--policy', 'no-such-policy'], /^homeostat: --policy no-such-policy: no such policy .*cordon-hot-worker/],
  ];

  for (const [what, args, message] of cases) {
    it(`${what}: homeostat ${args.join(' ')}`, () => {
      expect(expectUserError(runCli(args), 2)).toMatch(message);
    });
  }

  it('a payload of version "3" is otherwise a valid payload (only the version is wrong)', () => {
    const payload = JSON.parse(readFileSync(join(CLI_FIXTURES, 'payload-version-3.json'), 'utf8'));
    const original = JSON.parse(readFileSync(join(ROOT, AM, 'pod-not-ready.json'), 'utf8'));
    expect({ ...payload, version: '4' }).toEqual(original);
  });

  it('no command at all: the usage, exit 2', () => {
    const r = runCli([]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^Usage: homeostat /);
  });
});

describe('--help and --version', () => {
  const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

  it('--version and -V print the package.json version', () => {
    expect(runCli(['--version'])).toEqual({ status: 0, stdout: `${version}\n`, stderr: '' });
    expect(runCli(['-V'])).toEqual({ status: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('the program help lists every command, --version, --help and the exit codes', () => {
    const r = runCli(['--help']);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    const help = unwrapped(r.stdout);
    expect(help).toContain('Usage: homeostat [options] [command]');
    for (const command of ['lint [options] [dir]', 'test [options] [dir]', 'simulate [options] [dir]', 'explain [options] [dir]']) expect(help).toContain(command);
    expect(help).toContain('-V, --version');
    expect(help).toContain('-h, --help');
    expect(help).toContain('Exit codes: 0 fine; 1 the policies have problems or a test failed; 2 the command was used wrongly or could not run.');
  });

  const options: Record<string, string[]> = {
    lint: ['--format <format> output format (choices: "text", "json", "github", default: "text")'],
    test: ['--format <format> output format (choices: "text", "json", "github", default: "text")'],
    simulate: ['--alerts <files...>', '--now <time>', '--at <times...>', '--every <duration>', '--dry-run', '--format <format> output format (choices: "text", "json", "markdown", default: "text")'],
    explain: ['--alerts <file>', '--policy <name>', '--format <format> output format (choices: "text", "json", default: "text")'],
  };
  for (const [command, expected] of Object.entries(options)) {
    it(`${command} --help lists ${expected.map((o) => o.split(' ')[0]).join(', ')} and the DIR argument`, () => {
      const r = runCli([command, '--help']);
      expect(r.status).toBe(0);
      expect(r.stderr).toBe('');
      const help = unwrapped(r.stdout);
      expect(help).toContain(`Usage: homeostat ${command} [options] [dir]`);
      expect(help).toContain('dir the policy repository (holding rules/), or its rules/ folder (default: ".")');
      for (const option of expected) expect(help).toContain(option);
      // `help COMMAND` says the same.
      expect(runCli(['help', command]).stdout).toBe(r.stdout);
    });
  }
});

describe('explain', () => {
  const file = `${AM}/node-high-cpu-worker-and-control-plane.json`;

  it('--policy cordon-hot-worker: the control-plane alert does not match (role notIn … marked NO), the worker matches', () => {
    const r = runCli(['explain', '.', '--alerts', file, '--policy', 'cordon-hot-worker']);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    // The first line of each block and the conditions; the group line is checked below.
    expect(lines.filter((l) => !/^\s+\S+\s+all:$/.test(l))).toEqual([
      'alert NodeHighCPU [7c650b383f4a3f98] firing',
      '  no    cordon-hot-worker (rules/cordon-hot-worker.yaml:2)',
      '        yes alert.status in ["firing","resolved"] (value: "firing")',
      '        yes labels.alertname equal "NodeHighCPU" (value: "NodeHighCPU")',
      '        yes labels.heal equal "true" (value: "true")',
      '        NO  labels.role notIn ["control-plane","master"] (value: "control-plane")',
      '        NO  labels.node notRegex ".*(control-plane|master).*" (value: "heal-control-plane")',
      'alert NodeHighCPU [c4aad7c976dc4563] firing',
      '  MATCH cordon-hot-worker (rules/cordon-hot-worker.yaml:2)',
      '        yes alert.status in ["firing","resolved"] (value: "firing")',
      '        yes labels.alertname equal "NodeHighCPU" (value: "NodeHighCPU")',
      '        yes labels.heal equal "true" (value: "true")',
      '        yes labels.role notIn ["control-plane","master"] (value: "")',
      '        yes labels.node notRegex ".*(control-plane|master).*" (value: "heal-worker")',
      '',
    ]);
  });

  // BUG: json-rules-engine sets `result` on nested all/any/not nodes but not on the top-level
  // one (its result is the RuleResult's), so the top group prints '-' instead of NO/yes as
  // docs/cli.md shows.
  it('marks the top-level all: group NO for the alert that does not match, yes for the one that does', () => {
    const r = runCli(['explain', '.', '--alerts', file, '--policy', 'cordon-hot-worker']);
    expect(r.stdout.split('\n').filter((l) => /^\s+\S+\s+all:$/.test(l))).toEqual(['      NO  all:', '      yes all:']);
    const report = runJson<{ alerts: { policies: { conditions: { condition: string; result: boolean | null }[] }[] }[] }>(['explain', '.', '--alerts', file, '--policy', 'cordon-hot-worker', '--format', 'json']);
    expect(report.alerts.map((a) => a.policies[0]!.conditions[0])).toEqual([
      { depth: 0, condition: 'all:', result: false },
      { depth: 0, condition: 'all:', result: true },
    ]);
  });

  it('--format json: each alert, each policy, each condition with the value it read and its result', () => {
    const report = runJson<{ alerts: { policies: { conditions: Record<string, unknown>[] }[] }[] }>(['explain', '.', '--alerts', file, '--policy', 'cordon-hot-worker', '--format', 'json']);
    // The top-level group's result is checked in the test above (a bug today); here, its place.
    for (const a of report.alerts) delete a.policies[0]!.conditions[0]!.result;
    const { revision } = runJson<{ revision: string }>(['simulate', '.', '--now', NOW, '--format', 'json', '--alerts', file]);
    const conditions = (role: string, node: string, roleOk: boolean, nodeOk: boolean) => [
      { depth: 1, condition: 'alert.status in ["firing","resolved"]', factValue: 'firing', result: true },
      { depth: 1, condition: 'labels.alertname equal "NodeHighCPU"', factValue: 'NodeHighCPU', result: true },
      { depth: 1, condition: 'labels.heal equal "true"', factValue: 'true', result: true },
      { depth: 1, condition: 'labels.role notIn ["control-plane","master"]', factValue: role, result: roleOk },
      { depth: 1, condition: 'labels.node notRegex ".*(control-plane|master).*"', factValue: node, result: nodeOk },
    ];
    expect(report).toEqual({
      revision,
      alerts: [
        {
          alert: { fingerprint: '7c650b383f4a3f98', alertname: 'NodeHighCPU', status: 'firing' },
          policies: [{
            policy: 'cordon-hot-worker', source: 'rules/cordon-hot-worker.yaml:2', matched: false, indexed: false,
            conditions: [{ depth: 0, condition: 'all:' }, ...conditions('control-plane', 'heal-control-plane', false, false)],
          }],
        },
        {
          alert: { fingerprint: 'c4aad7c976dc4563', alertname: 'NodeHighCPU', status: 'firing' },
          policies: [{
            policy: 'cordon-hot-worker', source: 'rules/cordon-hot-worker.yaml:2', matched: true, indexed: true,
            conditions: [{ depth: 0, condition: 'all:' }, ...conditions('', 'heal-worker', true, true)],
          }],
        },
      ],
    });
  });

  it('without --policy: every policy for every alert, and only cordon-hot-worker matches the worker', () => {
    const report = runJson<{ alerts: { policies: { policy: string; matched: boolean }[] }[] }>(['explain', '.', '--alerts', file, '--format', 'json']);
    const { policies } = runJson<{ policies: number }>(['lint', '.', '--format', 'json']);
    expect(report.alerts).toHaveLength(2);
    for (const a of report.alerts) expect(a.policies).toHaveLength(policies);
    expect(report.alerts.map((a) => a.policies.filter((p) => p.matched).map((p) => p.policy))).toEqual([[], ['cordon-hot-worker']]);
  });
});

describe('revision', () => {
  it('is the same for simulate, explain and test decisions of one tree, and changes when a policy changes', () => {
    const repo = repoCopy('failing-test-repo');
    const file = `${AM}/host-disk-space-low-firing.json`;
    const args = (command: string) => [command, repo, '--alerts', join(ROOT, file), '--format', 'json'];
    const before = runJson<{ revision: string }>([...args('simulate'), '--now', NOW]).revision;
    expect(before).toMatch(/\S/);
    expect(runJson<{ revision: string }>(args('explain')).revision).toBe(before);

    const policy = join(repo, 'rules/announce.yaml');
    writeFileSync(policy, readFileSync(policy, 'utf8').replace('Say in Slack', 'Tell Slack'));
    const after = runJson<{ revision: string }>([...args('simulate'), '--now', NOW]).revision;
    expect(after).not.toBe(before);
  });
});
