/**
 * How a batch of writes becomes commits: the fast-import stream of one commit() call.
 *
 * Up to PER_WRITE_MAX writes, one commit per write, each with that write's line and trailers:
 * at the usual pace `git log --oneline` reads one line per intent or outcome. Above it, ONE
 * commit for the whole batch: its first line counts the entries (`audit: 12 entries (9
 * intents, 3 outcomes)`), the body has one line per write, the trailers one group per entry
 * (commit-message.ts). Why not a commit per write always: each commit writes the trees on its
 * path again. Measured in one fast-import stream, 100 writes cost 12 ms as one commit and 57 ms
 * as 100 commits; in a day directory that already holds 20,000 files (a 1.3 MB tree) each
 * commit costs ~50 ms, so a storm of 2,000 writes would take 100 s as commits per write and
 * ~0.3 s as one. The bound keeps the worst batch at PER_WRITE_MAX tree rewrites. A batch of
 * one commit writes each day directory's tree whole (bulkStream, day-trees.ts says why).
 */
import { ByteStream } from '../git/fast-import.js';
import type { Ident } from '../git/fast-import.js';
import { commitMessage } from './commit-message.js';
import type { AuditWrite } from './commit-message.js';
import { entryPath } from './entry.js';

export const PER_WRITE_MAX = 8;

/**
 * The commands for a non-empty batch, marks numbered from `firstMark`, and the mark of its last
 * commit (the new head). No `done`: the caller ends the stream, or keeps it open for more.
 */
export function batchStream(writes: readonly AuditWrite[], ref: string, who: Ident, firstMark = 1): { stream: Buffer[]; last: number } {
  const groups = writes.length <= PER_WRITE_MAX ? writes.map((w) => [w]) : [writes];
  const stream = new ByteStream();
  groups.forEach((group, i) => {
    const files = group.map((w) => ({ op: 'write' as const, path: entryPath(w.id), content: w.content }));
    // `<ref>^0` is the ref's value on disk (fast-import reads it, not its own memory of the
    // branch); the later commits continue from the previous one. fast-import refuses to move
    // the ref if someone else moved it meanwhile (not a fast-forward): nothing is overwritten.
    const from = i === 0 ? { from: `${ref}^0` } : {};
    stream.commit({ ref, mark: firstMark + i, author: who, committer: who, message: commitMessage(group), ...from, files });
  });
  return { stream: stream.chunks(), last: firstMark + groups.length - 1 };
}

/** Where an entry's file goes: its day directory and its name there. */
export function entryPlace(id: string): { dir: string; name: string } {
  const path = entryPath(id);
  const slash = path.lastIndexOf('/');
  return { dir: path.slice(0, slash), name: path.slice(slash + 1) };
}

/**
 * The commands of a large batch as one commit on `head`: the blobs (each write's content as
 * bytes, in order), then each day directory replaced whole by the tree `trees` gives for it
 * (day-trees.ts wrote those trees).
 */
export function bulkStream(writes: readonly AuditWrite[], blobs: readonly (Buffer | readonly Buffer[])[], trees: ReadonlyMap<string, string>, ref: string, who: Ident, head: string, mark: number): Buffer[] {
  const stream = new ByteStream();
  for (const blob of blobs) stream.blob(blob);
  const files = [...trees].map(([dir, tree]) => ({ op: 'copy' as const, path: dir, sha: tree, mode: '040000' }));
  return stream.commit({ ref, mark, author: who, committer: who, message: commitMessage(writes), from: head, files }).chunks();
}
