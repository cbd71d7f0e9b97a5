import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import { FogsimError, NotFoundError, ValidationError } from '../../model/errors.js';
import type { Logger } from '../../util/logger.js';

/**
 * An HTTP error with a status the error classes of model/errors.ts have no class for; the
 * message is the `error` field of the JSON body. Prefer those classes (their httpStatus).
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const badRequest = (msg: string) => new ValidationError(msg);
export const notFound = (msg: string) => new NotFoundError(msg);

function pathOf(path: ReadonlyArray<PropertyKey>, prefix: string): string {
  let out = prefix;
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out && out !== '?' ? `.${String(p)}` : String(p);
  return out || '(body)';
}

/** One readable sentence per zod issue, each naming the field and what it should be. */
export function describeZodError(err: z.ZodError, prefix = '', input?: unknown): string {
  return err.issues
    .map((issue) => {
      const field = pathOf(issue.path, prefix);
      switch (issue.code) {
        case 'invalid_type': {
          // zod 4 leaves the offending input out of issues by default: look it up ourselves.
          const got = issue.input !== undefined ? issue.input : valueAt(input, issue.path);
          if (got === undefined) return `${field}: required; expected ${issue.expected}`;
          // JSON.parse reads 1e400 as Infinity, which JSON.stringify would show as null
          if (typeof got === 'number' && !Number.isFinite(got)) return `${field}: expected a finite number, got ${got} (out of range)`;
          return `${field}: expected ${issue.expected}, got ${JSON.stringify(got)}`;
        }
        case 'too_small':
          return `${field}: must be ${issue.inclusive === false ? '>' : '>='} ${String(issue.minimum)}`;
        case 'too_big':
          return `${field}: must be ${issue.inclusive === false ? '<' : '<='} ${String(issue.maximum)}`;
        case 'unrecognized_keys':
          return `${field}: unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}; remove them`;
        default:
          return `${field}: ${issue.message}`;
      }
    })
    .join('; ');
}

function valueAt(root: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let v: unknown = root;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

/** Parses with a schema or throws a 400 naming every bad field. */
export function parseOr400<T>(schema: z.ZodType<T>, value: unknown, prefix = ''): T {
  const r = schema.safeParse(value);
  if (!r.success) throw badRequest(describeZodError(r.error, prefix, value));
  return r.data;
}

/**
 * Express error handler: JSON `{error}` always; stack traces only in the log. The one place
 * errors map to statuses: a FogsimError answers its httpStatus (400 validation, 404 not found,
 * 409 conflict, 503 unavailable), anything unexpected 500.
 */
export function errorHandler(log: Logger) {
  return (err: unknown, _req: Request, res: Response, _next: NextFunction): void => {
    let status = 500;
    let message = 'internal error (see the controller log)';
    if (err instanceof FogsimError) {
      status = err.httpStatus;
      message = err.details.length ? `${err.message}: ${err.details.join('; ')}` : err.message;
    } else if (err instanceof HttpError) {
      status = err.status;
      message = err.message;
    } else if (typeof err === 'object' && err !== null && 'type' in err && (err as { type: unknown }).type === 'entity.parse.failed') {
      // express.json() on a malformed body
      status = 400;
      message = 'body: not valid JSON; send a JSON object with Content-Type: application/json';
    } else if (typeof err === 'object' && err !== null && 'status' in err && typeof (err as { status: unknown }).status === 'number') {
      status = (err as { status: number }).status;
      message = (err as unknown as Error).message;
    } else {
      log.error({ err }, 'request failed');
    }
    if (res.headersSent) return;
    res.status(status).json({ error: message });
  };
}
