import { isAbsolute, relative, sep } from 'node:path';

/** Whether `path` lies strictly inside the folder `root` (both absolute, resolved). */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}
