import { chooseCandidate } from '../choose.js';
import type { BatchStrategyInput, StrategyInput, StrategyResult } from './types.js';

/** Epsilon-greedy on the given global scores (decision/choose.ts): the original's choice. */
export function epsilonGreedy(i: Pick<BatchStrategyInput, 'candidates' | 'rng' | 'params'>, candidates = i.candidates): StrategyResult {
  const { chosen, explored } = chooseCandidate(candidates, i.rng, i.params.epsilon);
  return { chosen: chosen.label, explored };
}

/** Epsilon-greedy on the scores alone: global score = score, whatever the counters say. */
export function epsilonGreedyWithoutCounters(i: Pick<BatchStrategyInput, 'candidates' | 'rng' | 'params'>): StrategyResult {
  return epsilonGreedy(i, i.candidates.map((c) => ({ ...c, globalScore: c.score })));
}

/** True when the measured run (a stream app's window) met its goal: no strategy has anything to repair. */
export const nothingToRepair = (i: Pick<StrategyInput, 'check'>): boolean => i.check.met || i.check.violated.length === 0;
