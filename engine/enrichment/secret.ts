import { readFileSync } from 'node:fs';
import type { SecretRef } from '../policy/types.js';

/**
 * A secret's value from its reference: `{ env: NAME }` or `{ file: PATH }` (surrounding white
 * space removed). The error names the reference, never a value.
 */
export function readSecret(ref: SecretRef, env: NodeJS.ProcessEnv = process.env): string {
  if (ref.env !== undefined) {
    const value = env[ref.env];
    if (value === undefined || value === '') throw new Error(`the secret's environment variable ${ref.env} is not set`);
    return value;
  }
  try {
    return readFileSync(ref.file!, 'utf8').trim();
  } catch (error) {
    throw new Error(`cannot read the secret file ${ref.file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}
