import { describe, expect, it } from 'vitest';
import { arrayToVector, type ImpactVector } from '../../model/metrics.js';
import { parseScenario } from '../../model/scenario.js';
import type { GoalTerm } from '../../model/types.js';
import { createRng } from '../../util/rng.js';
import { candidateActions, requiredImpactLabels } from '../../decision/candidates.js';
import { chooseCandidate } from '../../decision/choose.js';
import { decide } from '../../decision/decide.js';
import { actionCost, bestCandidate, globalScore, scoreAction, scoreCandidates, scoreOriginal, topCandidates } from '../../decision/scoring.js';
import { evaluateGoal } from '../../decision/goal.js';
import type { MetricValues } from '../../model/metrics.js';
import { parseAction } from '../../decision/actions.js';

// the decision defaults (docs/scenario.md), as the scenario model fills them
const params = parseScenario({ nodes: [{ id: 1, availability: 90 }], dataset: { node: 1 }, apps: [{ id: 1, node: 1, goal: { metric: 'responseTime', max: 1 } }] }).decision;
const RT: GoalTerm = { metric: 'responseTime', max: 800 };
const A: GoalTerm = { metric: 'availability', min: 95 };
// RT, ET, X, NL, A, DC
const M31 = arrayToVector([0.8, 0.1, 0.2, 0.9, 0.6, 0]);
const C31 = arrayToVector([0.8, 0.1, 0.2, 0.9, -0.2, -1]);

// the weighted rule (decision.scoring: weighted), which the tests below pin
const weighted = { ...params, scoring: 'weighted' as const };
const check = (violated: GoalTerm[], satisfied: GoalTerm[]) => ({ violated, satisfied, plans: [violated] });
const byLabel = (impacts: Map<string, ImpactVector>) => (c: { vectorLabel: string }) => impacts.get(c.vectorLabel);

describe("the original's scoring rule (its init.py; decision.scoring: original, the default)", () => {
  it('is the default', () => {
    expect(params.scoring).toBe('original');
  });
  it('one AND term violated, no impact involved negative: weights 1 / 1, so RT alone: 0.8 / 1.5', () => {
    expect(scoreOriginal(M31, check([RT], [A]), 1.5, params)).toBeCloseTo(0.8 / 1.5, 12);
  });
  it('one impact involved negative: weights 0.7 / 0.3: (0.7*0.8 + 0.3*(-0.2)) / 1.8 = 0.277778', () => {
    expect(scoreOriginal(C31, check([RT], [A]), 1.8, params)).toBeCloseTo(0.5 / 1.8, 12);
    const hurtsRt = arrayToVector([-0.4, 0, 0, 0, 0.5, 0]);
    expect(scoreOriginal(hurtsRt, check([RT], [A]), 1.5, params)).toBeCloseTo((0.7 * -0.4) / 1.5, 12);
  });
  it('both AND terms violated: the mean of the two impacts: (0.8 + 0.6) / 2 / 1.5', () => {
    expect(scoreOriginal(M31, check([RT, A], []), 1.5, params)).toBeCloseTo(0.7 / 1.5, 12);
  });
  it("app 3's OR goal (DC >= 0.7 OR NL <= 1300), both violated: scored on the term it restores, NL, with DC as the guard", () => {
    const goal = { any: [{ metric: 'consistency' as const, min: 0.7 }, { metric: 'latency' as const, max: 1300 }] };
    const v: MetricValues = { responseTime: 0, executionTime: 0, throughput: 0, latency: 1500, availability: 97, consistency: 0.5 };
    const c = evaluateGoal(goal, v);
    expect(c.met).toBe(false);
    expect(c.plans.map((p) => p.map((t) => t.metric))).toEqual([['consistency'], ['latency']]);
    expect(scoreOriginal(M31, c, 1.5, params)).toBeCloseTo(0.9 / 1.5, 12); // NL 0.9, DC 0: weights 1 / 1
    expect(scoreOriginal(C31, c, 1.8, params)).toBeCloseTo((0.7 * 0.9 + 0.3 * -1) / 1.8, 12); // DC -1 pulls it down
  });
  it('restore plans: an AND needs every violated part, an OR one of its parts', () => {
    const v: MetricValues = { responseTime: 900, executionTime: 0, throughput: 10, latency: 1500, availability: 80, consistency: 0.5 };
    const g = { all: [{ metric: 'responseTime' as const, max: 800 }, { any: [{ metric: 'availability' as const, min: 95 }, { metric: 'latency' as const, max: 100 }] }, { metric: 'throughput' as const, min: 1 }] };
    expect(evaluateGoal(g, v).plans.map((p) => p.map((t) => t.metric))).toEqual([['responseTime', 'availability'], ['responseTime', 'latency']]);
    expect(evaluateGoal({ metric: 'throughput', min: 1 }, v).plans).toEqual([]);
  });
  it('the best five by global score, for the trace; ties keep candidate order', () => {
    const s = ['NA', 'a', 'b', 'c', 'd', 'e', 'f'].map((label, i) => ({ label, globalScore: [0, 0.2, 0.5, 0.2, -1, 0.9, 0.1][i] }));
    expect(topCandidates(s).map((x) => x.label)).toEqual(['e', 'b', 'a', 'c', 'f']);
  });
});

describe('score, weighted rule (decision.scoring: weighted)', () => {
  it('uses the defaults 0.7 / 0.3, costs 1.5 / 1.8 / 1 / 1, b = 0.33', () => {
    expect(params).toMatchObject({ weightViolated: 0.7, weightSatisfied: 0.3, costMove: 1.5, costCopy: 1.8, costChangeRef: 1, costNone: 1, counterPenalty: 0.33, epsilon: 0.1, learningRate: 0.5 });
    expect(actionCost(parseAction('M3_1'), params)).toBe(1.5);
    expect(actionCost(parseAction('C3_1'), params)).toBe(1.8);
    expect(actionCost(parseAction('CR1'), params)).toBe(1);
    expect(actionCost(parseAction('NA'), params)).toBe(1);
  });
  it('two-term AND, RT violated, A satisfied with a positive impact: (0.7*0.8 + 0.3*0)/2/1.5 = 0.186667', () => {
    expect(scoreAction(M31, [RT], [A], 1.5, weighted)).toBeCloseTo(0.1866667, 6);
  });
  it('satisfied term with a negative impact is blamed: (0.7*0.8 + 0.3*(-0.2))/2/1.8 = 0.138889', () => {
    expect(scoreAction(C31, [RT], [A], 1.8, weighted)).toBeCloseTo(0.1388889, 6);
  });
  it('A violated, RT satisfied: (0.7*0.6 + 0.3*min(0.8,0))/2/1.5 = 0.14', () => {
    expect(scoreAction(M31, [A], [RT], 1.5, weighted)).toBeCloseTo(0.14, 10);
  });
  it('all terms violated: weights 1 and 1, averaged: (0.8 + 0.6)/2/1.5 = 0.466667', () => {
    expect(scoreAction(M31, [RT, A], [], 1.5, weighted)).toBeCloseTo(0.4666667, 6);
  });
  it('global score = score * (1 - 0.33 * counter), factor floored at 0', () => {
    expect(globalScore(0.1866667, 0, 0.33)).toBeCloseTo(0.1866667, 6);
    expect(globalScore(0.1866667, 2, 0.33)).toBeCloseTo(0.0634667, 6); // * 0.34
    expect(globalScore(-0.5, 4, 0.33)).toBe(0); // 1 - 1.32 < 0: not a sign flip
  });
  it('scores a candidate list; NA is 0 and wins ties', () => {
    const cands = candidateActions({ dataNode: 3, referenceCopyId: 1, familyCopies: [{ id: 1, nodeId: 3 }], nodes: [1, 2, 3].map((id) => ({ id, storage: true })), maxCopies: 2 });
    const impacts = new Map<string, ImpactVector>([
      ['M3_1', M31],
      ['C3_1', C31],
      ['M3_2', arrayToVector([-0.2, 0, 0, 0.1, -0.4, 0])],
      ['C3_2', arrayToVector([-0.2, 0, 0, 0.1, -0.4, -1])],
    ]);
    const s = scoreCandidates(cands, byLabel(impacts), { M3_1: 2 }, check([RT], [A]), weighted);
    const by = Object.fromEntries(s.map((c) => [c.label, c.globalScore]));
    expect(by.NA).toBe(0);
    expect(by.M3_1).toBeCloseTo(0.0634667, 6); // counter 2
    expect(by.C3_1).toBeCloseTo(0.1388889, 6);
    expect(by.M3_2).toBeCloseTo((0.7 * -0.2 + 0.3 * -0.4) / 2 / 1.5, 10); // -0.086667
    expect(bestCandidate(s).label).toBe('C3_1');
    expect(bestCandidate(s.filter((c) => c.globalScore <= 0)).label).toBe('NA');
    expect(() => scoreCandidates(cands, byLabel(new Map()), {}, check([RT], [A]), weighted)).toThrow(/no impact vector M3_1/);
  });
});

describe('candidates (docs/architecture.md)', () => {
  const nodes = [
    { id: 1, storage: true },
    { id: 2, storage: false },
    { id: 3, storage: true },
    { id: 4, storage: true },
  ];
  it('skips non-storage nodes and nodes already holding a copy of the family', () => {
    const c = candidateActions({ dataNode: 3, referenceCopyId: 10, familyCopies: [{ id: 10, nodeId: 3 }, { id: 11, nodeId: 4 }], nodes, maxCopies: 2 });
    expect(c.map((x) => x.label)).toEqual(['NA', 'M3_1', 'C3_1', 'CR4']);
  });
  it('CR{y} carries the copy id and the vector label of M{d}_{y}', () => {
    const c = candidateActions({ dataNode: 3, referenceCopyId: 10, familyCopies: [{ id: 10, nodeId: 3 }, { id: 11, nodeId: 4 }], nodes, maxCopies: 2 });
    expect(c.find((x) => x.label === 'CR4')).toMatchObject({ vectorLabel: 'M3_4', targetCopyId: 11, action: { type: 'changeRef', to: 4 } });
  });
  it('CR scoring uses the M vector: same numbers as M{d}_{y} at cost 1', () => {
    const c = candidateActions({ dataNode: 3, referenceCopyId: 10, familyCopies: [{ id: 10, nodeId: 3 }, { id: 11, nodeId: 1 }], nodes, maxCopies: 2 });
    const s = scoreCandidates(c, byLabel(new Map([['M3_4', M31], ['C3_4', C31], ['M3_1', M31]])), {}, check([RT], [A]), weighted);
    expect(c.map((x) => x.label)).toEqual(['NA', 'M3_4', 'C3_4', 'CR1']);
    const cr = s.find((x) => x.label === 'CR1')!;
    expect(cr.vector).toEqual(M31);
    expect(cr.score).toBeCloseTo(0.56 / 2 / 1, 10); // 0.28
  });
  it('no copy candidate once the family has 1 + k copies', () => {
    const c = candidateActions({ dataNode: 3, referenceCopyId: 10, familyCopies: [{ id: 10, nodeId: 3 }, { id: 11, nodeId: 4 }, { id: 12, nodeId: 1 }], nodes: [...nodes, { id: 5, storage: true }], maxCopies: 2 });
    expect(c.map((x) => x.label)).toEqual(['NA', 'M3_5', 'CR1', 'CR4']);
  });
  it('required vectors: M and C between storage nodes, CR per storage node', () => {
    expect(requiredImpactLabels(nodes)).toEqual(['M1_3', 'C1_3', 'M1_4', 'C1_4', 'M3_1', 'C3_1', 'M3_4', 'C3_4', 'M4_1', 'C4_1', 'M4_3', 'C4_3', 'CR1', 'CR3', 'CR4']);
  });
});

describe('epsilon exploration (docs/architecture.md)', () => {
  const scored = ['NA', 'M3_1', 'C3_1', 'M3_2'].map((label, i) => ({ label, globalScore: i === 2 ? 0.5 : 0 }));
  it('explores about epsilon of the time over 10,000 draws, uniformly over candidates', () => {
    const rng = createRng(1234);
    let explored = 0;
    const picks: Record<string, number> = {};
    for (let i = 0; i < 10_000; i++) {
      const c = chooseCandidate(scored, rng, 0.1);
      if (c.explored) {
        explored++;
        picks[c.chosen.label] = (picks[c.chosen.label] ?? 0) + 1;
      } else expect(c.chosen.label).toBe('C3_1');
    }
    // binomial(10000, 0.1): sd = 30, so +-4 sd is 880..1120
    expect(explored).toBeGreaterThan(880);
    expect(explored).toBeLessThan(1120);
    for (const l of ['NA', 'M3_1', 'C3_1', 'M3_2']) expect(picks[l]).toBeGreaterThan(explored / 4 - 100);
  });
  it('epsilon 0 never explores, epsilon 1 always does; the same seed gives the same choices', () => {
    const a = createRng(7);
    for (let i = 0; i < 1000; i++) expect(chooseCandidate(scored, a, 0).explored).toBe(false);
    const b = createRng(7);
    for (let i = 0; i < 100; i++) expect(chooseCandidate(scored, b, 1).explored).toBe(true);
    const seq = (seed: number) => {
      const r = createRng(seed);
      return Array.from({ length: 200 }, () => chooseCandidate(scored, r, 0.3).chosen.label).join();
    };
    expect(seq(99)).toBe(seq(99));
    expect(seq(99)).not.toBe(seq(100));
  });
  it('decide() composes candidates, scores and the choice; DC comes from the copy count, not the stored vector', () => {
    const input = {
      check: check([RT], [A]),
      placement: { dataNode: 3, referenceCopyId: 1, familyCopies: [{ id: 1, nodeId: 3 }], nodes: [{ id: 1, storage: true }, { id: 3, storage: true }] },
      impacts: new Map([['M3_1', { ...M31, consistency: 0.7 }], ['C3_1', C31]]),
      counters: {},
      params: { ...params, epsilon: 0 },
      rho: { ...params.rho, consistency: 0.5 },
      rng: createRng(1),
    };
    const d = decide(input);
    expect(d.explored).toBe(false);
    expect(d.chosen.label).toBe('M3_1'); // 0.8 / 1.5 beats C3_1 0.5 / 1.8 and NA 0
    expect(d.scored.map((s) => s.label)).toEqual(['NA', 'M3_1', 'C3_1']);
    const by = Object.fromEntries(d.scored.map((s) => [s.label, s]));
    expect(by.M3_1.vector.consistency).toBe(0); // a move leaves the copy count alone, whatever was stored
    // a copy: DC 1 -> 0.5, f = -atan(0.5 * pi/2 / 0.5) = -1 (clipped)
    expect(by.C3_1.vector.consistency).toBeCloseTo(-Math.min(1, Math.atan(Math.PI / 2)), 12);
    expect(decide({ ...input, params: { ...input.params, scoring: 'weighted' } }).chosen.score).toBeCloseTo(0.1866667, 6);
  });
});
