/**
 * Streams for `git fast-import` (pure text building, no process): commits whose files are
 * given inline or by blob id. fast-import writes objects straight into a pack and touches only
 * the trees on the changed paths, so a commit costs the same in a repository of ten files or
 * of a million, which a working tree and an index cannot offer.
 */
import type { Ident } from './log.js';

export type { Ident };

export type FileOp =
  | { op: 'write'; path: string; content: string; mode?: string }
  | { op: 'copy'; path: string; sha: string; mode: string }
  | { op: 'delete'; path: string };

export interface StreamCommit {
  ref: string;
  mark: number;
  author: Ident;
  committer: Ident;
  message: string;
  /** The parent: a commit id, `:mark`, or `refs/heads/x^0` (the ref's value before the import). None: continue the ref. */
  from?: string;
  files: readonly FileOp[];
}

/** `data <bytes>` then the bytes: counts are in bytes, not characters. */
function data(text: string): string {
  return `data ${Buffer.byteLength(text, 'utf8')}\n${text}\n`;
}

function ident(kind: 'author' | 'committer', who: Ident): string {
  const clean = (s: string) => s.replace(/[<>\n\r]/g, '').trim();
  if (!/^\d+ [+-]\d{4}$/.test(who.date)) throw new Error(`not a raw git date: ${who.date}`);
  return `${kind} ${clean(who.name)} <${clean(who.email)}> ${who.date}\n`;
}

function checkPath(path: string): string {
  // Quoting would be needed for these; homeostat never writes such paths.
  if (/[\n\r\0"]/.test(path) || path.startsWith('/') || path === '') throw new Error(`unsupported path in the audit repository: ${JSON.stringify(path)}`);
  return path;
}

function fileOp(f: FileOp): string {
  const path = checkPath(f.path);
  switch (f.op) {
    case 'write':
      return `M ${f.mode ?? '100644'} inline ${path}\n${data(f.content)}`;
    case 'copy':
      return `M ${f.mode} ${f.sha} ${path}\n`;
    case 'delete':
      return `D ${path}\n`;
  }
}

export function commitCommand(c: StreamCommit): string {
  let out = `commit ${c.ref}\nmark :${c.mark}\n${ident('author', c.author)}${ident('committer', c.committer)}${data(c.message)}`;
  if (c.from !== undefined) out += `from ${c.from}\n`;
  for (const f of c.files) out += fileOp(f);
  return `${out}\n`;
}

/**
 * A stream built as bytes: the contents are encoded once, by the caller (who also hashes
 * them), and never copied into one long string first, which would cost a second encoding.
 */
export class ByteStream {
  private readonly parts: Buffer[] = [];
  private text = '';

  add(text: string): this {
    this.text += text;
    return this;
  }

  /** A blob on its own (no mark): the caller knows its id (blobId), a tree names it. */
  blob(content: Buffer): this {
    this.add(`blob\ndata ${content.length}\n`).flush();
    this.parts.push(content);
    return this.add('\n');
  }

  /** The stream, in parts (written to a pipe as they are: no copy into one buffer). */
  chunks(): Buffer[] {
    this.flush();
    return this.parts;
  }

  private flush(): void {
    if (this.text) this.parts.push(Buffer.from(this.text, 'utf8'));
    this.text = '';
  }
}

/** Points `ref` at `from` before the commits that continue it. */
export function resetCommand(ref: string, from: string): string {
  return `reset ${ref}\nfrom ${from}\n\n`;
}

/** Asks fast-import to print the id of a marked object (on stdout), then ends the stream. */
export function finish(printMark: number | null): string {
  return `${printMark === null ? '' : `get-mark :${printMark}\n`}done\n`;
}

/** The last object id fast-import printed (get-mark), or null. */
export function printedId(output: string): string | null {
  const ids = output.match(/^[0-9a-f]{40}(?:[0-9a-f]{24})?$/gm);
  return ids?.at(-1) ?? null;
}

/** Now, in git's raw date form (UTC). */
export function rawDate(ms: number): string {
  return `${Math.floor(ms / 1000)} +0000`;
}
