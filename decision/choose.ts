import type { Rng } from '../util/rng.js';
import { bestCandidate } from './scoring.js';

export interface Choice<T> {
  chosen: T;
  explored: boolean;
}

/**
 * Epsilon-greedy (docs/architecture.md): with probability epsilon a uniformly random candidate (NA
 * included), else the best global score. Exactly one uniform draw decides, plus one more to pick
 * when exploring, so the sequence of choices is a function of the seed.
 */
export function chooseCandidate<T extends { globalScore: number }>(scored: readonly T[], rng: Rng, epsilon: number): Choice<T> {
  if (scored.length === 0) throw new Error('no candidates');
  if (rng.next() < epsilon) return { chosen: scored[rng.int(scored.length)], explored: true };
  return { chosen: bestCandidate(scored), explored: false };
}
