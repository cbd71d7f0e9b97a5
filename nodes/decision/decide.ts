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
}

/** DESIGN 7.3-7.5 in one pure step: candidates, scores, epsilon-greedy choice. */
export function decide(
  check: Pick<GoalCheck, 'violated' | 'satisfied'>,
  placement: Omit<CandidateInput, 'maxCopies'>,
  impacts: ReadonlyMap<string, ImpactVector>,
  counters: Readonly<Record<string, number>>,
  params: DecisionParams,
  rng: Rng,
): Decision {
  const candidates = candidateActions({ ...placement, maxCopies: params.maxCopies });
  const scored = scoreCandidates(candidates, impacts, counters, check.violated, check.satisfied, params);
  const { chosen, explored } = chooseCandidate(scored, rng, params.epsilon);
  return { scored, chosen, explored };
}
