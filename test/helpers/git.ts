/**
 * A sandbox for tests that run real git: a temp root with its own HOME (so the developer's
 * ~/.gitconfig changes nothing), removed after the file's tests, with every audit repository
 * opened through it closed first (a background repack may still run).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { AuditRepo } from '../../engine/audit/repo.js';
import type { AuditRepoOptions } from '../../engine/audit/repo.js';

export interface GitSandbox {
  /** The temp root; valid once the file's tests run. */
  readonly root: string;
  /** A fresh path under the root: `${name}-N`. */
  path(name: string): string;
  /** Opens (creating) an audit repository at a fresh `data-N/audit`, closed after the tests. */
  openAudit(options?: Partial<AuditRepoOptions>): Promise<AuditRepo>;
}

export function gitSandbox(prefix: string): GitSandbox {
  let root = '';
  let home: string | undefined;
  let n = 0;
  const opened: AuditRepo[] = [];
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), prefix));
    home = process.env.HOME;
    process.env.HOME = join(root, 'home');
    mkdirSync(process.env.HOME);
  });
  afterAll(async () => {
    await Promise.all(opened.map((repo) => repo.close()));
    process.env.HOME = home;
    rmSync(root, { recursive: true, force: true });
  });
  const path = (name: string) => join(root, `${name}-${++n}`);
  return {
    get root() {
      return root;
    },
    path,
    async openAudit(options = {}) {
      const repo = await AuditRepo.open({ dir: join(path('data'), 'audit'), branch: 'main', ...options });
      opened.push(repo);
      return repo;
    },
  };
}
