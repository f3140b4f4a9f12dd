// Past PARALLEL_MIN_FILES, with more than one thread, the built CLI loads on worker threads;
// what it reports must be what the single-threaded loader reports, problems and their places
// included. HOMEOSTAT_LOAD_THREADS asks for threads on a machine with fewer cores than the
// loader would use them on by itself.
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { loadThreads, PARALLEL_MIN_FILES } from '../../engine/load/parallel.js';
import { readRepository } from '../../engine/load/read-dir.js';
import { loadRepository } from '../../engine/load/repository.js';
// @ts-expect-error: the benchmark's generator is plain ESM without declarations
import { writeRepository } from '../../bench/generate.mjs';
import { ROOT, runCli } from './run-cli.js';

const repo = mkdtempSync(join(tmpdir(), 'homeostat-parallel-'));
afterAll(() => rmSync(repo, { recursive: true, force: true }));

it('loads on one thread below 4 cores unless HOMEOSTAT_LOAD_THREADS asks for more', () => {
  expect(loadThreads({ HOMEOSTAT_LOAD_THREADS: '3' })).toBe(3);
  expect(loadThreads({ HOMEOSTAT_LOAD_THREADS: '16' })).toBe(4);
  expect(loadThreads({ HOMEOSTAT_LOAD_THREADS: '1' })).toBe(1);
  const cores = availableParallelism();
  expect(loadThreads({ HOMEOSTAT_LOAD_THREADS: 'lots' })).toBe(cores >= 4 ? Math.min(cores, 4) : 1);
});

it('lints a large repository on threads exactly as on one thread', () => {
  const count = PARALLEL_MIN_FILES + 100;
  writeRepository(repo, count);
  // Problems at the start, the middle and the end, so every slice has one.
  const broken = new URL('../fixtures/broken/', import.meta.url).pathname;
  copyFileSync(join(broken, 'regex-backreference.yaml'), join(repo, 'rules', 'policy-000a.yaml'));
  copyFileSync(join(broken, 'missing-playbook.yaml'), join(repo, 'rules', 'policy-250a.yaml'));
  writeFileSync(join(repo, 'rules', 'zz-duplicate.yaml'), readRepository(repo).files.find((f) => f.path === 'rules/policy-001.yaml')!.text);

  expect(existsSync(join(ROOT, 'dist/engine/load/worker.js')), 'the built loader thread').toBe(true);
  const cli = runCli(['lint', repo, '--format', 'json'], { env: { HOMEOSTAT_LOAD_THREADS: '3' } });
  const threaded = JSON.parse(cli.stdout);
  const single = loadRepository(readRepository(repo));
  expect(single.diagnostics.length).toBeGreaterThanOrEqual(3);
  expect(threaded).toEqual({ ok: false, files: count + 4, policies: count + 3, schedules: 0, problems: single.diagnostics });
  expect(cli.status).toBe(1);
});
