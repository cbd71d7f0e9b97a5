import type { ImpactVector, Metric } from '../model/metrics.js';
import type { DecisionParams } from '../model/scenario.js';
import type { DecisionTrace } from '../model/types.js';
import type { Rng } from '../util/rng.js';
import { candidateActions, type Candidate, type CandidateInput } from './candidates.js';
import { chooseCandidate } from './choose.js';
import { consistencyImpact } from './consistency.js';
import { formatTerm } from './goal.js';
import { scoreCandidates, topCandidates, type ScoredCandidate, type ScoredCheck } from './scoring.js';

export interface Decision {
  scored: ScoredCandidate[];
  chosen: ScoredCandidate;
  explored: boolean;
  /** candidates left out because their impact vector is missing (a node added after training) */
  missing: string[];
}

export interface DecideInput {
  check: ScoredCheck;
  placement: Omit<CandidateInput, 'maxCopies'>;
  /** the app's stored vectors by label */
  impacts: ReadonlyMap<string, ImpactVector>;
  counters: Readonly<Record<string, number>>;
  params: DecisionParams;
  /** the app's normalisation constants (model/scenario.ts rhoFor) */
  rho: Record<Metric, number>;
  rng: Rng;
}

/**
 * The vector a candidate is scored with: the stored one (CR{y} borrows M{d}_{y}), with DC
 * from the copy count rather than from what was stored, since DC is not learned.
 */
export function candidateVector(c: Candidate, impacts: ReadonlyMap<string, ImpactVector>, familySize: number, params: Pick<DecisionParams, 'maxCopies'>, rho: Pick<Record<Metric, number>, 'consistency'>): ImpactVector | undefined {
  const stored = impacts.get(c.vectorLabel);
  if (!stored) return undefined;
  const consistency = consistencyImpact(c.action, familySize, params.maxCopies, rho.consistency);
  return { responseTime: stored.responseTime, executionTime: stored.executionTime, throughput: stored.throughput, latency: stored.latency, availability: stored.availability, consistency };
}

/**
 * docs/architecture.md, in one pure step: candidates, scores, epsilon-greedy choice.
 * A candidate whose vector is missing is left out (and named) rather than failing the whole
 * repair: the loop checks every vector at start, so this only happens for nodes added at run time.
 */
export function decide(i: DecideInput): Decision {
  const { scored, missing } = weighCandidates(i);
  const { chosen, explored } = chooseCandidate(scored, i.rng, i.params.epsilon);
  return { scored, chosen, explored, missing };
}

/**
 * The part of decide() before the choice: every candidate with its vector, counter, score and
 * global score (candidate order, NA first), and the ones left out for a missing vector. What a
 * strategy (decision/strategies/) is given to choose from.
 */
export function weighCandidates(i: Omit<DecideInput, 'rng'>): Pick<Decision, 'scored' | 'missing'> {
  const { params } = i;
  const all = candidatesFor(i.placement, params.maxCopies);
  const usable: Candidate[] = [];
  const missing: string[] = [];
  for (const c of all) {
    if (c.action.type === 'none' || i.impacts.has(c.vectorLabel)) usable.push(c);
    else missing.push(c.label);
  }
  const familySize = i.placement.familyCopies.length;
  const scored = scoreCandidates(usable, (c) => candidateVector(c, i.impacts, familySize, params, i.rho), i.counters, i.check, params);
  return { scored, missing };
}

/**
 * candidateActions, remembered per nodes list (by identity) and placement: a caller that keeps
 * one list while the nodes do not change (sim/engine.ts) gets the same candidates back for the
 * same copy placement instead of building thousands of labels for every decision. The
 * candidates are the same values either way; the memory is bounded per list.
 */
const candidateMemo = new WeakMap<object, Map<string, Candidate[]>>();
function candidatesFor(placement: DecideInput['placement'], maxCopies: number): Candidate[] {
  let memo = candidateMemo.get(placement.nodes);
  if (!memo) candidateMemo.set(placement.nodes, (memo = new Map()));
  let key = `${placement.dataNode}|${placement.referenceCopyId}|${maxCopies}`;
  for (const c of placement.familyCopies) key += `|${c.id}@${c.nodeId}`;
  let all = memo.get(key);
  if (!all) {
    if (memo.size >= 256) memo.clear();
    memo.set(key, (all = candidateActions({ ...placement, maxCopies })));
  }
  return all;
}

/** The record a decision leaves (runs' decision trace): why, what was weighed, what was chosen. */
export function traceDecision(check: ScoredCheck, d: Decision, extra: Pick<DecisionTrace, 'repair' | 'feedbackGiven' | 'dataNode' | 'strategy'>): DecisionTrace {
  return {
    kind: 'decided',
    violated: check.violated.map(formatTerm),
    chosen: d.chosen.label,
    explored: d.explored,
    candidates: topCandidates(d.scored).map((s) => ({ label: s.label, score: round(s.score), counter: s.counter, globalScore: round(s.globalScore) })),
    ...extra,
  };
}

const round = (x: number) => Math.round(x * 1e4) / 1e4 + 0;
