/**
 * A policy repository as it stands at a git revision, read from the object database alone: a
 * working tree, if there is one, is neither read nor touched. `lint|test|simulate --rev` and
 * the engine's git sync both load through here.
 *
 * A RevisionLoader keeps what each file's analysis gave, by path and blob id, so that the next
 * revision analyses only the files that changed; the assembling step (names across files,
 * references, compile) runs whole, as it does for a directory.
 */
import { existsSync, statSync } from 'node:fs';
import type { Git } from '../git/git.js';
import { listTree, locateGitDir, openGit, readBlobs, resolveCommit } from '../git/git.js';
import { resolveTestPath } from './repository.js';
import { analyzeFile } from './analyze.js';
import type { FileAnalysis, RepoFile } from './analyze.js';
import { compilePolicy } from '../policy/compile.js';
import type { CompiledPolicy } from '../policy/types.js';
import { isWalkedFolder, rootOf } from './locate.js';
import { assemble } from './repository.js';
import type { CompileFn, LoadResult, RepositoryInput } from './repository.js';
import { MAX_FILE_BYTES } from './yaml-source.js';

export interface RevisionRepository extends RepositoryInput {
  /** The commit the revision names. */
  commit: string;
  /** The policy repository's root folder inside the git repository ('' for the top). */
  base: string;
  /** The folder the policy files were read from, relative to `base` ('' for base itself). */
  rulesPath: string;
  /** Every regular file of the policy repository at the revision, by path relative to `base`. */
  blobs: ReadonlyMap<string, Blob>;
}

export interface Blob {
  sha: string;
  executable: boolean;
}

export class RevisionError extends Error {}

/** Names that would lead a path out of the folder it is written to. */
const UNSAFE_NAMES = new Set(['', '.', '..', '.git']);

/** Regular files only: a symbolic link in a policy repository is neither read nor run. */
const MODES: Record<string, boolean> = { '100644': false, '100755': true };

interface Analysed {
  sha: string;
  file: RepoFile;
  analysis: FileAnalysis;
}

export class RevisionLoader {
  private analysed = new Map<string, Analysed>();

  constructor(
    readonly git: Git,
    /** The folder named: the policy repository (holding rules/) or its rules folder ('' for the top). */
    readonly base: string,
  ) {}

  /** Loads the policy repository at `rev`; throws RevisionError when `rev` names no commit. */
  async load(rev: string): Promise<{ repo: RevisionRepository; result: LoadResult }> {
    const commit = await resolveCommit(this.git, rev).catch(() => null);
    if (!commit) throw new RevisionError(`${rev}: no such revision in ${this.git.dir}`);
    const tree = new Map<string, Blob>();
    for (const entry of await listTree(this.git, commit, '')) {
      if (entry.path.split('/').some((name) => UNSAFE_NAMES.has(name.toLowerCase()))) {
        throw new RevisionError(`${commit.slice(0, 12)} holds the path ${JSON.stringify(entry.path)}, with a name ('', '.', '..' or '.git') no checkout would write; refused`);
      }
      const executable = MODES[entry.mode];
      if (entry.type === 'blob' && executable !== undefined) tree.set(entry.path, { sha: entry.sha, executable });
    }
    const { root, rulesPath } = locate(tree, this.base);
    const prefix = root ? `${root}/` : '';
    const blobs = new Map<string, Blob>();
    for (const [path, blob] of tree) if (path.startsWith(prefix)) blobs.set(path.slice(prefix.length), blob);
    const policyFiles = [...blobs.keys()].filter((path) => isPolicyFile(path, rulesPath)).sort(settingsFirst);
    if (!policyFiles.some((path) => path !== 'homeostat.yaml')) throw new RevisionError(`${rev}: no policy files (*.yaml, *.yml) in ${[root, rulesPath].filter(Boolean).join('/') || 'the top folder'} at ${commit.slice(0, 12)}`);

    const unread = policyFiles.filter((path) => this.analysed.get(path)?.sha !== blobs.get(path)!.sha);
    const texts = await readTexts(this.git, unread.map((path) => blobs.get(path)!.sha));
    const fresh = new Map(unread.map((path, i) => [path, texts[i]!]));
    const next = new Map<string, Analysed>();
    for (const path of policyFiles) {
      const sha = blobs.get(path)!.sha;
      const text = fresh.get(path);
      if (text === undefined) {
        next.set(path, this.analysed.get(path)!);
      } else {
        const file = { path, text };
        next.set(path, { sha, file, analysis: analyzeFile(file) });
      }
    }
    this.analysed = next;
    const shebangs = await this.shebangs(blobs, policyFiles.map((path) => next.get(path)!.analysis));
    const repo: RevisionRepository = {
      commit,
      base: root,
      rulesPath,
      blobs,
      revision: commit,
      files: policyFiles.map((path) => next.get(path)!.file),
      exists: (path) => blobs.has(path),
      mode: (path) => {
        const executable = blobs.get(path)?.executable ?? false;
        return { executable, shebang: shebangs.has(path), fix: `git update-index --chmod=+x ${path}, then commit` };
      },
    };
    return { repo, result: assemble(repo, policyFiles.map((path) => next.get(path)!.analysis), this.compile) };
  }

  /**
   * compilePolicy for a document analysed before, at the same place and under the same
   * settings, answers what it answered then: a revision that changes one file compiles one
   * policy. Compiled policies are immutable, so two sets may share them.
   */
  private readonly compiled = new WeakMap<object, { settings: unknown; file: string; line: number; policy: CompiledPolicy }>();
  private readonly compile: CompileFn = (value, source, settings) => {
    const known = this.compiled.get(value);
    if (known && known.settings === settings && known.file === source.file && known.line === source.line) return known.policy;
    const policy = compilePolicy(value, source, settings);
    this.compiled.set(value, { settings, file: source.file, line: source.line, policy });
    return policy;
  };

  /**
   * The inventories the policies name that are not executable but start with '#!' (scripts
   * without their mode). Only those blobs are read: an executable file needs no look inside.
   */
  private async shebangs(blobs: ReadonlyMap<string, Blob>, analyses: readonly FileAnalysis[]): Promise<Set<string>> {
    const paths = new Set<string>();
    for (const analysis of analyses) {
      for (const doc of analysis.docs) {
        for (const r of doc.references) if (r.what === 'inventory' && blobs.get(r.path)?.executable === false) paths.add(r.path);
      }
    }
    const listed = [...paths];
    const texts = await readTexts(this.git, listed.map((path) => blobs.get(path)!.sha));
    return new Set(listed.filter((_, i) => texts[i]!.startsWith('#!')));
  }

  /** Files of the repository at a loaded revision, by path relative to its base. */
  async read(repo: RevisionRepository, paths: readonly string[]): Promise<Map<string, string>> {
    const known = paths.filter((path) => repo.blobs.has(path));
    const texts = await readTexts(this.git, known.map((path) => repo.blobs.get(path)!.sha));
    return new Map(known.map((path, i) => [path, texts[i]!]));
  }
}

/**
 * A reader of the files the policy tests of a load name as their alerts, all read at its
 * revision first (git is asked once): what runTests reads payloads with.
 */
export async function testPayloadReader(loader: RevisionLoader, repo: RevisionRepository, result: LoadResult): Promise<(path: string) => string> {
  const paths = result.tests.flatMap((test) =>
    (test.value.spec?.cases ?? []).flatMap((c) => (typeof c.alerts === 'string' ? [resolveTestPath(test.file, c.alerts)] : [])),
  );
  const texts = await loader.read(repo, paths.filter((p): p is string => p !== null));
  return (path) => {
    const text = texts.get(path);
    if (text === undefined) throw new Error(`${path}: not in ${repo.commit.slice(0, 12)}`);
    return text;
  };
}

/**
 * The policy repository at `rev` of the git repository holding `dir`, where `dir` is its
 * folder (or a subfolder, as the policy repository's base); nothing of the working tree is read.
 */
export async function loadRevision(dir: string, rev: string): Promise<{ loader: RevisionLoader; repo: RevisionRepository; result: LoadResult }> {
  if (!existsSync(dir)) throw new RevisionError(`${dir}: no such directory; give a folder of the git repository (the policy repository, or its rules folder)`);
  if (!statSync(dir).isDirectory()) throw new RevisionError(`${dir}: is a file; give a folder of the git repository (the policy repository, or its rules folder)`);
  const located = await locateGitDir(dir);
  if (!located) throw new RevisionError(`${dir}: not in a git repository, so --rev has nothing to read; drop --rev to load the directory as it is`);
  const loader = new RevisionLoader(openGit(located.gitDir), located.prefix);
  return { loader, ...(await loader.load(rev)) };
}

/**
 * Where the policy repository stands in the tree, by the rule a directory's is found on disk
 * (locate.ts); the top of the tree is a repository's root, as a folder holding .git is.
 */
function locate(tree: ReadonlyMap<string, Blob>, dir: string): { root: string; rulesPath: string } {
  const join = (a: string, b: string) => [a, b].filter(Boolean).join('/');
  const under = (folder: string) => {
    const prefix = folder ? `${folder}/` : '';
    for (const path of tree.keys()) if (path.startsWith(prefix)) return true;
    return false;
  };
  if (dir && !under(dir)) throw new RevisionError(`${dir}: no such folder in this revision; give the folder that holds rules/ (or the rules folder itself)`);
  const { root, holdsRules } = rootOf(dir, {
    holdsRules: (d) => under(join(d, 'rules')),
    marksRoot: (d) => d === '' || tree.has(join(d, 'homeostat.yaml')),
    parent: (d) => (d === '' ? null : d.includes('/') ? d.slice(0, d.lastIndexOf('/')) : ''),
  });
  return { root, rulesPath: holdsRules ? 'rules' : root ? dir.slice(root.length + 1) : dir };
}

/** homeostat.yaml at the top, and the YAML files of the rules folder outside hidden folders. */
function isPolicyFile(path: string, rulesPath: string): boolean {
  if (path === 'homeostat.yaml') return true;
  if (rulesPath && !path.startsWith(`${rulesPath}/`)) return false;
  const inside = rulesPath ? path.slice(rulesPath.length + 1) : path;
  return /\.ya?ml$/.test(inside) && inside.split('/').slice(0, -1).every(isWalkedFolder);
}

/** The order a directory is read in: homeostat.yaml, then the policy files by path. */
function settingsFirst(a: string, b: string): number {
  if (a === 'homeostat.yaml' || b === 'homeostat.yaml') return a === 'homeostat.yaml' ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

async function readTexts(git: Git, shas: readonly string[]): Promise<string[]> {
  const contents = await readBlobs(git, shas);
  return contents.map((content, i) => {
    if (!content) throw new RevisionError(`blob ${shas[i]} is missing from ${git.dir}`);
    // An oversized file is kept only up to the cap plus one byte: the parser reports it.
    return (content.length > MAX_FILE_BYTES ? content.subarray(0, MAX_FILE_BYTES + 1) : content).toString('utf8');
  });
}
