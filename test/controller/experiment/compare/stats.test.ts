import { describe, expect, it } from 'vitest';
import { summarize, tCdf, tQuantile } from '../../../../controller/experiment/compare/stats.js';

describe('summary statistics', () => {
  it("Student's t quantiles match the tables", () => {
    // t(0.975, df) from the usual tables
    for (const [df, t] of [[1, 12.706], [2, 4.303], [4, 2.776], [9, 2.262], [29, 2.045], [120, 1.98]] as const) expect(tQuantile(0.975, df)).toBeCloseTo(t, 3);
    expect(tCdf(0, 5)).toBeCloseTo(0.5, 12);
    expect(tCdf(2.015, 5)).toBeCloseTo(0.95, 3);
  });

  it('mean, sample sd and the 95 % interval of the mean', () => {
    const s = summarize([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(s.n).toBe(8);
    expect(s.mean).toBe(5);
    expect(s.sd).toBeCloseTo(2.138, 3);
    const half = 2.365 * (2.138 / Math.sqrt(8));
    expect(s.ciLow).toBeCloseTo(5 - half, 2);
    expect(s.ciHigh).toBeCloseTo(5 + half, 2);
  });

  it('missing values are left out; one value has no spread; none has nothing', () => {
    expect(summarize([3, null, undefined, NaN])).toEqual({ n: 1, mean: 3, sd: null, ciLow: null, ciHigh: null });
    expect(summarize([])).toEqual({ n: 0, mean: null, sd: null, ciLow: null, ciHigh: null });
    expect(summarize([1, 1])).toEqual({ n: 2, mean: 1, sd: 0, ciLow: 1, ciHigh: 1 });
  });
});
