import { zeroVector, type ImpactVector } from '../model/metrics.js';
import type { DecisionParams } from '../model/scenario.js';
import type { GoalTerm } from '../model/types.js';
import type { GoalCheck } from './goal.js';
import type { Action } from './actions.js';
import type { Candidate } from './candidates.js';

export type ScoreParams = Pick<DecisionParams, 'weightViolated' | 'weightSatisfied' | 'costMove' | 'costCopy' | 'costChangeRef' | 'costNone' | 'counterPenalty'> &
  Partial<Pick<DecisionParams, 'scoring'>>;

/** What scoring needs from a goal check (decision/goal.ts). */
export type ScoredCheck = Pick<GoalCheck, 'violated' | 'satisfied' | 'plans'>;

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
    case 'scale':
      // S{n} is chosen by a stream app's rule (decision/scale.ts), never scored against placements
      throw new Error('a scale action S{n} has no cost in the placement scoring: stream apps choose it by decision/scale.ts');
  }
}

/**
 * The original's rule (its init.py, one per app, generalised to any goal): for each way of
 * restoring the goal (`plans`: the violated terms an AND needs, or one branch of an OR), the
 * terms to restore score their impact and every other term of the goal can only pull the score
 * down (min(impact, 0)); the weights are w_v / w_s when one of the impacts involved is negative
 * and 1 / 1 otherwise; with no other term left (every term violated) the score is the mean impact
 * of the violated terms. An OR goal is scored on the branch the action restores best.
 */
export function scoreOriginal(vector: ImpactVector, check: ScoredCheck, cost: number, p: Pick<ScoreParams, 'weightViolated' | 'weightSatisfied'>): number {
  const guardsByPlan = guardTerms(check);
  let best: number | undefined;
  for (let k = 0; k < check.plans.length; k++) {
    const plan = check.plans[k];
    if (plan.length === 0) continue;
    let sum = 0;
    let negative = false;
    for (const t of plan) {
      const x = vector[t.metric];
      sum += x;
      if (x < 0) negative = true;
    }
    const mean = sum / plan.length;
    const guards = guardsByPlan[k];
    let s: number;
    if (guards.length === 0) s = mean;
    else {
      let pull = 0;
      for (const t of guards) {
        const x = Math.min(vector[t.metric], 0);
        pull += x;
        if (x < 0) negative = true;
      }
      s = negative ? p.weightViolated * mean + p.weightSatisfied * pull : mean + pull;
    }
    if (best === undefined || s > best) best = s;
  }
  return best === undefined ? 0 : best / cost;
}

/**
 * Per plan of a check, the goal's other terms (those that may only pull a score down). The same
 * for every candidate of one decision, so found once per check: a decision over thousands of
 * candidates (sim/engine.ts) would otherwise rebuild them for each.
 */
const guardCache = new WeakMap<ScoredCheck, GoalTerm[][]>();
function guardTerms(check: ScoredCheck): GoalTerm[][] {
  let g = guardCache.get(check);
  if (!g) {
    const all = [...check.violated, ...check.satisfied];
    g = check.plans.map((plan) => all.filter((t) => !plan.includes(t)));
    guardCache.set(check, g);
  }
  return g;
}

/**
 * The `weighted` rule (decision.scoring: weighted): (sum over violated terms of w_v * impact[m] + sum over satisfied terms of
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

/** A candidate's score by the rule the scenario names (decision.scoring, default original). */
export function scoreByRule(vector: ImpactVector, check: ScoredCheck, cost: number, p: ScoreParams): number {
  return (p.scoring ?? 'original') === 'original' ? scoreOriginal(vector, check, cost, p) : scoreAction(vector, check.violated, check.satisfied, cost, p);
}

/**
 * Scores every candidate; NA has the zero vector. `vectorFor` gives the vector a candidate is
 * scored with (decide.ts completes the stored one with DC); throws when a needed vector is missing.
 */
export function scoreCandidates(
  candidates: readonly Candidate[],
  vectorFor: (c: Candidate) => ImpactVector | undefined,
  counters: Readonly<Record<string, number>>,
  check: ScoredCheck,
  p: ScoreParams,
): ScoredCandidate[] {
  const out: ScoredCandidate[] = new Array(candidates.length);
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i];
    const vector = c.action.type === 'none' ? zeroVector() : vectorFor(c);
    if (!vector) throw new Error(`no impact vector ${c.vectorLabel} for candidate ${c.label}`);
    const cost = actionCost(c.action, p);
    const counter = counters[c.label] ?? 0;
    const score = scoreByRule(vector, check, cost, p);
    // a literal of one shape, not a spread: the spread was most of a decision over 2,000 candidates (bench/RESULTS.md)
    const sc: ScoredCandidate = { action: c.action, label: c.label, vectorLabel: c.vectorLabel, vector, cost, counter, score, globalScore: globalScore(score, counter, p.counterPenalty) };
    if (c.targetCopyId !== undefined) sc.targetCopyId = c.targetCopyId;
    out[i] = sc;
  }
  return out;
}

/** The best `n` by global score (ties in candidate order), for the decision's trace. */
export function topCandidates<T extends { globalScore: number }>(scored: readonly T[], n = 5): T[] {
  // one pass keeping the best n in order (a sort of every candidate per decision was O(c log c))
  const top: T[] = [];
  for (const s of scored) {
    if (top.length === n && !(s.globalScore > top[n - 1].globalScore)) continue;
    let k = top.length < n ? top.length : n - 1;
    while (k > 0 && s.globalScore > top[k - 1].globalScore) k--;
    top.splice(k, 0, s);
    if (top.length > n) top.pop();
  }
  return top;
}

/** Best global score; ties go to the earlier candidate, so NA (first) wins a tie at zero. */
export function bestCandidate<T extends { globalScore: number }>(scored: readonly T[]): T {
  if (scored.length === 0) throw new Error('no candidates');
  let best = scored[0];
  for (const s of scored) if (s.globalScore > best.globalScore) best = s;
  return best;
}
