/**
 * Secret references, `{ env: NAME }` or `{ file: PATH }`, read when an action runs and never
 * before: a policy, a plan, `simulate` and the intent entry only ever hold the reference. A
 * value read is added to what the run masks, so it cannot reach a log, an audit entry or an
 * error. Errors name the reference, never what was read.
 */
import { readFileSync } from 'node:fs';

export type SecretRef = { env: string } | { file: string };

export class SecretError extends Error {}

export function isSecretRef(value: unknown): value is SecretRef {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && ((keys[0] === 'env' && typeof (value as { env: unknown }).env === 'string') || (keys[0] === 'file' && typeof (value as { file: unknown }).file === 'string'));
}

/** How the audit and errors name a secret: 'env SLACK_WEBHOOK_URL', 'file /run/secrets/pd'. */
export function describeRef(ref: SecretRef): string {
  return 'env' in ref ? `env ${ref.env}` : `file ${ref.file}`;
}

/**
 * The engine's own configuration (its tokens) is not a secret a policy may send somewhere:
 * a policy author could otherwise post the admin token to a receiver of their choosing.
 */
const ENGINE_ENV = /^HOMEOSTAT_/;

/** The value, without a trailing newline; a missing, empty or unreadable secret is an error. */
export function readSecret(ref: SecretRef, env: NodeJS.ProcessEnv = process.env): string {
  if ('env' in ref) {
    if (ENGINE_ENV.test(ref.env)) throw new SecretError(`secret env ${ref.env}: the engine's own HOMEOSTAT_* settings cannot be read by a policy; use another variable`);
    const value = env[ref.env];
    if (value === undefined || value === '') throw new SecretError(`secret env ${ref.env} is not set in the engine's environment`);
    return value;
  }
  let text: string;
  try {
    text = readFileSync(ref.file, 'utf8');
  } catch (error) {
    throw new SecretError(`secret file ${ref.file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const value = text.replace(/\r?\n$/, '');
  if (value === '') throw new SecretError(`secret file ${ref.file} is empty`);
  return value;
}

/** Reads secrets for one run and remembers every value read, for masking. */
export class SecretReader {
  readonly values: string[] = [];

  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  read(ref: SecretRef): string {
    const value = readSecret(ref, this.env);
    this.values.push(value);
    return value;
  }

  /** A parameter that is either a literal string or a reference. */
  text(value: unknown): string {
    return isSecretRef(value) ? this.read(value) : String(value);
  }
}
