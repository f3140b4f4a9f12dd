/** Reads a policy repository from a directory on disk (the adapter behind lint, test, simulate). */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { FileMode, RepoFile, RepositoryInput } from './repository.js';
import { isInside } from '../util/paths.js';
import { isWalkedFolder, rootOf } from './locate.js';
import { MAX_FILE_BYTES } from './yaml-source.js';

export interface DirectoryRepository extends RepositoryInput {
  root: string;
  rulesDir: string;
}

export class RepositoryReadError extends Error {}

/**
 * DIR is a repository root (it holds rules/) or a rules folder itself; the root of a rules
 * folder is the nearest ancestor with homeostat.yaml or .git, else its parent (locate.ts).
 */
export function locateRepository(dir: string): { root: string; rulesDir: string } {
  const absolute = resolve(dir);
  if (!existsSync(absolute)) throw new RepositoryReadError(`${dir}: no such directory; give the policy repository (holding rules/) or its rules/ folder`);
  if (!statSync(absolute).isDirectory()) throw new RepositoryReadError(`${dir}: is a file; give the policy repository (holding rules/) or its rules/ folder, and every file in it is checked`);
  const { root, holdsRules } = rootOf(absolute, {
    holdsRules: (d) => existsSync(join(d, 'rules')) && statSync(join(d, 'rules')).isDirectory(),
    marksRoot: (d) => existsSync(join(d, 'homeostat.yaml')) || existsSync(join(d, '.git')),
    parent: (d) => (dirname(d) === d ? null : dirname(d)),
  });
  return { root, rulesDir: holdsRules ? join(root, 'rules') : absolute };
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return isWalkedFolder(entry.name) ? yamlFiles(path) : [];
      return entry.isFile() && /\.ya?ml$/.test(entry.name) ? [path] : [];
    })
    .sort();
}

function toPosix(path: string): string {
  return path.split(sep).join('/');
}

function readText(path: string, rel: string): string {
  try {
    // An oversized file is kept only up to the cap plus one byte: the parser reports it.
    if (statSync(path).size <= MAX_FILE_BYTES) return readFileSync(path, 'utf8');
    const head = Buffer.alloc(MAX_FILE_BYTES + 1);
    const fd = openSync(path, 'r');
    try {
      readSync(fd, head, 0, head.length, 0);
    } finally {
      closeSync(fd);
    }
    return head.toString('utf8');
  } catch (error) {
    throw new RepositoryReadError(`${rel}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

/** Reads the repository; `listed` hears how many files there are before they are read. */
export function readRepository(dir: string, listed?: (count: number) => void): DirectoryRepository {
  const { root, rulesDir } = locateRepository(dir);
  const paths = [...(existsSync(join(root, 'homeostat.yaml')) ? [join(root, 'homeostat.yaml')] : []), ...yamlFiles(rulesDir)];
  listed?.(paths.length);
  const hash = createHash('sha256');
  const known = new Map<string, boolean>();
  const modes = new Map<string, FileMode>();
  const inGit = inGitWorkTree(root);
  const files: RepoFile[] = paths.map((path) => {
    const rel = toPosix(relative(root, path));
    const text = readText(path, rel);
    hash.update(rel).update('\0').update(text).update('\0');
    return { path: rel, text };
  });
  return {
    root,
    rulesDir,
    files,
    revision: `content-${hash.digest('hex').slice(0, 12)}`,
    exists(path: string) {
      let found = known.get(path);
      if (found === undefined) {
        const absolute = join(root, path);
        found = isInside(root, absolute) && existsSync(absolute) && statSync(absolute).isFile();
        known.set(path, found);
      }
      return found;
    },
    mode(path: string) {
      let mode = modes.get(path);
      if (mode === undefined) {
        mode = fileMode(join(root, path), path, inGit);
        modes.set(path, mode);
      }
      return mode;
    },
  };
}

function fileMode(absolute: string, path: string, inGit: boolean): FileMode {
  const executable = (statSync(absolute).mode & 0o111) !== 0;
  const chmod = `chmod +x ${path}`;
  // In a git work tree the mode must be committed too, or a clone gets the file without it.
  const fix = inGit ? `${chmod}, and commit the mode (git update-index --chmod=+x ${path})` : chmod;
  return { executable, shebang: !executable && startsWithShebang(absolute), fix };
}

function startsWithShebang(path: string): boolean {
  const head = Buffer.alloc(2);
  const fd = openSync(path, 'r');
  try {
    return readSync(fd, head, 0, 2, 0) === 2 && head.toString('latin1') === '#!';
  } finally {
    closeSync(fd);
  }
}

function inGitWorkTree(dir: string): boolean {
  for (let at: string | null = dir; at !== null; at = dirname(at) === at ? null : dirname(at)) {
    if (existsSync(join(at, '.git'))) return true;
  }
  return false;
}
