/**
 * Pushing the audit branch, never forced. A refused push is followed by a fetch: if the remote
 * branch moved, the local commits are replayed on top of it (replay.ts) and the push is tried
 * again, a few times at most; if it did not move or cannot be fetched, the refusal had another
 * cause (unreachable, permissions, a hook) and is returned. The commits stay local until a
 * push succeeds, and a later push sends them all, in order.
 */
import { fetchRef, gitErrorText, isAncestor, pushCommit, resolveCommit, updateRef } from '../git/git.js';
import type { Git } from '../git/git.js';
import type { AuditLogger } from './repo.js';
import type { Replayed } from './replay.js';

export interface PushResult {
  /** The remote branch holds the local head. */
  pushed: boolean;
  /** Why not; null when pushed or when no remote is configured. */
  error: string | null;
  /** Local commits made again on top of a remote tip that had moved. */
  replayed: number;
}

export interface PushTarget {
  git: Git;
  remote: { url: string; branch: string };
  branchRef: string;
  /** Where the remote branch's last known tip is kept (pending() counts from it). */
  trackingRef: string;
  /** Rebuilds the local branch on top of `tip`, with the branch held still. */
  replay(tip: string): Promise<Replayed>;
  log?: AuditLogger;
}

const PUSH_ATTEMPTS = 5;

export async function pushBranch(target: PushTarget): Promise<PushResult> {
  const { git, remote, branchRef, trackingRef } = target;
  const remoteRef = `refs/heads/${remote.branch}`;
  let replayed = 0;
  let refusal = '';
  for (let attempt = 1; attempt <= PUSH_ATTEMPTS; attempt++) {
    const head = await resolveCommit(git, branchRef);
    if (!head) return { pushed: false, error: 'the audit branch has no commit', replayed };
    try {
      await pushCommit(git, remote.url, head, remoteRef);
      await updateRef(git, trackingRef, head);
      return { pushed: true, error: null, replayed };
    } catch (error) {
      refusal = gitErrorText(error);
    }
    try {
      await fetchRef(git, remote.url, remoteRef, trackingRef);
    } catch {
      return { pushed: false, error: refusal, replayed };
    }
    const tip = await resolveCommit(git, trackingRef);
    if (!tip || (await isAncestor(git, tip, head))) return { pushed: false, error: refusal, replayed };
    const done = await target.replay(tip);
    replayed += done.replayed;
    target.log?.info({ onto: tip, replayed: done.replayed, attempt }, 'audit commits replayed onto the moved remote branch');
  }
  return { pushed: false, error: `the remote branch kept moving (${PUSH_ATTEMPTS} attempts): ${refusal}`, replayed };
}
