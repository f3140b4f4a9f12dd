/** Object ids computed without a process: what `git hash-object` would say. */
import { createHash } from 'node:crypto';

/** The id git gives a blob with this content (SHA-1 repositories, git's default). */
export function blobId(content: string | Buffer | readonly Buffer[]): string {
  const parts = typeof content === 'string' ? [Buffer.from(content, 'utf8')] : Buffer.isBuffer(content) ? [content] : content;
  const hash = createHash('sha1').update(`blob ${parts.reduce((n, part) => n + part.length, 0)}\0`);
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
}
