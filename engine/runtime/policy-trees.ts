/**
 * The files actions of a git revision run with (playbooks, scripts, inventories): the
 * revision's files outside its rules folder, written under DIR/<digest of their paths, modes
 * and blob ids>. A revision that changes only policies reuses the tree already written. A tree
 * appears whole (written beside, then renamed) and goes whole (renamed away, then removed), so
 * a crash never leaves half a tree under a name that a later revision would reuse.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Git } from '../git/git.js';
import { readBlobs } from '../git/git.js';
import type { RevisionRepository } from '../load/git-revision.js';

/** Trees kept beyond those in use: the active one and the few activated before it. */
const RECENT_KEPT = 4;
const SCRATCH = /\.(partial|trash-[0-9a-f]+)$/;

export class PolicyTrees {
  /** The trees activated, most recent first. */
  private recent: string[] = [];

  constructor(
    private readonly dir: string,
    private readonly git: Git,
    /** The trees queued or running actions use: never removed. */
    private readonly inUse: () => ReadonlySet<string>,
  ) {
    mkdirSync(dir, { recursive: true });
    // What a crash left half written or half removed.
    for (const name of readdirSync(dir)) if (SCRATCH.test(name)) rmSync(join(dir, name), { recursive: true, force: true });
  }

  /** The tree of a revision's files outside its rules folder (and homeostat.yaml), written if new. */
  async write(repo: RevisionRepository): Promise<string> {
    const files = [...repo.blobs].filter(([path]) => path !== 'homeostat.yaml' && (!repo.rulesPath || !path.startsWith(`${repo.rulesPath}/`)));
    const digest = createHash('sha256');
    for (const [path, blob] of files) digest.update(`${path}\0${blob.sha}\0${blob.executable ? 'x' : '-'}\n`);
    const tree = join(this.dir, digest.digest('hex').slice(0, 16));
    if (existsSync(tree)) return tree;
    const partial = `${tree}.partial`;
    rmSync(partial, { recursive: true, force: true });
    mkdirSync(partial, { recursive: true });
    const contents = await readBlobs(this.git, files.map(([, blob]) => blob.sha));
    files.forEach(([path, blob], i) => {
      const target = join(partial, path);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, contents[i]!);
      if (blob.executable) chmodSync(target, 0o755);
    });
    renameSync(partial, tree);
    return tree;
  }

  /** Notes the tree of the revision now active, and removes the trees nothing needs. */
  activated(tree: string): void {
    this.recent = [tree, ...this.recent.filter((t) => t !== tree)].slice(0, RECENT_KEPT);
    const used = this.inUse();
    for (const name of readdirSync(this.dir)) {
      const path = join(this.dir, name);
      if (SCRATCH.test(name) || this.recent.includes(path) || used.has(path)) continue;
      const trash = `${path}.trash-${randomBytes(4).toString('hex')}`;
      renameSync(path, trash);
      rmSync(trash, { recursive: true, force: true });
    }
  }
}
