/** Secrets replaced in whatever a run shows: its output and its command line. */

export const MASK = '***';

/** The secrets worth replacing, longest first so that a secret containing another goes whole. */
export function usableSecrets(secrets: readonly string[] | undefined): string[] {
  return [...new Set(secrets ?? [])].filter((s) => s !== '').sort((a, b) => b.length - a.length);
}

export function redact(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of usableSecrets(secrets)) result = result.split(secret).join(MASK);
  return result;
}

/**
 * Like redact, for a tail cut from a longer output: the cut may have kept only the end of a
 * secret, so a start of the text that is the end of a secret is masked too.
 */
export function redactTail(text: string, secrets: readonly string[]): string {
  const redacted = redact(text, secrets);
  let head = 0;
  for (const secret of usableSecrets(secrets)) {
    for (let keep = secret.length - 1; keep > head; keep--) {
      if (redacted.startsWith(secret.slice(secret.length - keep))) {
        head = keep;
        break;
      }
    }
  }
  return head > 0 ? MASK + redacted.slice(head) : redacted;
}
