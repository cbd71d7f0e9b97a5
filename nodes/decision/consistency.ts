/**
 * Data consistency (DESIGN 6): 1 - (extra copies of the family) / k. One copy is fully
 * consistent (1); k extra copies give 0. Floored at 0 in case copies were added by hand.
 */
export function dataConsistency(copiesInFamily: number, maxCopies: number): number {
  if (!(maxCopies >= 1)) throw new Error(`maxCopies must be >= 1, got ${maxCopies}`);
  const extra = Math.max(0, copiesInFamily - 1);
  return Math.max(0, 1 - extra / maxCopies);
}
