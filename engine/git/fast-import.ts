/**
 * Streams for `git fast-import` (pure text building, no process): commits whose files are
 * given inline or by blob id. fast-import writes objects straight into a pack and touches only
 * the trees on the changed paths, so a commit costs the same in a repository of ten files or
 * of a million, which a working tree and an index cannot offer.
 */
import type { Ident } from './log.js';

export type { Ident };

/** A file's content: its text, or its bytes in parts (a large one, never joined into one string). */
export type Content = string | readonly Buffer[];

export type FileOp<C extends Content = string> =
  | { op: 'write'; path: string; content: C; mode?: string }
  | { op: 'copy'; path: string; sha: string; mode: string }
  | { op: 'delete'; path: string };

export interface StreamCommit<C extends Content = string> {
  ref: string;
  mark: number;
  author: Ident;
  committer: Ident;
  message: string;
  /** The parent: a commit id, `:mark`, or `refs/heads/x^0` (the ref's value before the import). None: continue the ref. */
  from?: string;
  files: readonly FileOp<C>[];
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

/** A commit's commands, in order: text, and the contents given as bytes, as they are. */
function commitPieces(c: StreamCommit<Content>): (string | readonly Buffer[])[] {
  const pieces: (string | readonly Buffer[])[] = [];
  let out = `commit ${c.ref}\nmark :${c.mark}\n${ident('author', c.author)}${ident('committer', c.committer)}${data(c.message)}`;
  if (c.from !== undefined) out += `from ${c.from}\n`;
  for (const f of c.files) {
    if (f.op !== 'write' || typeof f.content === 'string') {
      out += fileOp(f as FileOp);
      continue;
    }
    pieces.push(`${out}M ${f.mode ?? '100644'} inline ${checkPath(f.path)}\ndata ${byteLength(f.content)}\n`, f.content);
    out = '\n';
  }
  pieces.push(`${out}\n`);
  return pieces;
}

export function commitCommand(c: StreamCommit): string {
  return commitPieces(c).join('');
}

function byteLength(parts: readonly Buffer[]): number {
  let n = 0;
  for (const part of parts) n += part.length;
  return n;
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
  blob(content: Buffer | readonly Buffer[]): this {
    const parts = Buffer.isBuffer(content) ? [content] : content;
    return this.add(`blob\ndata ${byteLength(parts)}\n`).bytes(parts).add('\n');
  }

  /** A commit, its contents given as text or as bytes. */
  commit(c: StreamCommit<Content>): this {
    for (const piece of commitPieces(c)) {
      if (typeof piece === 'string') this.add(piece);
      else this.bytes(piece);
    }
    return this;
  }

  /** The stream, in parts (written to a pipe as they are: no copy into one buffer). */
  chunks(): Buffer[] {
    this.flush();
    return this.parts;
  }

  private bytes(parts: readonly Buffer[]): this {
    this.flush();
    this.parts.push(...parts);
    return this;
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
