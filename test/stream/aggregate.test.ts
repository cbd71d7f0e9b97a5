import { describe, expect, it } from 'vitest';
import { ageBand, quantile, WindowAggregate } from '../../stream/app/aggregate.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCsvRecords } from '../../stream/workload/sources.js';

describe("a stream app's window aggregate (stream/app/aggregate.ts)", () => {
  it('bands a numeric age in 20 years; anything else, the blood tests among them, is unknown', () => {
    expect([0, 19, 20, 39.9, 64, 105].map(ageBand)).toEqual(['0-19', '0-19', '20-39', '20-39', '60-79', '100-119']);
    expect([undefined, null, '35', -1, Number.NaN, Infinity].map(ageBand)).toEqual(['unknown', 'unknown', 'unknown', 'unknown', 'unknown', 'unknown']);
  });

  it('counts and averages cholesterol by gender and band, in gender then band order; a record without a cholesterol counts but does not average', () => {
    const agg = new WindowAggregate();
    const add = (gender: unknown, age: unknown, cholesterol: unknown) => agg.add({ gender, age, cholesterol });
    add('M', 105, 200);
    add('M', 25, 180);
    add('M', 30, 190);
    add('F', 25, 150);
    add('F', undefined, 170);
    add('M', 25, 'high');
    add(undefined, 40, 210);
    expect(agg.records).toBe(7);
    expect(agg.results()).toEqual([
      { gender: 'F', ageBand: '20-39', count: 1, avgCholesterol: 150 },
      { gender: 'F', ageBand: 'unknown', count: 1, avgCholesterol: 170 },
      { gender: 'M', ageBand: '20-39', count: 3, avgCholesterol: 185 },
      { gender: 'M', ageBand: '100-119', count: 1, avgCholesterol: 200 },
      { gender: 'unknown', ageBand: '40-59', count: 1, avgCholesterol: 210 },
    ]);
    const none = new WindowAggregate();
    none.add({ gender: 'F', age: 30 });
    expect(none.results()).toEqual([{ gender: 'F', ageBand: '20-39', count: 1, avgCholesterol: null }]);
  });

  it('a CSV source with an age column gets real bands (its numbers are numbers)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fogsim-agg-'));
    const file = join(dir, 'people.csv');
    writeFileSync(file, 'gender,age,cholesterol\nF,34,181.5\nF,38,190.5\nM,71,220\n');
    const agg = new WindowAggregate();
    try {
      for (const r of readCsvRecords(file, 'workloads[0].source.file')) agg.add(r);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(agg.results()).toEqual([
      { gender: 'F', ageBand: '20-39', count: 2, avgCholesterol: 186 },
      { gender: 'M', ageBand: '60-79', count: 1, avgCholesterol: 220 },
    ]);
  });

  it('quantiles by nearest rank', () => {
    expect(quantile([5, 1, 4, 2, 3], 0.5)).toBe(3);
    expect(quantile([5, 1, 4, 2, 3], 0.95)).toBe(5);
    expect(quantile([], 0.5)).toBeNaN();
  });
});
