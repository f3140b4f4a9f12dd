/** A loader thread: analyses the files it is sent (see analyze.ts) and sends the results back. */
import { parentPort } from 'node:worker_threads';
import { analyzeFile } from './analyze.js';
import type { RepoFile } from './analyze.js';

parentPort!.on('message', (files: RepoFile[]) => {
  parentPort!.postMessage(files.map(analyzeFile));
});
