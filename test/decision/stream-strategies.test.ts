import { describe, expect, it } from 'vitest';
import { evaluateGoal } from '../../decision/goal.js';
import { decideScale, type ScaleParams, type WindowRates } from '../../decision/scale.js';
import { applyStrategy } from '../../decision/strategies/apply.js';
import { builtinStrategy } from '../../decision/strategies/registry.js';
import { streamCandidates, streamStrategyInput } from '../../decision/strategies/stream.js';
import { StrategyError, type NamedStrategy, type StreamStrategyInput } from '../../decision/strategies/types.js';
import { parseScenario } from '../../model/scenario.js';
import { createRng } from '../../util/rng.js';

/*
 * The strategies on a stream app's input (decision/strategies/stream.ts): one saturated worker of
 * at most 6, 800 msgs/s arriving where it manages 300, three violated windows in a row: the
 * autoscaler rule proposes S3.
 */
const base = parseScenario({ nodes: [{ id: 1, availability: 90 }], dataset: { node: 1 }, apps: [{ id: 1, node: 1, goal: { metric: 'responseTime', max: 1 } }] });
const params: ScaleParams = { rule: 'autoscaler', violationsInARow: 3, maxWorkers: 6, windowed: 'rate' };
const saturated: WindowRates = { workers: 1, inputRate: 800, throughput: 300, processed: 300, busyMs: 1000 };
const metrics = { latency: 5200, latencyP50: 3000, throughput: 300, lag: 1500, pathLatency: 0, availability: 99 };

function input(o: { rates?: WindowRates; counters?: Record<string, number>; seed?: number; scale?: Partial<ScaleParams> } = {}): StreamStrategyInput {
  const rates = o.rates ?? saturated;
  const p = { ...params, ...o.scale };
  return streamStrategyInput({
    appId: 2,
    appNode: 1,
    check: evaluateGoal({ metric: 'latency', max: 4000 }, metrics),
    metrics,
    counters: o.counters ?? {},
    params: base.decision,
    rng: createRng(o.seed ?? 1),
    rule: p.rule,
    proposal: decideScale(p, rates, 3, true),
    rates,
    maxWorkers: p.maxWorkers,
  });
}

const choose = (name: string, i: StreamStrategyInput) => applyStrategy(builtinStrategy(name)!, i);
const labels = (i: StreamStrategyInput) => i.candidates.map((c) => c.label);

describe('a stream app\'s strategy input (decision/strategies/stream.ts)', () => {
  it('candidates: NA, then S1..S{maxWorkers} without the current count, each with its counter', () => {
    expect(streamCandidates(2, 4, { S3: -1, M3_1: 2 })).toEqual([
      { label: 'NA', action: { type: 'none' }, counter: 0 },
      { label: 'S1', action: { type: 'scale', workers: 1 }, counter: 0 },
      { label: 'S3', action: { type: 'scale', workers: 3 }, counter: -1 },
      { label: 'S4', action: { type: 'scale', workers: 4 }, counter: 0 },
    ]);
    expect(streamCandidates(1, 1, {}).map((c) => c.label)).toEqual(['NA']);
  });

  it('the input: kind stream, the rule\'s proposal with its arithmetic, the rates, workers and maxWorkers', () => {
    const i = input({ counters: { S2: 1 } });
    expect(i.kind).toBe('stream');
    expect(labels(i)).toEqual(['NA', 'S2', 'S3', 'S4', 'S5', 'S6']);
    expect(i.candidates[1].counter).toBe(1);
    expect(i.scale).toMatchObject({ rule: 'autoscaler', workers: 1, maxWorkers: 6, rates: saturated, proposal: { label: 'S3', triggered: true } });
    expect(i.scale.proposal.arithmetic).toContain('ceil(800 / 300) = 3');
    expect(i.check.met).toBe(false);
  });
});

describe('built-in strategies on a stream app', () => {
  it('original, no-counters and no-feedback take the rule\'s proposal, whatever the counters say; NA when it proposes NA', () => {
    for (const name of ['original', 'no-counters', 'no-feedback']) {
      expect(choose(name, input({ counters: { S3: -5 } }))).toEqual({ chosen: { label: 'S3', action: { type: 'scale', workers: 3 }, counter: -5 }, explored: false });
      // the workers are catching up: the rule keeps the count
      expect(choose(name, input({ rates: { ...saturated, lag: 500, lagAtStreakStart: 2000 } })).chosen.label).toBe('NA');
    }
  });

  it('static never scales', () => {
    expect(choose('static', input())).toEqual({ chosen: input().candidates[0], explored: false });
  });

  it('greedy-latency: the most workers; NA when it has them', () => {
    expect(choose('greedy-latency', input()).chosen.label).toBe('S6');
    expect(choose('greedy-latency', input({ rates: { ...saturated, workers: 6 } })).chosen.label).toBe('NA');
  });

  it('random: uniform over the S candidates (never NA), marked explored, repeated by one seed', () => {
    const i = input({ seed: 4 });
    const counts = new Map<string, number>();
    for (let k = 0; k < 5000; k++) {
      const c = choose('random', i);
      expect(c.explored).toBe(true);
      counts.set(c.chosen.label, (counts.get(c.chosen.label) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(['S2', 'S3', 'S4', 'S5', 'S6']);
    for (const n of counts.values()) expect(Math.abs(n - 1000)).toBeLessThan(150);
    const draws = (seed: number) => {
      const j = input({ seed });
      return Array.from({ length: 20 }, () => choose('random', j).chosen.label);
    };
    expect(draws(7)).toEqual(draws(7));
    expect(draws(7)).not.toEqual(draws(8));
  });
});

describe('a user\'s strategy on a stream app', () => {
  const user = (decide: NamedStrategy['decide']): NamedStrategy => ({ name: './scale.js', decide, leavesFeedback: true });

  it('tells the kinds apart and may return any candidate', () => {
    const s = user((i) => (i.kind === 'stream' ? `S${i.scale.maxWorkers - 1}` : 'NA'));
    expect(applyStrategy(s, input()).chosen).toMatchObject({ label: 'S5', action: { type: 'scale', workers: 5 } });
  });

  it('a label that is not a candidate (the current count, a batch action, past maxWorkers) is a StrategyError naming the app and the candidates', () => {
    for (const bad of ['S1', 'M3_1', 'S7']) {
      const run = () => applyStrategy(user(() => bad), input());
      expect(run).toThrow(StrategyError);
      expect(run).toThrow(`strategy ./scale.js of app 2 returned "${bad}", not a candidate: NA, S2, S3, S4, S5, S6`);
    }
    expect(() => applyStrategy(user(() => Promise.resolve('S3') as unknown as string), input())).toThrow(/^strategy \.\/scale\.js of app 2 returned a promise/);
  });
});

describe('the scenario: a stream app\'s own strategy', () => {
  const raw = (strategy: unknown) => ({
    nodes: [{ id: 1, availability: 90 }],
    dataset: { node: 1 },
    apps: [
      { id: 1, node: 1, goal: { metric: 'availability', min: 50 } },
      { kind: 'stream', id: 2, topic: 't', costMs: 2, maxWorkers: 4, goal: { metric: 'latency', max: 4000 }, strategy },
    ],
    workloads: [{ id: 'w', topic: 't', partitions: 4, source: { kind: 'bloodtests' }, rate: 10 }],
  });

  it('is accepted, kept on the spec and chosen over the scenario\'s; a bad one is a path-named error', () => {
    const s = parseScenario(raw('static'));
    expect(s.streamApps[0].strategy).toBe('static');
    expect(parseScenario({ ...raw(undefined), strategy: 'random' }).streamApps[0].strategy).toBeUndefined();
    expect(() => parseScenario(raw('greedy'))).toThrow(/apps\[1\]\.strategy: unknown strategy "greedy"; use a built-in \(original, /);
  });
});
