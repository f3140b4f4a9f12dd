/**
 * Bounds that tests must not time (`npm run build && node bench/bounds.mjs`): how soon a
 * hostile YAML file is refused, how long a hostile label takes against a nested quantifier,
 * and what a git command that prints nothing costs through the engine's git wrapper. Each
 * figure stands next to a baseline measured in the same run. A benchmark, not a test: it exits
 * 0 whatever the figures, and 1 only when the setup is wrong (a result is not the expected one).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fmt, line, median, msSince, now } from './stats.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (path) => import(pathToFileURL(join(ROOT, 'dist', path)).href);
const { loadRepository } = await dist('engine/load/repository.js');
const { fullMatch, fullMatchUncached } = await dist('engine/regex/re2.js');
const { openGit, initBare, updateRef, fastImport } = await dist('engine/git/git.js');
const { commitCommand, finish, printedId, rawDate } = await dist('engine/git/fast-import.js');

const out = (text = '') => process.stdout.write(`${text}\n`);
const RUNS = 15;

function timeMs(fn, runs = RUNS) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = now();
    fn();
    times.push(msSince(t0));
  }
  return median(times);
}

function fail(message) {
  process.stderr.write(`bench/bounds: ${message}\n`);
  process.exit(1);
}

out('== Bounds (figures that tests do not time)');

// Hostile YAML is refused at parse time, in about what a valid policy costs to load.
const BROKEN = join(ROOT, 'test/fixtures/broken');
const load = (path, text) => loadRepository({ files: [{ path, text }], exists: () => true, revision: 'bench' });
const valid = readFileSync(join(ROOT, 'rules', 'cordon-hot-worker.yaml'), 'utf8');
const validMs = timeMs(() => load('rules/valid.yaml', valid));
out(line('load of one valid policy (baseline)', `${fmt(validMs, 2)} ms`));
for (const [name, code] of [['alias-bomb.yaml', 'HST_YAML_ALIAS_BOMB'], ['duplicate-key.yaml', 'HST_YAML_DUPLICATE_KEY'], ['merge-key.yaml', 'HST_YAML_MERGE_KEY'], ['unknown-tag.yaml', 'HST_YAML_UNKNOWN_TAG']]) {
  const text = readFileSync(join(BROKEN, name), 'utf8');
  const result = load(`rules/${name}`, text);
  if (result.diagnostics[0]?.code !== code) fail(`${name}: expected ${code}, got ${result.diagnostics[0]?.code}`);
  const ms = timeMs(() => load(`rules/${name}`, text));
  out(line(`refusal of ${name}`, `${fmt(ms, 2)} ms (${fmt(ms / validMs, 2)}× the valid policy)`));
}

// A label against (a+)+b: linear in the engine; exponential in a backtracking engine.
const PATTERN = '(a+)+b';
const hostile = `${'a'.repeat(48)}!`;
if (fullMatch(PATTERN, hostile)) fail('the hostile label matched (a+)+b');
const re2Ms = timeMs(() => fullMatchUncached(PATTERN, hostile)); // a value seen before is a cache look-up
const backtracking = new RegExp(`^(?:${PATTERN})$`);
const shortHostile = `${'a'.repeat(22)}!`;
const backtrackMs = timeMs(() => backtracking.test(shortHostile), 3);
out(line(`(a+)+b against 48 × a + '!' (engine)`, `${fmt(re2Ms, 3)} ms`));
out(line(`(a+)+b against 22 × a + '!' (JavaScript RegExp, baseline)`, `${fmt(backtrackMs, 1)} ms (${fmt(backtrackMs / Math.max(re2Ms, 1e-3), 0)}× the engine's at 48)`));

// A git command that prints nothing: no wait after it (simple-git alone waits 50 ms).
const root = mkdtempSync(join(tmpdir(), 'homeostat-bench-bounds-'));
try {
  const git = openGit(join(root, 'repo.git'));
  await initBare(git, 'main');
  const who = { name: 'bench', email: 'bench@localhost', date: rawDate(Date.now()) };
  const head = printedId(await fastImport(git, commitCommand({ ref: 'refs/heads/main', mark: 1, author: who, committer: who, message: 'm\n', files: [{ op: 'write', path: 'a', content: 'a\n' }] }) + finish(1)));
  const refs = 20;
  let t0 = now();
  for (let i = 0; i < refs; i++) await updateRef(git, `refs/tags/t${i}`, head);
  const wrapperMs = msSince(t0) / refs;
  t0 = now();
  for (let i = 0; i < refs; i++) execFileSync('git', ['--git-dir', git.dir, 'update-ref', `refs/tags/u${i}`, head]);
  const plainMs = msSince(t0) / refs;
  out(line('git update-ref through the engine\'s wrapper', `${fmt(wrapperMs, 1)} ms a call (${fmt(wrapperMs / plainMs, 2)}× a plain git process; simple-git's wait alone is 50 ms)`));
  out(line('git update-ref as a plain process (baseline)', `${fmt(plainMs, 1)} ms a call`));
} finally {
  rmSync(root, { recursive: true, force: true });
}
