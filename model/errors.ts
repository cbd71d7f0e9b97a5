/*
 * The errors fogsim expects, one class per situation. Each says what the caller can do about it:
 * `code` (stable, for programs), `httpStatus` (what the API answers, controller/api/errors.ts) and
 * `retriable` (trying the same thing again later may work: a server that is down, a placement that
 * changed). The CLI prints the message of any of them alone, without a stack trace, with the exit
 * code of cli/exit-codes.ts. Anything else is a bug: exit 2, HTTP 500.
 */

export type FogsimErrorCode = 'VALIDATION' | 'NOT_FOUND' | 'CONFLICT' | 'UNAVAILABLE';

export interface FogsimErrorOptions {
  /** more lines of the same problem (e.g. one per bad field) */
  details?: string[];
  cause?: unknown;
}

/** The base: never thrown itself. */
export abstract class FogsimError extends Error {
  abstract readonly code: FogsimErrorCode;
  abstract readonly httpStatus: number;
  abstract readonly retriable: boolean;
  readonly details: string[];

  constructor(message: string, details: string[] | FogsimErrorOptions = []) {
    const o = Array.isArray(details) ? { details } : details;
    super(message, o.cause === undefined ? undefined : { cause: o.cause });
    this.details = o.details ?? [];
  }
}

/**
 * The input is wrong: a scenario, a flag, a file, a request body. Fixing the input fixes it.
 * Most code knows it as `UserError` (below).
 */
export class ValidationError extends FogsimError {
  readonly code = 'VALIDATION';
  readonly httpStatus = 400;
  readonly retriable = false;
  constructor(message: string, details: string[] | FogsimErrorOptions = []) {
    super(message, details);
    this.name = 'ValidationError';
  }
}

/** The name most call sites use for a ValidationError. */
export { ValidationError as UserError };

/** What was asked for does not exist: a node, an app, an event, an object or bucket. */
export class NotFoundError extends FogsimError {
  readonly code = 'NOT_FOUND';
  readonly httpStatus = 404;
  readonly retriable = false;
  constructor(message: string, details: string[] | FogsimErrorOptions = []) {
    super(message, details);
    this.name = 'NotFoundError';
  }
}

/** Placement changed under us: another app moved the data first. Re-read and decide again. */
export class ConflictError extends FogsimError {
  readonly code = 'CONFLICT';
  readonly httpStatus = 409;
  readonly retriable = true;
  constructor(message: string, details: string[] | FogsimErrorOptions = []) {
    super(message, details);
    this.name = 'ConflictError';
  }
}

/**
 * A server fogsim needs does not answer (the SQL store, the object store, the latency proxy,
 * Kafka, a controller): start it or point the setting at a running one, then try again.
 */
export class UnavailableError extends FogsimError {
  readonly code = 'UNAVAILABLE';
  readonly httpStatus = 503;
  readonly retriable = true;
  constructor(message: string, details: string[] | FogsimErrorOptions = []) {
    super(message, details);
    this.name = 'UnavailableError';
  }
}


/** The message of an error as the API and the timeline show it (with its details). */
export function errorText(e: unknown): string {
  if (e instanceof FogsimError && e.details.length) return `${e.message}: ${e.details.join('; ')}`;
  return (e as Error)?.message ?? String(e);
}
