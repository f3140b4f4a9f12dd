/**
 * Loading spread over the machine's cores: worker threads analyse slices of the files while
 * this thread analyses its own, then one assemble step runs here. Small repositories, and
 * runs from source (where no compiled worker exists), load on this thread alone; both ways
 * give the same result (a test compares them).
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { analyzeFile } from './analyze.js';
import type { FileAnalysis, RepoFile } from './analyze.js';
import { assemble, loadRepository } from './repository.js';
import type { LoadResult, RepositoryInput } from './repository.js';

/** Below this many files a worker's start-up (its own schema compile) costs more than it saves. */
export const PARALLEL_MIN_FILES = 400;
const MAX_THREADS = 4;
/**
 * Fewer cores than this load on one thread. Measured on 2 cores with 10,000 policy files: one
 * helper thread made the load slower (1.1–1.2 s against 0.93 s; 2.3–2.4 s against 1.9–2.0 s
 * for the larger generated policies) and its heap raised the peak RSS by 45 MB, because the
 * helper's results cross to this thread by structured clone while both threads compete for
 * two cores with the garbage collector.
 */
const MIN_CORES = 4;

/**
 * The threads a load spreads over, this one included: HOMEOSTAT_LOAD_THREADS when set (1 to
 * 4), else the cores when there are at least MIN_CORES, else one.
 */
export function loadThreads(env: NodeJS.ProcessEnv = process.env): number {
  const asked = Number(env.HOMEOSTAT_LOAD_THREADS);
  if (Number.isInteger(asked) && asked >= 1) return Math.min(asked, MAX_THREADS);
  const cores = availableParallelism();
  return cores >= MIN_CORES ? Math.min(cores, MAX_THREADS) : 1;
}

const workerFile = new URL('./worker.js', import.meta.url);

/** A loader thread, started early so that its start-up overlaps reading the files. */
class LoaderThread {
  private readonly worker = new Worker(workerFile);

  analyze(files: RepoFile[]): Promise<FileAnalysis[]> {
    return new Promise((resolve, reject) => {
      this.worker.once('message', (result: FileAnalysis[]) => {
        resolve(result);
        void this.worker.terminate();
      });
      this.worker.once('error', reject);
      this.worker.once('exit', (code) => {
        if (code !== 0) reject(new Error(`loader thread exited with code ${code}`));
      });
      this.worker.postMessage(files);
    });
  }

  close(): void {
    void this.worker.terminate();
  }
}

export interface Loader {
  load(input: RepositoryInput): Promise<LoadResult>;
}

/**
 * A loader for about `files` files: with enough of them, more than one thread, and a compiled
 * worker, it starts its threads now; otherwise it loads on this thread.
 */
export function startLoader(files: number, threads = loadThreads()): Loader {
  if (threads < 2 || files < PARALLEL_MIN_FILES || !existsSync(fileURLToPath(workerFile))) {
    return { load: async (input) => loadRepository(input) };
  }
  const helpers = Array.from({ length: threads - 1 }, () => new LoaderThread());
  return {
    async load(input) {
      const [own, ...others] = slices(input.files, threads);
      try {
        const pending = others.map((slice, i) => helpers[i]!.analyze(slice));
        const mine = own!.map(analyzeFile);
        const theirs = await Promise.all(pending);
        return assemble(input, [...mine, ...theirs.flat()]);
      } finally {
        for (const helper of helpers) helper.close();
      }
    },
  };
}

/** Contiguous slices of about equal size in bytes, so file order is kept by concatenation. */
function slices(files: readonly RepoFile[], count: number): RepoFile[][] {
  const total = files.reduce((n, f) => n + f.text.length, 0);
  const result: RepoFile[][] = [[]];
  let size = 0;
  for (const file of files) {
    if (size >= (total / count) * result.length && result.length < count) result.push([]);
    result[result.length - 1]!.push(file);
    size += file.text.length;
  }
  return result;
}
