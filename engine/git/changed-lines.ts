/**
 * The lines a change adds or rewrites, by path: what a pull request's review annotates. Read
 * from `git diff --unified=0 BASE...HEAD` (against the merge base, as GitHub shows a PR).
 */
import type { Git } from './git.js';

/** Paths relative to the top of the repository, each with the new-side line numbers changed. */
export async function changedLines(git: Git, base: string, head: string): Promise<Map<string, Set<number>>> {
  const out = await git.client.raw(['diff', '--unified=0', '--no-color', '--no-ext-diff', '--no-renames', '--end-of-options', `${base}...${head}`, '--']);
  return parseUnifiedZero(out);
}

export function parseUnifiedZero(diff: string): Map<string, Set<number>> {
  const changed = new Map<string, Set<number>>();
  let lines: Set<number> | null = null;
  for (const line of diff.split('\n')) {
    if (line.startsWith('+++ ')) {
      const path = line.slice(4);
      lines = path === '/dev/null' ? null : new Set<number>();
      if (lines) changed.set(path.replace(/^b\//, ''), lines);
      continue;
    }
    const hunk = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@/.exec(line);
    if (!hunk || !lines) continue;
    const start = Number(hunk[1]);
    const length = hunk[2] === undefined ? 1 : Number(hunk[2]);
    for (let n = start; n < start + length; n++) lines.add(n);
  }
  return changed;
}
