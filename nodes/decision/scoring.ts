import { zeroVector, type ImpactVector } from '../../model/metrics.js';
import type { DecisionParams } from '../../model/scenario.js';
import type { GoalTerm } from '../../model/types.js';
import type { Action } from './actions.js';
import type { Candidate } from './candidates.js';

export type ScoreParams = Pick<DecisionParams, 'weightViolated' | 'weightSatisfied' | 'costMove' | 'costCopy' | 'costChangeRef' | 'costNone' | 'counterPenalty'>;

export function actionCost(a: Action, p: ScoreParams): number {
  switch (a.type) {
    case 'move':
      return p.costMove;
    case 'copy':
      return p.costCopy;
    case 'changeRef':
      return p.costChangeRef;
    case 'none':
      return p.costNone;
  }
}

/**
 * DESIGN 7.4: (sum over violated terms of w_v * impact[m] + sum over satisfied terms of
 * w_s * min(impact[m], 0)) / (number of terms) / cost. Satisfied terms can only pull the score
 * down: an action is not credited for improving what is already fine, but is blamed for
 * breaking it. When every term is violated both weights are 1, so the score is the mean impact.
 */
export function scoreAction(vector: ImpactVector, violated: readonly GoalTerm[], satisfied: readonly GoalTerm[], cost: number, p: ScoreParams): number {
  const n = violated.length + satisfied.length;
  if (n === 0) return 0;
  const allViolated = satisfied.length === 0;
  const wv = allViolated ? 1 : p.weightViolated;
  const ws = allViolated ? 1 : p.weightSatisfied;
  let sum = 0;
  for (const t of violated) sum += wv * vector[t.metric];
  for (const t of satisfied) sum += ws * Math.min(vector[t.metric], 0);
  return sum / n / cost;
}

/**
 * Global score = score * (1 - b * counter). The factor is floored at 0: taken literally, a counter
 * above 1/b would flip the sign and turn the most harmful actions into the most attractive ones.
 */
export function globalScore(score: number, counter: number, b: number): number {
  const factor = Math.max(0, 1 - b * Math.max(0, counter));
  const g = score * factor;
  return g === 0 ? 0 : g;
}

export interface ScoredCandidate extends Candidate {
  vector: ImpactVector;
  cost: number;
  counter: number;
  score: number;
  globalScore: number;
}

/** Scores every candidate; NA has the zero vector. Throws when a needed vector is missing. */
export function scoreCandidates(
  candidates: readonly Candidate[],
  impacts: ReadonlyMap<string, ImpactVector>,
  counters: Readonly<Record<string, number>>,
  violated: readonly GoalTerm[],
  satisfied: readonly GoalTerm[],
  p: ScoreParams,
): ScoredCandidate[] {
  return candidates.map((c) => {
    const vector = c.action.type === 'none' ? zeroVector() : impacts.get(c.vectorLabel);
    if (!vector) throw new Error(`no impact vector ${c.vectorLabel} for candidate ${c.label}`);
    const cost = actionCost(c.action, p);
    const counter = counters[c.label] ?? 0;
    const score = scoreAction(vector, violated, satisfied, cost, p);
    return { ...c, vector, cost, counter, score, globalScore: globalScore(score, counter, p.counterPenalty) };
  });
}

/** Best global score; ties go to the earlier candidate, so NA (first) wins a tie at zero. */
export function bestCandidate<T extends { globalScore: number }>(scored: readonly T[]): T {
  if (scored.length === 0) throw new Error('no candidates');
  let best = scored[0];
  for (const s of scored) if (s.globalScore > best.globalScore) best = s;
  return best;
}
