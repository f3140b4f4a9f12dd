/**
 * The tokens the HTTP API checks, read again when their files change (an operator or a secret
 * manager rotates them) and on SIGHUP: from then on the new token is accepted and the old one
 * refused. A file that cannot be read, or holds too short a token, refuses every request until
 * it is mended (an operator revokes a leaked token by emptying or removing its file; no token
 * at all would open the API) and says so. Logs name the token and its file, never its value.
 */
import { randomBytes } from 'node:crypto';
import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from 'pino';
import { readTokenFile } from '../config/serve-config.js';
import type { TokenFiles } from '../config/serve-config.js';

/** A token as the server checks it: absent, fixed (from the environment), or read from a file that may be rotated. */
export type Token = string | null | LiveToken;

export interface LiveToken {
  current(): string;
}

export function currentToken(token: Token): string | null {
  return typeof token === 'object' && token !== null ? token.current() : token;
}

type TokenName = keyof TokenFiles;

/** Editors and secret managers write a file in more than one step: read once it has settled. */
const SETTLE_MS = 100;

class FileToken implements LiveToken {
  private problem: string | null = null;

  constructor(
    readonly name: TokenName,
    readonly file: string,
    private value: string,
    private readonly log: Logger,
    private readonly onChange: (value: string) => void,
  ) {}

  /** While the file is unusable: a value no request can present, so every one is refused. */
  private readonly refuseAll = randomBytes(32).toString('base64');

  current(): string {
    return this.problem === null ? this.value : this.refuseAll;
  }

  reload(reason: string): void {
    let next: string;
    try {
      next = readTokenFile(this.file, `the ${this.name} token file ${this.file}`);
    } catch (error) {
      const problem = (error as Error).message;
      // A directory event repeats while a file stays broken: one line per new problem.
      if (problem !== this.problem) this.log.error({ token: this.name, file: this.file, reason, problem }, 'token file unusable: every request needing this token is refused until it is mended');
      this.problem = problem;
      return;
    }
    if (this.problem !== null) this.log.info({ token: this.name, file: this.file, reason }, 'token file usable again');
    this.problem = null;
    if (next === this.value) return;
    this.value = next;
    this.onChange(next);
    this.log.info({ token: this.name, file: this.file, reason }, 'token file changed: the new token is in force and the previous one refused');
  }
}

export interface ServerTokens {
  webhook: Token;
  admin: Token;
  sync: Token;
  /** The web page's read-only token. */
  viewer: Token;
  /** Every token value in force since start-up, rotated-out ones included: what redaction masks. */
  secrets(): readonly string[];
  /** Reads every token file again now (SIGHUP). */
  reload(reason: string): void;
  close(): void;
}

/**
 * The tokens of `serve`: those from files are watched by their folder (a rotation by rename,
 * or Kubernetes' swap of the `..data` link, is an event of the folder, not of the file).
 */
export function watchTokens(values: Record<TokenName, string | null>, files: TokenFiles, log: Logger): ServerTokens {
  const seen = new Set(Object.values(values).filter((v): v is string => v !== null));
  const live: FileToken[] = [];
  const token = (name: TokenName): Token => {
    const file = files[name];
    const value = values[name];
    if (file === null || value === null) return value;
    const t = new FileToken(name, file, value, log, (next) => seen.add(next));
    live.push(t);
    return t;
  };
  const tokens = { webhook: token('webhook'), admin: token('admin'), sync: token('sync'), viewer: token('viewer') };
  const watchers: FSWatcher[] = [];
  const timers = new Set<NodeJS.Timeout>();
  for (const dir of new Set(live.map((t) => dirname(t.file)))) {
    const inDir = live.filter((t) => dirname(t.file) === dir);
    let pending: NodeJS.Timeout | null = null;
    const settle = () => {
      if (pending) return;
      pending = setTimeout(() => {
        timers.delete(pending!);
        pending = null;
        for (const t of inDir) t.reload('file changed');
      }, SETTLE_MS);
      timers.add(pending);
    };
    try {
      const watcher = watch(dir, { persistent: false }, settle);
      watcher.on('error', (error) => log.warn({ dir, err: error, files: inDir.map((t) => basename(t.file)) }, 'token folder no longer watched: send SIGHUP after rotating a token'));
      watchers.push(watcher);
    } catch (error) {
      log.warn({ dir, err: error }, 'token folder cannot be watched: send SIGHUP after rotating a token');
    }
  }
  return {
    ...tokens,
    secrets: () => [...seen],
    reload: (reason) => {
      for (const t of live) t.reload(reason);
      log.info({ reason, files: live.map((t) => t.file) }, 'token files read again');
    },
    close: () => {
      for (const w of watchers) w.close();
      for (const timer of timers) clearTimeout(timer);
    },
  };
}
