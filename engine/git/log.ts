/** `git log` read into records: one process for any number of commits, with their file changes. */
import type { Git } from './git.js';

export interface Ident {
  name: string;
  email: string;
  /** git's raw form, `<seconds since the epoch> <±hhmm>`: what fast-import takes back. */
  date: string;
}

export interface FileChange {
  /** A (added), M (modified), D (deleted), T (type changed). */
  status: string;
  /** The new mode and blob; for a deletion, the zero mode and id. */
  mode: string;
  sha: string;
  path: string;
}

export interface CommitRecord {
  sha: string;
  parents: string[];
  author: Ident;
  committer: Ident;
  /** The whole message, subject and body and trailers. */
  message: string;
  /** Only when asked for (LogQuery.changes): the diff against the first parent. */
  changes?: FileChange[];
}

export interface LogQuery {
  /** Revisions to start from; `^rev` excludes. */
  revs: readonly string[];
  /** Only commits that touch these paths. */
  paths?: readonly string[];
  maxCount?: number;
  /** An ISO date: commits since then. */
  since?: string;
  reverse?: boolean;
  changes?: boolean;
}

// A record separator before each commit and a unit separator between fields: neither appears
// in the messages homeostat writes, and a record that does not parse is reported, not guessed.
const FIELDS = ['%H', '%P', '%an', '%ae', '%ad', '%cn', '%ce', '%cd', '%B'];
const FORMAT = `%x1e${FIELDS.join('%x1f')}%x1f`;

export async function readLog(git: Git, query: LogQuery): Promise<CommitRecord[]> {
  const args = ['log', '-z', `--format=${FORMAT}`, '--date=raw', '--topo-order'];
  if (query.reverse) args.push('--reverse');
  if (query.maxCount !== undefined) args.push(`--max-count=${query.maxCount}`);
  if (query.since !== undefined) args.push(`--since=${query.since}`);
  if (query.changes) args.push('--raw', '--no-abbrev', '--no-renames', '--diff-merges=first-parent', '--root');
  args.push('--end-of-options', ...query.revs, '--', ...(query.paths ?? []));
  const out = await git.client.raw(args);
  return out.split('\x1e').slice(1).map((record) => parseRecord(record, query.changes === true));
}

function parseRecord(record: string, withChanges: boolean): CommitRecord {
  const fields = record.split('\x1f');
  if (fields.length !== FIELDS.length + 1) throw new Error(`git log: cannot read the commit record ${JSON.stringify(record.slice(0, 60))}`);
  const [sha, parents, an, ae, ad, cn, ce, cd, message, rest] = fields as [string, string, string, string, string, string, string, string, string, string];
  const commit: CommitRecord = {
    sha,
    parents: parents.split(' ').filter(Boolean),
    author: { name: an, email: ae, date: ad },
    committer: { name: cn, email: ce, date: cd },
    message,
  };
  if (withChanges) commit.changes = parseRaw(rest);
  return commit;
}

// `:<old mode> <new mode> <old sha> <new sha> <status>\0<path>\0` for each changed file.
function parseRaw(raw: string): FileChange[] {
  const parts = raw.split('\0');
  const changes: FileChange[] = [];
  for (let i = 0; i < parts.length; i++) {
    const meta = parts[i]!.replace(/^\n/, '');
    if (!meta.startsWith(':')) continue;
    const [, mode, , sha, status] = meta.slice(1).split(' ');
    changes.push({ status: status!, mode: mode!, sha: sha!, path: parts[++i]! });
  }
  return changes;
}
