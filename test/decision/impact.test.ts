import { describe, expect, it } from 'vitest';
import { arrayToVector, type MetricValues } from '../../model/metrics.js';
import { impactF, impactFromDelta, meanVector, updateImpact } from '../../decision/impact.js';

const rho = { responseTime: 1000, executionTime: 200, throughput: 100_000, latency: 1000, availability: 10, consistency: 0.5 };

describe('impact function f = clip(atan(delta * (pi/2) / rho), -1, 1)', () => {
  it('half of rho gives atan(pi/4) = 0.66577375', () => {
    expect(impactF(50_000, 100_000, true)).toBeCloseTo(0.6657737500, 9);
    // lower-is-better: an increase of RT hurts
    expect(impactF(500, 1000, false)).toBeCloseTo(-0.6657737500, 9);
    expect(impactF(-500, 1000, false)).toBeCloseTo(0.6657737500, 9);
  });
  it('clips: atan(pi/2) = 1.00388 becomes 1, larger changes stay at +-1', () => {
    expect(impactF(1000, 1000, true)).toBe(1);
    expect(impactF(-1000, 1000, true)).toBe(-1);
    expect(impactF(1e9, 1, false)).toBe(-1);
  });
  it('no change is exactly 0 (not -0) in both directions', () => {
    expect(Object.is(impactF(0, 5, false), 0)).toBe(true);
    expect(Object.is(impactF(0, 5, true), 0)).toBe(true);
  });
  it('rejects a non-positive rho', () => {
    expect(() => impactF(1, 0, true)).toThrow(/rho/);
  });
});

describe('impactFromDelta', () => {
  it('computes each metric with its own rho and direction (data moved from node 3 to node 1)', () => {
    const before: MetricValues = { responseTime: 1000, executionTime: 40, throughput: 10_000, latency: 1500, availability: 85, consistency: 1 };
    const after: MetricValues = { responseTime: 500, executionTime: 40, throughput: 60_000, latency: 0, availability: 97, consistency: 1 };
    const f = impactFromDelta(before, after, rho);
    expect(f.responseTime).toBeCloseTo(0.66577375, 8); // -500 ms, lower is better
    expect(f.executionTime).toBe(0);
    expect(f.throughput).toBeCloseTo(0.66577375, 8); // +50000/s with rho 100000
    expect(f.latency).toBe(1); // atan(-1500*pi/2000) = -1.169 -> clipped -1 -> negated
    expect(f.availability).toBe(1); // atan(12*pi/20) = 1.083 -> clipped
    expect(f.consistency).toBe(0);
  });
  it('a copy (DC 1 -> 0.5, k=2) scores DC at -1 with rho 0.5', () => {
    const v: MetricValues = { responseTime: 1, executionTime: 1, throughput: 1, latency: 1, availability: 90, consistency: 1 };
    expect(impactFromDelta(v, { ...v, consistency: 0.5 }, rho).consistency).toBe(-1);
    // a quarter: atan(-0.25*pi/2/0.5) = atan(-pi/4)
    expect(impactFromDelta(v, { ...v, consistency: 0.75 }, rho).consistency).toBeCloseTo(-0.66577375, 8);
  });
});

describe('online update impact = (1 - lr) * impact + lr * f', () => {
  it('lr 0.5 averages old and new', () => {
    const old = arrayToVector([0.4, 0, 1, -1, 0.2, 0]);
    const f = arrayToVector([-0.6, 0.5, 1, 1, 0.2, -1]);
    expect(Object.values(updateImpact(old, f, 0.5)).map((x) => +x.toFixed(10))).toEqual([-0.1, 0.25, 1, 0, 0.2, -0.5]);
  });
  it('lr 0.25: 0.75 * 0.8 + 0.25 * (-0.4) = 0.5', () => {
    const v = updateImpact(arrayToVector([0.8, 0, 0, 0, 0, 0]), arrayToVector([-0.4, 0, 0, 0, 0, 0]), 0.25);
    expect(v.responseTime).toBeCloseTo(0.5, 12);
  });
  it('lr 0 keeps the old vector, lr 1 takes f', () => {
    const old = arrayToVector([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]);
    const f = arrayToVector([-1, -1, -1, -1, -1, -1]);
    expect(updateImpact(old, f, 0)).toEqual(old);
    expect(updateImpact(old, f, 1)).toEqual(f);
    expect(() => updateImpact(old, f, 1.5)).toThrow(/learning rate/);
  });
  it('meanVector averages component-wise', () => {
    expect(meanVector([arrayToVector([1, 0, 0, 0, 0, 0]), arrayToVector([0, 0, 0, 0, 0, 1])]).responseTime).toBe(0.5);
  });
});
