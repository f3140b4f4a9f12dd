/**
 * The Dockerfile, without Docker (none runs here; CI builds the image): each stage's WORKDIR
 * becomes a temporary directory, its COPY lines copy what they name (from the build context,
 * which .dockerignore must not have emptied of it, or from an earlier stage), its npm RUN lines
 * run as written (the npm cache is reused: --prefer-offline), the apt-get packages it installs
 * are checked to exist in Debian, and the image's CLI, from the --omit=dev install, answers
 * --help and lints the bundled policies.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../e2e/run-cli.js';
import { requireCommand } from '../helpers/processes.js';

interface Instruction {
  op: string;
  args: string;
}

interface Stage {
  name: string | null;
  workdir: string | null;
  dir: string;
  steps: Instruction[];
}

/** The Dockerfile's instructions, continuation lines joined, comments and the syntax line dropped. */
function instructions(text: string): Instruction[] {
  const joined = text.replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const [, op, args] = /^(\S+)\s+(.*)$/.exec(line)!;
      return { op: op!.toUpperCase(), args: args!.trim() };
    });
}

function stagesOf(list: Instruction[], root: string): Stage[] {
  const stages: Stage[] = [];
  for (const step of list) {
    if (step.op === 'FROM') {
      const name = / AS (\S+)$/i.exec(step.args)?.[1] ?? null;
      stages.push({ name, workdir: null, dir: join(root, `stage-${stages.length}`), steps: [] });
      continue;
    }
    stages.at(-1)!.steps.push(step);
  }
  return stages;
}

/**
 * Whether .dockerignore keeps a path out of the build context, as Docker reads it: patterns in
 * order, the last that matches the path or one of its parent folders wins, '!' re-includes.
 */
function ignored(path: string): boolean {
  const patterns = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const parts = path.replace(/^\.\//, '').replace(/\/$/, '').split('/');
  const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let excluded = false;
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    const glob = (negated ? pattern.slice(1) : pattern).replace(/\/$/, '');
    const re = new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*\*/g, '\0').replace(/\*/g, '[^/]*').replace(/\0/g, '.*').replace(/\?/g, '[^/]')}$`);
    if (prefixes.some((p) => re.test(p))) excluded = !negated;
  }
  return excluded;
}

const tmp = mkdtempSync(join(tmpdir(), 'homeostat-dockerfile-'));
const stages = stagesOf(instructions(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')), tmp);
const runtime = stages.at(-1)!;
const skipped: string[] = [];
const aptPackages: string[] = [];

/** Where a path of a stage's image is in its directory (only under its WORKDIR). */
function inStage(stage: Stage, path: string): string {
  const abs = posix.isAbsolute(path) ? path : posix.join(stage.workdir!, path);
  if (!abs.startsWith(`${stage.workdir}/`) && abs !== stage.workdir) throw new Error(`${path}: outside the stage's WORKDIR ${stage.workdir}; this test maps only the WORKDIR`);
  return join(stage.dir, posix.relative(stage.workdir!, abs));
}

function copy(stage: Stage, args: string): void {
  const words = args.split(/\s+/);
  const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
  const [dest, ...sources] = words.filter((w) => !w.startsWith('--')).reverse();
  const target = inStage(stage, dest!);
  for (const source of sources.reverse()) {
    let origin: string;
    if (from) {
      const other = stages.find((s) => s.name === from);
      if (!other) throw new Error(`COPY --from=${from}: no such stage`);
      origin = inStage(other, source);
    } else {
      if (ignored(source)) throw new Error(`COPY ${source}: excluded from the build context by .dockerignore`);
      origin = join(ROOT, source);
    }
    if (!existsSync(origin)) throw new Error(`COPY ${source}: not found (${origin})`);
    const into = dest!.endsWith('/') && !source.endsWith('/') ? join(target, posix.basename(source)) : target;
    mkdirSync(dirname(into), { recursive: true });
    cpSync(origin, into, { recursive: true });
  }
}

function run(stage: Stage, args: string): void {
  const command = args.replace(/--mount=\S+\s+/g, '');
  if (/^npm\s/.test(command)) {
    if (!stage.workdir) throw new Error(`RUN ${command}: before any WORKDIR`);
    const result = spawnSync('sh', ['-c', command], { cwd: stage.dir, encoding: 'utf8', env: { ...process.env, npm_config_prefer_offline: 'true', npm_config_update_notifier: 'false' } });
    if (result.status !== 0) throw new Error(`RUN ${command} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
    return;
  }
  const install = /apt-get install\s+((?:-\S+\s+)*)([^&]+)/.exec(command);
  if (install) aptPackages.push(...install[2]!.trim().split(/\s+/));
  // Paths of the image a step works on (chmod, ln) must be there by then.
  for (const [path] of command.matchAll(new RegExp(`${stage.workdir ?? '\0'}/\\S+`, 'g'))) {
    if (!existsSync(inStage(stage, path))) throw new Error(`RUN ${command}: ${path} is not there at this step`);
  }
  skipped.push(command);
}

function build(): void {
  for (const stage of stages) {
    for (const { op, args } of stage.steps) {
      if (op === 'WORKDIR') {
        if (stage.workdir) throw new Error('one WORKDIR per stage: this test maps only one');
        stage.workdir = args;
        mkdirSync(stage.dir, { recursive: true });
      } else if (op === 'COPY') copy(stage, args);
      else if (op === 'RUN') run(stage, args);
    }
  }
}

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'production' };
  delete env.NODE_OPTIONS;
  return spawnSync(process.execPath, [join(runtime.dir, 'dist/engine/cli/main.js'), ...args], { cwd: runtime.dir, encoding: 'utf8', env });
}

beforeAll(() => build(), 600_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('Dockerfile, its steps run without Docker', () => {
  it('builds in one stage and runs from a production install in the last', () => {
    expect(stages.map((s) => s.name)).toEqual(['build', null]);
    expect(existsSync(join(stages[0]!.dir, 'dist/engine/cli/main.js'))).toBe(true);
    // --omit=dev: the runtime has the engine's dependencies and none of the tools.
    expect(existsSync(join(runtime.dir, 'node_modules/fastify/package.json'))).toBe(true);
    expect(existsSync(join(runtime.dir, 'node_modules/typescript'))).toBe(false);
    expect(existsSync(join(runtime.dir, 'node_modules/vitest'))).toBe(false);
  });

  it('installs git and ansible-core from Debian packages that exist', () => {
    expect(aptPackages).toEqual(expect.arrayContaining(['ansible-core', 'git']));
    const aptCache = requireCommand('apt-cache', 'apt');
    for (const name of aptPackages) {
      const result = spawnSync(aptCache, ['show', '--no-all-versions', name], { encoding: 'utf8' });
      expect(result.stdout, `apt-cache show ${name}`).toContain(`Package: ${name}`);
    }
  });

  it('runs as a non-root user, with homeostat serve as its entrypoint', () => {
    const steps = runtime.steps;
    const user = steps.filter((s) => s.op === 'USER').at(-1)!.args;
    expect(user.split(':')[0]).not.toMatch(/^(0|root)$/);
    const entrypoint = JSON.parse(steps.find((s) => s.op === 'ENTRYPOINT')!.args) as string[];
    expect(entrypoint.slice(-2)).toEqual(['homeostat', 'serve']);
    // What puts `homeostat` on PATH points at the CLI of this install.
    expect(skipped.join('\n')).toContain('ln -s /app/dist/engine/cli/main.js /usr/local/bin/homeostat');
    expect(runtime.workdir).toBe('/app');
  });

  it("answers --help and serve --help from the image's install", () => {
    const help = cli('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: homeostat');
    const serve = cli('serve', '--help');
    expect(serve.status).toBe(0);
    expect(serve.stdout).toContain('--policies <dir|git-url>');
  });

  it('lints the bundled policies it ships, and their tests pass on the payloads it ships', () => {
    const result = cli('lint', runtime.dir, '--format', 'json');
    const report = JSON.parse(result.stdout) as { ok: boolean; policies: number; problems: { severity: string }[] };
    expect(report.policies).toBeGreaterThan(5);
    expect(report.problems.filter((p) => p.severity === 'error')).toEqual([]);
    expect(result.status).toBe(0);
    const tests = cli('test', runtime.dir);
    expect(tests.status, tests.stdout + tests.stderr).toBe(0);
  });

  it('keeps out of the build context what the image never needs, and nothing a COPY names', () => {
    expect(['test/e2e', 'test/fixtures/cli', 'node_modules', '.git', 'dist', 'x.log'].filter((p) => !ignored(p))).toEqual([]);
    expect(['engine/cli/main.ts', 'rules', 'test/fixtures/alertmanager/service-down-nginx.json'].filter((p) => ignored(p))).toEqual([]);
    expect(execFileSync('git', ['-C', ROOT, 'ls-files', 'Dockerfile', '.dockerignore'], { encoding: 'utf8' }).trim().split('\n').sort()).toEqual(['.dockerignore', 'Dockerfile']);
  });
});
