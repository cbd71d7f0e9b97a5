import { describe, expect, it } from 'vitest';
import { ConflictError, FogsimError, NotFoundError, UnavailableError, UserError, ValidationError } from '../../model/errors.js';
import { ObjectNotFoundError } from '../../objectstore/s3-object-store.js';
import { EXIT_CODES, EXIT_UNEXPECTED, exitCodeFor } from '../../cli/exit-codes.js';

/*
 * The error classes and the two mappings: to the CLI's exit codes (cli/exit-codes.ts) and to
 * the API's statuses (each class's httpStatus, read by controller/api/errors.ts).
 */
describe('the error hierarchy', () => {
  const table = [
    { make: () => new ValidationError('v'), name: 'ValidationError', code: 'VALIDATION', httpStatus: 400, retriable: false, exit: 1 },
    { make: () => new NotFoundError('n'), name: 'NotFoundError', code: 'NOT_FOUND', httpStatus: 404, retriable: false, exit: 1 },
    { make: () => new ConflictError('c'), name: 'ConflictError', code: 'CONFLICT', httpStatus: 409, retriable: true, exit: 1 },
    { make: () => new UnavailableError('u'), name: 'UnavailableError', code: 'UNAVAILABLE', httpStatus: 503, retriable: true, exit: 3 },
  ] as const;

  it.each(table)('$name: code $code, HTTP $httpStatus, retriable $retriable, exit $exit', (row) => {
    const e = row.make();
    expect(e).toBeInstanceOf(FogsimError);
    expect(e).toBeInstanceOf(Error);
    expect(e).toMatchObject({ name: row.name, code: row.code, httpStatus: row.httpStatus, retriable: row.retriable, details: [] });
    expect(exitCodeFor(e)).toBe(row.exit);
    expect(EXIT_CODES[row.code]).toBe(row.exit);
  });

  it('every code has an exit code, and anything that is not a FogsimError is unexpected: exit 2', () => {
    expect(Object.keys(EXIT_CODES).sort()).toEqual(table.map((r) => r.code).sort());
    expect(EXIT_UNEXPECTED).toBe(2);
    expect(exitCodeFor(new Error('bug'))).toBe(2);
    expect(exitCodeFor('a string')).toBe(2);
  });

  it('UserError is the ValidationError the call sites know; details and cause are kept', () => {
    expect(UserError).toBe(ValidationError);
    const e = new UserError('cannot add node 4', ['--id: taken', '--latency: missing']);
    expect(e).toBeInstanceOf(ValidationError);
    expect(e.details).toEqual(['--id: taken', '--latency: missing']);
    const cause = new Error('ECONNREFUSED');
    const u = new UnavailableError('down', { cause });
    expect(u.cause).toBe(cause);
    expect(u.details).toEqual([]);
  });

  it('a missing object or bucket is a NotFoundError', () => {
    const e = new ObjectNotFoundError('node-3', 'x.json', 'object');
    expect(e).toBeInstanceOf(NotFoundError);
    expect(e).toMatchObject({ name: 'ObjectNotFoundError', code: 'NOT_FOUND', httpStatus: 404, retriable: false });
    expect(e).not.toBeInstanceOf(UserError);
  });
});
