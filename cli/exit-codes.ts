import { FogsimError, type FogsimErrorCode } from '../model/errors.js';

/**
 * The CLI's exit codes, the one place errors map to them (README, Commands): 1 for a problem
 * with the input (validation, not found, conflict), 3 for a server that does not answer (worth
 * trying again once it runs), 2 for anything unexpected (a bug: the message, and the stack trace
 * with FOGSIM_DEBUG=1). Commander's own errors keep its codes; an interrupted `fogsim train` sets 130.
 */
export const EXIT_CODES: Readonly<Record<FogsimErrorCode, number>> = {
  VALIDATION: 1,
  NOT_FOUND: 1,
  CONFLICT: 1,
  UNAVAILABLE: 3,
};

export const EXIT_UNEXPECTED = 2;

export function exitCodeFor(e: unknown): number {
  return e instanceof FogsimError ? EXIT_CODES[e.code] : EXIT_UNEXPECTED;
}
