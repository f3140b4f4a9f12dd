/**
 * The day directories (actions/YYYY/MM/DD) of the audit repository, kept in memory so that a
 * large batch writes each day's tree whole, once, with `git mktree`, instead of having
 * fast-import insert the files one by one: fast-import finds a file's place in a directory by
 * a linear scan, so a batch of B entries into a day of D files cost B × D comparisons (1,000
 * entries into a day of 20,000 took 140 ms, growing with every batch of a storm).
 *
 * A cached listing is trusted only while the day's tree at the branch head is the one it
 * describes: anything else (a replay after a push, a commit by another hand) makes it read the
 * directory again. What a failed import leaves behind is caught the same way.
 */
import { listTree } from '../git/git.js';
import type { Git } from '../git/git.js';
import { listingLine } from '../git/sessions.js';
import type { ObjectLookup, TreeMaker } from '../git/sessions.js';

interface Day {
  /** The tree this listing describes (null: the directory does not exist). */
  tree: string | null;
  /** File name → listing line. */
  files: Map<string, string>;
}

/** Days kept in memory: today, yesterday (outcomes of actions begun before midnight), one more. */
const KEEP_DAYS = 3;

export class DayTrees {
  private readonly days = new Map<string, Day>();

  constructor(
    private readonly git: Git,
    private readonly lookup: ObjectLookup,
    private readonly maker: TreeMaker,
  ) {}

  /**
   * The trees of the given directories at `head` with these files added or replaced, written
   * to the repository; `changes` maps a directory to its (name, blob id) pairs.
   */
  async write(head: string, changes: ReadonlyMap<string, readonly (readonly [string, string])[]>): Promise<Map<string, string>> {
    const dirs = [...changes.keys()];
    const current = await this.lookup.ids(dirs.map((dir) => `${head}:${dir}`));
    const trees = new Map<string, string>();
    for (const [i, dir] of dirs.entries()) {
      const day = await this.load(head, dir, current[i] ?? null);
      for (const [name, blob] of changes.get(dir)!) day.files.set(name, listingLine(name, blob));
      day.tree = await this.maker.make([...day.files.values()].join(''));
      trees.set(dir, day.tree);
    }
    return trees;
  }

  private async load(head: string, dir: string, tree: string | null): Promise<Day> {
    const cached = this.days.get(dir);
    if (cached && cached.tree === tree) {
      // Most recently used last, so that the oldest day is the one dropped.
      this.days.delete(dir);
      this.days.set(dir, cached);
      return cached;
    }
    const files = new Map<string, string>();
    if (tree !== null) {
      for (const entry of await listTree(this.git, head, dir)) {
        const name = entry.path.slice(dir.length + 1);
        if (entry.type !== 'blob' || entry.mode !== '100644' || name.includes('/')) {
          throw new Error(`${dir} holds ${entry.path} (${entry.type} ${entry.mode}), which homeostat never writes; refusing to rewrite that directory`);
        }
        files.set(name, listingLine(name, entry.sha));
      }
    }
    const day = { tree, files };
    this.days.delete(dir);
    this.days.set(dir, day);
    while (this.days.size > KEEP_DAYS) this.days.delete(this.days.keys().next().value!);
    return day;
  }
}
