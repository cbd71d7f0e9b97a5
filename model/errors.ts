/**
 * An error caused by the user's input (a file, a flag, a body, a server that is down).
 * The CLI prints its message alone, without a stack trace, and exits 1.
 */
export class UserError extends Error {
  constructor(message: string, readonly details: string[] = []) {
    super(message);
    this.name = 'UserError';
  }
}

/** Placement changed under us: another app moved the data first. Re-read and decide again. */
export class ConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConflictError';
  }
}
