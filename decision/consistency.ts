import { HIGHER_IS_BETTER } from '../model/metrics.js';
import type { Action } from './actions.js';
import { impactF } from './impact.js';

/**
 * Data consistency (docs/metrics.md): 1 - (extra copies of the family) / k. One copy is fully
 * consistent (1); k extra copies give 0. Floored at 0 in case copies were added by hand.
 */
export function dataConsistency(copiesInFamily: number, maxCopies: number): number {
  if (!(maxCopies >= 1)) throw new Error(`maxCopies must be >= 1, got ${maxCopies}`);
  const extra = Math.max(0, copiesInFamily - 1);
  return Math.max(0, 1 - extra / maxCopies);
}

/** The DC impact of one more copy in a family of `copies`: f(DC after - DC before). */
export function copyConsistencyImpact(copies: number, maxCopies: number, rhoConsistency: number): number {
  const delta = dataConsistency(copies + 1, maxCopies) - dataConsistency(copies, maxCopies);
  return impactF(delta, rhoConsistency, HIGHER_IS_BETTER.consistency);
}

/**
 * DC is never learned (the original's vector files hold five values): it follows from the copy
 * count. A copy adds one to the family; a move, a change of reference and NA leave it alone.
 */
export function consistencyImpact(a: Action, copiesInFamily: number, maxCopies: number, rhoConsistency: number): number {
  return a.type === 'copy' ? copyConsistencyImpact(copiesInFamily, maxCopies, rhoConsistency) : 0;
}
