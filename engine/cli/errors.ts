/** An error the user can fix: printed as one line, never with a stack. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 2,
  ) {
    super(message);
  }
}

export const EXIT = { ok: 0, problems: 1, usage: 2 } as const;
