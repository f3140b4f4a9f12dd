/**
 * Policy repositories in real git, for the tests of the git policy source and of `--rev`: a
 * bare remote with a work clone to commit and push from, commits signed with SSH keys made
 * by ssh-keygen, and an allowed-signers file. Every git call names its own author, so no
 * user configuration is needed or read (call these inside a gitSandbox, whose HOME is empty).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const IDENTITY = ['-c', 'user.name=Policy Author', '-c', 'user.email=author@example.test', '-c', 'init.defaultBranch=main', '-c', 'commit.gpgSign=false'];

/** `git -C dir …` with a fixed author; its output. */
export function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-C', dir, ...IDENTITY, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A file's text, or null to delete it; paths under scripts/ are written executable. */
export type RepoFiles = Record<string, string | null>;

export interface CommitOptions {
  /** Sign the commit with this private SSH key (a path). */
  signWith?: string;
}

/** A git work tree where policy repositories are written and committed. */
export class WorkTree {
  constructor(readonly dir: string) {}

  git(...args: string[]): string {
    return git(this.dir, ...args);
  }

  write(files: RepoFiles): void {
    for (const [path, text] of Object.entries(files)) {
      const full = join(this.dir, path);
      if (text === null) {
        rmSync(full, { force: true });
        continue;
      }
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, text);
      if (path.startsWith('scripts/')) chmodSync(full, 0o755);
    }
  }

  read(path: string): string {
    return readFileSync(join(this.dir, path), 'utf8');
  }

  /** Writes the files and commits every change; returns the new commit's sha. */
  commit(message: string, files: RepoFiles = {}, options: CommitOptions = {}): string {
    this.write(files);
    this.git('add', '--all');
    const signing = options.signWith ? ['-c', 'gpg.format=ssh', '-c', `user.signingKey=${options.signWith}`] : [];
    execFileSync('git', ['-C', this.dir, ...IDENTITY, ...signing, 'commit', '--quiet', '--allow-empty', ...(options.signWith ? ['-S'] : []), '-m', message], { stdio: ['ignore', 'pipe', 'pipe'] });
    return this.head();
  }

  head(): string {
    return this.git('rev-parse', 'HEAD').trim();
  }

  /** The mode git records for a path at HEAD (100644, 100755…). */
  modeAt(path: string, rev = 'HEAD'): string {
    return this.git('ls-tree', rev, '--', path).split(/\s/)[0]!;
  }
}

/** A bare repository (the remote the engine syncs) and a clone of it to push from. */
export class PolicyRemote extends WorkTree {
  constructor(
    /** The bare repository: what `serve --policies` names. */
    readonly url: string,
    work: string,
  ) {
    super(work);
  }

  /** Commits and pushes to main; returns the pushed sha. */
  push(message: string, files: RepoFiles = {}, options: CommitOptions & { force?: boolean } = {}): string {
    const sha = this.commit(message, files, options);
    this.git('push', '--quiet', ...(options.force ? ['--force'] : []), 'origin', 'HEAD:main');
    return sha;
  }
}

/** A new git work tree (not bare) at `dir` with one commit of `files`. */
export function createWorkTree(dir: string, files: RepoFiles): WorkTree {
  mkdirSync(dir, { recursive: true });
  git(dir, 'init', '--quiet');
  const tree = new WorkTree(dir);
  tree.commit('initial policies', files);
  return tree;
}

/** A bare remote at `${root}/remote.git` whose main holds `files` in one commit, cloned at `${root}/work`. */
export function createPolicyRemote(root: string, files: RepoFiles, options: CommitOptions = {}): PolicyRemote {
  const url = join(root, 'remote.git');
  const work = join(root, 'work');
  mkdirSync(root, { recursive: true });
  execFileSync('git', [...IDENTITY, 'init', '--quiet', '--bare', url]);
  execFileSync('git', [...IDENTITY, 'clone', '--quiet', url, work], { stdio: ['ignore', 'pipe', 'pipe'] });
  const remote = new PolicyRemote(url, work);
  remote.push('initial policies', files, options);
  return remote;
}

export interface SshKey {
  /** The private key file, for user.signingKey. */
  path: string;
  /** The public key line: `ssh-ed25519 AAAA… comment`. */
  publicKey: string;
}

/**
 * An ed25519 key without passphrase at `path`. ssh-keygen signs and verifies git's SSH
 * signatures; a machine without it fails here, naming the package to install.
 */
export function sshKey(path: string): SshKey {
  const probe = spawnSync('ssh-keygen', ['-?'], { encoding: 'utf8' });
  if ((probe.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    throw new Error('ssh-keygen is not installed: signed-commit tests need it (Debian package openssh-client: apt-get install openssh-client)');
  }
  mkdirSync(dirname(path), { recursive: true });
  execFileSync('ssh-keygen', ['-t', 'ed25519', '-N', '', '-C', 'homeostat-test', '-f', path, '-q']);
  return { path, publicKey: readFileSync(`${path}.pub`, 'utf8').trim() };
}

/** An allowed-signers file (gpg.ssh.allowedSignersFile) listing `keys` for git signatures. */
export function writeAllowedSigners(path: string, keys: readonly SshKey[]): string {
  writeFileSync(path, keys.map((key, i) => `signer-${i}@example.test namespaces="git" ${key.publicKey}\n`).join(''));
  return path;
}
