/**
 * Replaying local audit commits onto a remote tip that moved, so that a push needs no force.
 * Each local commit not on the remote is made again on top of it, in order, with the same
 * message, author, committer and dates and the same file changes (the blobs are already in
 * the repository: `M <mode> <blob> <path>`). Entry files never conflict, since every id is
 * unique; a change the remote already has (the README both sides started with) is dropped,
 * and a commit left with no change is not made. Only the local branch moves.
 */
import { commitCommand, finish, printedId, resetCommand } from '../git/fast-import.js';
import type { FileOp } from '../git/fast-import.js';
import { deleteRef, fastImport, isAncestor, objectIds, readLog, resolveCommit, updateRef } from '../git/git.js';
import type { CommitRecord, Git } from '../git/git.js';

/** Scratch ref the replay is built on; the branch moves to it only once it is complete. */
const REPLAY_REF = 'refs/homeostat/replay';

export interface Replayed {
  head: string;
  /** Commits made again on top of the remote tip. */
  replayed: number;
}

/** Rebuilds `branchRef` as `onto` plus the commits only the branch had. Call with the branch held still. */
export async function replayOnto(git: Git, branchRef: string, onto: string): Promise<Replayed> {
  const head = await resolveCommit(git, branchRef);
  if (!head) throw new Error(`${branchRef} has no commit to replay`);
  const local = await readLog(git, { revs: [head, `^${onto}`], reverse: true, changes: true });
  if (local.length === 0) {
    // The remote holds every local commit: follow it if it is ahead.
    if (head !== onto && (await isAncestor(git, head, onto))) await updateRef(git, branchRef, onto, head);
    return { head: onto, replayed: 0 };
  }
  const { stream, commits } = await replayStream(git, local, onto);
  let newHead = onto;
  if (commits > 0) {
    const out = await fastImport(git, stream + finish(commits), { force: true }); // --force: only REPLAY_REF, ours
    const id = printedId(out);
    if (!id) throw new Error('git fast-import did not say which commit the replay made');
    newHead = id;
  }
  await updateRef(git, branchRef, newHead, head);
  if (commits > 0) await deleteRef(git, REPLAY_REF);
  return { head: newHead, replayed: commits };
}

async function replayStream(git: Git, local: readonly CommitRecord[], onto: string): Promise<{ stream: string; commits: number }> {
  const paths = [...new Set(local.flatMap((c) => (c.changes ?? []).map((ch) => ch.path)))];
  const ids = await objectIds(git, paths.map((p) => `${onto}:${p}`));
  // What each path holds on the replayed line so far, starting from the remote tip.
  const current = new Map(paths.map((p, i) => [p, ids[i] ?? null]));
  let stream = resetCommand(REPLAY_REF, onto);
  let mark = 0;
  for (const commit of local) {
    const files: FileOp[] = [];
    for (const change of commit.changes ?? []) {
      const deleted = change.status === 'D';
      const now = current.get(change.path) ?? null;
      if (deleted ? now === null : now === change.sha) continue;
      files.push(deleted ? { op: 'delete', path: change.path } : { op: 'copy', path: change.path, sha: change.sha, mode: change.mode });
      current.set(change.path, deleted ? null : change.sha);
    }
    if (files.length === 0) continue;
    stream += commitCommand({ ref: REPLAY_REF, mark: ++mark, author: commit.author, committer: commit.committer, message: commit.message, files });
  }
  return { stream, commits: mark };
}
