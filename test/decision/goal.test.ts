import { describe, expect, it } from 'vitest';
import type { MetricValues } from '../../model/metrics.js';
import type { Goal } from '../../model/types.js';
import { evaluateGoal, formatGoal } from '../../decision/goal.js';

const v = (p: Partial<MetricValues>): MetricValues => ({ responseTime: 500, executionTime: 50, throughput: 40_000, latency: 1000, availability: 90, consistency: 1, ...p });

describe('goal evaluation', () => {
  const app1: Goal = { all: [{ metric: 'responseTime', max: 800 }, { metric: 'availability', min: 95 }] };
  it('AND with one term violated: not met, per-term lists', () => {
    const c = evaluateGoal(app1, v({ responseTime: 500, availability: 85 }));
    expect(c.met).toBe(false);
    expect(c.violated).toEqual([{ metric: 'availability', min: 95 }]);
    expect(c.satisfied).toEqual([{ metric: 'responseTime', max: 800 }]);
    expect(c.terms.map((t) => t.value)).toEqual([500, 85]);
  });
  it('bounds are inclusive', () => {
    expect(evaluateGoal(app1, v({ responseTime: 800, availability: 95 })).met).toBe(true);
    expect(evaluateGoal(app1, v({ responseTime: 800.001, availability: 95 })).met).toBe(false);
  });
  it('OR is met by one term, and still lists the violated one', () => {
    const app3: Goal = { any: [{ metric: 'consistency', min: 0.7 }, { metric: 'latency', max: 1300 }] };
    const c = evaluateGoal(app3, v({ consistency: 1, latency: 1500 }));
    expect(c.met).toBe(true);
    expect(c.violated).toEqual([{ metric: 'latency', max: 1300 }]);
    expect(evaluateGoal(app3, v({ consistency: 0.5, latency: 1500 })).met).toBe(false);
  });
  it('nested: (RT <= 800 AND A >= 95) OR X >= 50000', () => {
    const g: Goal = { any: [app1, { metric: 'throughput', min: 50_000 }] };
    expect(evaluateGoal(g, v({ availability: 85, throughput: 60_000 })).met).toBe(true);
    expect(evaluateGoal(g, v({ availability: 85, throughput: 40_000 })).met).toBe(false);
    expect(evaluateGoal(g, v({ availability: 96, throughput: 40_000 })).met).toBe(true);
    expect(evaluateGoal(g, v({})).terms).toHaveLength(3);
    expect(formatGoal(g)).toBe('(responseTime <= 800 AND availability >= 95) OR throughput >= 50000');
  });
  it('a NaN measurement never satisfies', () => {
    expect(evaluateGoal({ metric: 'responseTime', max: 800 }, v({ responseTime: NaN })).met).toBe(false);
  });
});
