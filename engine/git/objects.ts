/** Object ids computed without a process: what `git hash-object` would say. */
import { createHash } from 'node:crypto';

/** The id git gives a blob with this content (SHA-1 repositories, git's default). */
export function blobId(content: string | Buffer): string {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}
