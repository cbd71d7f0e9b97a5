import type { ImpactVector } from '../../model/metrics.js';
import type { DecisionParams } from '../../model/scenario.js';
import type { Rng } from '../../util/rng.js';
import { candidateActions, type CandidateInput } from './candidates.js';
import { chooseCandidate } from './choose.js';
import type { GoalCheck } from './goal.js';
import { scoreCandidates, type ScoredCandidate } from './scoring.js';

export interface Decision {
  scored: ScoredCandidate[];
  chosen: ScoredCandidate;
  explored: boolean;
  /** candidates left out because their impact vector is missing (a node added after training) */
  missing: string[];
}

/**
 * DESIGN 7.3-7.5 in one pure step: candidates, scores, epsilon-greedy choice. A candidate
 * whose vector is missing is left out (and named) rather than failing the whole repair:
 * the loop checks every vector at start, so this only happens for nodes added at run time.
 */
export function decide(
  check: Pick<GoalCheck, 'violated' | 'satisfied'>,
  placement: Omit<CandidateInput, 'maxCopies'>,
  impacts: ReadonlyMap<string, ImpactVector>,
  counters: Readonly<Record<string, number>>,
  params: DecisionParams,
  rng: Rng,
): Decision {
  const all = candidateActions({ ...placement, maxCopies: params.maxCopies });
  const usable = all.filter((c) => c.action.type === 'none' || impacts.has(c.vectorLabel));
  const missing = all.filter((c) => !usable.includes(c)).map((c) => c.label);
  const scored = scoreCandidates(usable, impacts, counters, check.violated, check.satisfied, params);
  const { chosen, explored } = chooseCandidate(scored, rng, params.epsilon);
  return { scored, chosen, explored, missing };
}
