import { describe, expect, it } from 'vitest';
import { drawLatency, measureRun } from '../../../nodes/monitor/monitor.js';
import { createRng } from '../../../util/rng.js';

const job = { rtMs: 1234.5, etMs: 234.5, throughput: 85_000 };

describe('measureRun', () => {
  it('maps a run to the six metrics', () => {
    expect(measureRun({ job, latencyMs: 1003, dataNodeAvailability: 85, copiesInFamily: 1, maxCopies: 2 })).toEqual({
      responseTime: 1234.5,
      executionTime: 234.5,
      throughput: 85_000,
      latency: 1003,
      availability: 85,
      consistency: 1,
    });
  });

  it('DC = 1 - (copies - 1) / k, clamped to [0, 1]', () => {
    const dc = (copies: number, k: number) => measureRun({ job, latencyMs: 0, dataNodeAvailability: 100, copiesInFamily: copies, maxCopies: k }).consistency;
    expect(dc(1, 2)).toBe(1);
    expect(dc(2, 2)).toBe(0.5);
    expect(dc(3, 2)).toBe(0);
    expect(dc(5, 2)).toBe(0);
    expect(dc(2, 4)).toBe(0.75);
    expect(dc(4, 3)).toBe(0);
  });

  it('refuses impossible inputs instead of producing a wrong metric', () => {
    expect(() => measureRun({ job, latencyMs: 0, dataNodeAvailability: 90, copiesInFamily: 0, maxCopies: 2 })).toThrow(/copiesInFamily/);
    expect(() => measureRun({ job, latencyMs: 0, dataNodeAvailability: 90, copiesInFamily: 1, maxCopies: 0 })).toThrow(/maxCopies/);
  });
});

describe('drawLatency', () => {
  it('is a normal draw around the link latency (sd 7 ms), repeatable from the seed', () => {
    const rng = createRng(17);
    const xs = Array.from({ length: 4000 }, () => drawLatency(rng, 1000, 7));
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1));
    expect(mean).toBeGreaterThan(999.5);
    expect(mean).toBeLessThan(1000.5);
    expect(sd).toBeGreaterThan(6.5);
    expect(sd).toBeLessThan(7.5);
    const again = createRng(17);
    expect(drawLatency(again, 1000, 7)).toBe(xs[0]);
  });

  it('is floored at 0 and is 0 on the same node', () => {
    const rng = createRng(3);
    const xs = Array.from({ length: 1000 }, () => drawLatency(rng, 2, 7));
    expect(Math.min(...xs)).toBe(0);
    expect(xs.some((x) => x > 0)).toBe(true);
    expect(drawLatency(rng, 0, 7)).toBe(0);
  });
});
