/**
 * `homeostat diff` with the built binary over a real git repository with two revisions (one
 * match narrowed, one policy added, one action's parameters changed, one guard tightened) and
 * a timeline of alerts: it reports exactly those changes, as text, JSON and Markdown, with
 * each side's decisions in the shape of `simulate --format json`.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { gitSandbox } from '../helpers/git.js';
import { createDiffRepo } from '../helpers/diff-repo.js';
import type { DiffRepo } from '../helpers/diff-repo.js';
import { RAW_CONTROL } from '../helpers/hostile.js';
import { policyYaml } from '../helpers/policies.js';
import { runCli } from './run-cli.js';
import type { CliResult } from './run-cli.js';

const sandbox = gitSandbox('homeostat-diff-');

interface Change {
  kind: string;
  policy: string;
  index: number;
  alert: { alertname: string };
  action?: { name: string };
  fields?: string[];
  base?: { verdict: string; params: Record<string, unknown> | null };
  head?: { verdict: string; refusedBy: string | null; params: Record<string, unknown> | null };
}

/** What a change is, in one line: kind, policy, alert number, action, fields. */
function brief(c: Change): string {
  return [c.kind, c.policy, `#${c.index + 1}`, c.alert.alertname, c.action?.name ?? '-', (c.fields ?? []).join(',')].join(' ');
}

const EXPECTED = [
  'action-changed restart-service #1 ServiceDown restart params/extraVars/service',
  'match-removed stop-cpu-hog #2 HighCPUUsage - ',
  'action-removed stop-cpu-hog #2 HighCPUUsage stop ',
  'action-changed clean-disk #5 HostDiskSpaceLow clean verdict,refusedBy',
  'match-added reboot-node #6 NodeDown - ',
  'action-added reboot-node #6 NodeDown reboot ',
];

describe('homeostat diff', () => {
  let repo: DiffRepo;
  const cli = (...args: string[]): CliResult => runCli(args, { cwd: repo.tree.dir });
  const diff = (...args: string[]) => cli('diff', '.', '--base', 'base', '--head', 'HEAD', '--alerts', repo.alerts, ...args);

  beforeAll(() => {
    repo = createDiffRepo(sandbox.path('repo'), `${sandbox.path('timeline')}.jsonl`);
  });

  it('JSON: exactly the four changes, each side as simulate --format json prints it', () => {
    const r = diff('--format', 'json');
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    const report = JSON.parse(r.stdout);
    expect((report.changes as Change[]).map(brief)).toEqual(EXPECTED);
    expect(report).toMatchObject({
      changed: true,
      alerts: 6,
      policies: { added: ['reboot-node'], removed: [] },
      lint: { ok: true, introduced: [] },
      tests: { ok: true, passed: 1, failed: 0 },
      base: { label: 'base', ok: true, revision: repo.base },
      head: { label: 'HEAD', ok: true, revision: repo.head },
    });
    const [params, , , cooldown] = report.changes as Change[];
    expect(params!.base!.params!.extraVars).toEqual({ service: expect.stringMatching(/^nginx\]\(https:/) });
    expect((params!.head!.params!.extraVars as { service: string }).service).toBe(`${(params!.base!.params!.extraVars as { service: string }).service}.service`);
    expect(cooldown!.base!.verdict).toBe('run');
    expect(cooldown!.head).toMatchObject({ verdict: 'refused', refusedBy: 'cooldown' });
    // Each side is what simulate decides at that revision over the same timeline.
    for (const [side, rev] of [['base', 'base'], ['head', 'HEAD']] as const) {
      const s = cli('simulate', '.', '--rev', rev, '--format', 'json', '--alerts', repo.alerts);
      expect(s.status).toBe(0);
      const { label, ok, problems, ...rest } = report[side];
      expect({ label, ok, problems }).toEqual({ label: rev, ok: true, problems: [] });
      expect(rest).toEqual(JSON.parse(s.stdout));
    }
  });

  it('text: the same changes by policy, hostile label text escaped', () => {
    const r = diff();
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(
      `diff base (${repo.base}) → HEAD (${repo.head}): 6 alerts: 6 changes in 4 policies (1 action added, 1 removed, 2 changed, 1 alert newly matched, 1 alert no longer matched); lint clean; 1 test passed`,
    );
    expect(lines.filter((l) => l.startsWith('policy '))).toEqual([
      'policy clean-disk (1 change)',
      'policy reboot-node (2 changes, a new policy)',
      'policy restart-service (1 change)',
      'policy stop-cpu-hog (2 changes)',
    ]);
    expect(lines).toContainEqual(expect.stringMatching(/^ {6}verdict: run → refused \(cooldown: clean-disk decided an action for db-1 10m ago \(cooldown 30m, until \d{4}-\d\d-\d\dT[\d:.]+Z\)\)$/));
    expect(lines).toContain('  - no longer matches HighCPUUsage[f286dbebf5af1a3c] firing (alert 2)');
    expect(lines).toContain('  + action added      reboot (ansible) target=web-4 for NodeDown[b8b82bc396ff021a] firing (alert 6)');
    expect(lines.find((l) => l.includes('params/extraVars/service'))).toMatch(/^ {6}params\/extraVars\/service: "nginx\]\(https:.*\\u001b\[31m\\nnext" → ".*next\.service"$/);
    expect(r.stdout).not.toMatch(RAW_CONTROL);
    expect(lines).toHaveLength(15);
  });

  it('Markdown: a PR comment with one table per changed policy, label text inert', () => {
    const r = diff('--format', 'markdown');
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    const body = r.stdout.replaceAll(repo.base, '<base>').replaceAll(repo.head, '<head>');
    expect(body).toMatchInlineSnapshot(`
      "**homeostat diff** \`base\` → \`HEAD\`: 6 alerts: 6 changes in 4 policies (1 action added, 1 removed, 2 changed, 1 alert newly matched, 1 alert no longer matched); lint clean; 1 test passed

      #### Policy \`clean-disk\`

      | change | alert | action | target | base | head | what changed |
      |---|---|---|---|---|---|---|
      | action changed | \`HostDiskSpaceLow\` \`2c1ecb269cc0e077\` firing (#5) | \`clean\` (ansible) | \`db-1\` | **run** | **refused**<br>\`cooldown: clean-disk decided an action for db-1 10m ago (cooldown 30m, until 2026-11-20T09:31:00.000Z)\` |  |

      #### Policy \`reboot-node\` (new policy)

      | change | alert | action | target | base | head | what changed |
      |---|---|---|---|---|---|---|
      | now matches | \`NodeDown\` \`b8b82bc396ff021a\` firing (#6) | — | — | — | matches | |
      | action added | \`NodeDown\` \`b8b82bc396ff021a\` firing (#6) | \`reboot\` (ansible) | \`web-4\` | — | **run** |  |

      #### Policy \`restart-service\`

      | change | alert | action | target | base | head | what changed |
      |---|---|---|---|---|---|---|
      | action changed | \`ServiceDown\` \`68e8830663bb2380\` firing (#1) | \`restart\` (ansible) | \`web-1\` | **run** | **run** | \`\`params/extraVars/service: "nginx](https://evil.example/x) <img src=x onerror=alert(1)> **bold** \\| \`tick\` www.evil.example \\u001b[31m\\nnext" → "nginx](https://evil.example/x) <img src=x onerror=alert(1)> **bold** \\| \`tick\` www.evil.example \\u001b[31m\\nnext.service"\`\` |

      #### Policy \`stop-cpu-hog\`

      | change | alert | action | target | base | head | what changed |
      |---|---|---|---|---|---|---|
      | no longer matches | \`HighCPUUsage\` \`f286dbebf5af1a3c\` firing (#2) | — | — | matched | — | |
      | action removed | \`HighCPUUsage\` \`f286dbebf5af1a3c\` firing (#2) | \`stop\` (ansible) | \`web-2\` | **run** | — |  |

      <sub>base \`<base>\`, head \`<head>\`</sub>
      "
    `);
    // The hostile value appears only inside a code span of two backticks (it holds one).
    expect(body.split('\n').filter((l) => l.includes('evil.example'))).toHaveLength(1);
    expect(body).toContain('``params/extraVars/service: "nginx](https://evil.example/x)');
    expect(body).not.toMatch(RAW_CONTROL);
  });

  it('--fail-on-change makes a changed decision exit 1; the same revision twice changes nothing', () => {
    expect(diff('--fail-on-change').status).toBe(1);
    const same = cli('diff', '.', '--base', 'HEAD', '--head', 'HEAD', '--alerts', repo.alerts, '--fail-on-change');
    expect({ status: same.status, stderr: same.stderr }).toEqual({ status: 0, stderr: '' });
    expect(same.stdout).toMatch(/: 6 alerts: no decision changes; lint clean; 1 test passed\n$/);
  });

  it('without --head, the working tree is the head: an uncommitted edit is diffed', () => {
    repo.tree.write({ 'rules/clean-disk.yaml': repo.tree.read('rules/clean-disk.yaml').replace('cooldown: 30m', 'cooldown: 1m') });
    try {
      const r = cli('diff', '.', '--base', 'HEAD', '--alerts', repo.alerts, '--format', 'json');
      expect(r.status).toBe(0);
      const report = JSON.parse(r.stdout);
      expect(report.head.label).toBe('working tree');
      expect(report.head.revision).toMatch(/^content-/);
      expect((report.changes as Change[]).map(brief)).toEqual(['action-changed clean-disk #5 HostDiskSpaceLow clean verdict,refusedBy']);
    } finally {
      repo.tree.git('checkout', '--', 'rules/clean-disk.yaml');
    }
  });

  it('a head that does not lint exits 1 and names the problem it introduces with file:line; failing tests exit 1', () => {
    const broken = policyYaml('page-everyone', `
      match: { alertname: { regex: '(a)\\1' } }
      actions:
        - name: page
          ansible: { playbook: playbooks/missing.yml }`);
    repo.tree.write({ 'rules/page-everyone.yaml': broken });
    try {
      const r = cli('diff', '.', '--base', 'HEAD', '--alerts', repo.alerts);
      expect(r.status).toBe(1);
      expect(r.stdout).toMatch(/^diff HEAD \([0-9a-f]{40}\) → working tree: 6 alerts: no decision changes; the head does not lint \(2 problems\); tests not run\n/);
      expect(r.stdout).toContain('\n  rules/page-everyone.yaml:6:32 error HST_REGEX_UNSAFE ');
      expect(r.stdout).toContain('\n  rules/page-everyone.yaml:9:28 error HST_FILE_MISSING ');
      const json = JSON.parse(cli('diff', '.', '--base', 'HEAD', '--alerts', repo.alerts, '--format', 'json').stdout);
      expect(json.lint.introduced.map((d: { file: string; line: number; code: string }) => `${d.file}:${d.line} ${d.code}`)).toEqual([
        'rules/page-everyone.yaml:6 HST_REGEX_UNSAFE',
        'rules/page-everyone.yaml:9 HST_FILE_MISSING',
      ]);
      expect(json.head).toMatchObject({ ok: false, label: 'working tree' });
    } finally {
      repo.tree.write({ 'rules/page-everyone.yaml': null });
    }
    repo.tree.write({ 'rules/restart-service.test.yaml': repo.tree.read('rules/restart-service.test.yaml').replace('target: web-1', 'target: web-9') });
    try {
      const r = cli('diff', '.', '--base', 'HEAD', '--alerts', repo.alerts, '--format', 'markdown');
      expect(r.status).toBe(1);
      expect(r.stdout).toContain('; 1 test failed\n');
      expect(r.stdout).toContain('#### Failing policy tests\n\n- `rules/restart-service.test.yaml:6` `restart-service › a failed unit on web-1 is restarted`: ');
    } finally {
      repo.tree.git('checkout', '--', 'rules/restart-service.test.yaml');
    }
  });

  it('misuse is one line and exit 2', () => {
    const cases: [string[], RegExp][] = [
      [['diff', '.', '--alerts', repo.alerts], /required option '--base <rev>' not specified/],
      [['diff', '.', '--base', 'nope', '--alerts', repo.alerts], /^homeostat: nope: no such revision in /],
      [['diff', '.', '--base', 'base', '--alerts', 'missing.json'], /^homeostat: missing\.json: cannot read the alerts file \(ENOENT\)/],
      [['diff', '.', '--base', 'base', '--alerts', repo.alerts, '--format', 'github'], /argument 'github' is invalid/],
    ];
    for (const [args, message] of cases) {
      const r = cli(...args);
      expect({ args, status: r.status, stdout: r.stdout }).toEqual({ args, status: 2, stdout: '' });
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
  });
});
