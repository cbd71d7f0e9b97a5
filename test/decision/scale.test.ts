import { describe, expect, it } from 'vitest';
import { countViolations, decideScale, ruleWorkers, type ScaleParams, type WindowRates } from '../../decision/scale.js';

const params = (p: Partial<ScaleParams> = {}): ScaleParams => ({ rule: 'autoscaler', violationsInARow: 3, maxWorkers: 12, windowed: 'rate', ...p });
// one saturated worker: 800/s arrive, it manages 300/s, busy the whole 1 s window
const saturated: WindowRates = { workers: 1, inputRate: 800, throughput: 300, processed: 300, busyMs: 1000 };

describe('scale rules', () => {
  it('counts violations in a row, back to 0 on a met window', () => {
    let k = 0;
    for (const met of [false, false, true, false]) k = countViolations(k, met);
    expect(k).toBe(1);
    expect(countViolations(2, false)).toBe(3);
  });

  it('acts only once the goal was violated violationsInARow windows in a row', () => {
    expect(decideScale(params(), saturated, 1, false)).toMatchObject({ label: 'NA', triggered: false, reason: 'violated 1 of 3 windows in a row' });
    expect(decideScale(params(), saturated, 2, false).label).toBe('NA');
    const d = decideScale(params(), saturated, 3, false);
    expect(d).toMatchObject({ label: 'S3', action: { type: 'scale', workers: 3 }, triggered: true, workers: 3 });
    expect(d.arithmetic).toBe('throughput per worker = 300 / 1 = 300; n = ceil(input rate / throughput per worker) = ceil(800 / 300) = 3');
    expect(decideScale(params({ violationsInARow: 1 }), saturated, 1, false).label).toBe('S3');
  });

  it('autoscaler: n = ceil(input rate / observed throughput per worker), per worker of the window', () => {
    expect(ruleWorkers(params(), { workers: 2, inputRate: 1000, throughput: 600, processed: 600, busyMs: 2000 }, false).n).toBe(4);
    // exactly divisible: no extra worker
    expect(ruleWorkers(params(), { workers: 1, inputRate: 900, throughput: 300, processed: 300, busyMs: 1000 }, false).n).toBe(3);
  });

  it('windowed operator with windowed: add2 gets current + 2; with rate (default) the rate rule', () => {
    expect(decideScale(params({ windowed: 'add2' }), { ...saturated, workers: 2 }, 3, true)).toMatchObject({ label: 'S4', arithmetic: 'windows + 2 = 2 + 2 = 4' });
    expect(decideScale(params({ windowed: 'rate' }), { ...saturated, workers: 1 }, 3, true).label).toBe('S3');
    // add2 is for windowed operators only: a continuous one keeps the rate rule
    expect(decideScale(params({ windowed: 'add2' }), saturated, 3, false).label).toBe('S3');
  });

  it('ds2: the true rate counts busy time only, so an idle-but-fast worker is not taken for a slow one', () => {
    // 2 workers processed 400 in the 1 s window, busy 500 ms in all: true rate 800/s per worker
    const w: WindowRates = { workers: 2, inputRate: 2000, throughput: 400, processed: 400, busyMs: 500 };
    const d = decideScale(params({ rule: 'ds2' }), w, 3, false);
    expect(d.label).toBe('S3');
    expect(d.inputs.trueRatePerWorker).toBe(800);
    expect(d.arithmetic).toContain('n = ceil(input rate / true rate) = ceil(2000 / 800) = 3');
    // the observed throughput rule would ask for ceil(2000 / 200) = 10
    expect(decideScale(params(), w, 3, false).label).toBe('S10');
  });

  it('clamps to [1, maxWorkers] and says so; the current count is NA', () => {
    const d = decideScale(params({ maxWorkers: 2 }), saturated, 3, false);
    expect(d).toMatchObject({ label: 'S2', workers: 2, clampedFrom: 3 });
    expect(d.arithmetic).toMatch(/clamped to \[1, 2\] = 2$/);
    // over-provisioned: 100/s on 4 workers busy 400 ms in all: ds2 sees 250/s per worker and scales in;
    // the observed rule sees 25/s per worker and keeps 4 (it cannot tell idle from slow)
    const idle: WindowRates = { workers: 4, inputRate: 100, throughput: 100, processed: 100, busyMs: 400 };
    expect(decideScale(params({ rule: 'ds2' }), idle, 3, false).label).toBe('S1');
    expect(decideScale(params(), idle, 3, false).label).toBe('NA');
    expect(decideScale(params(), { workers: 3, inputRate: 800, throughput: 900, processed: 900, busyMs: 3000 }, 3, false)).toMatchObject({ label: 'NA', triggered: true, reason: 'the rule gives the current 3 workers' });
  });

  it('nothing measured keeps the current count (no division by zero)', () => {
    expect(decideScale(params(), { workers: 2, inputRate: 500, throughput: 0, processed: 0, busyMs: 0 }, 3, false).label).toBe('NA');
    expect(decideScale(params({ rule: 'ds2' }), { workers: 2, inputRate: 500, throughput: 0, processed: 0, busyMs: 0 }, 3, false).label).toBe('NA');
  });

  it('does not scale out while the backlog shrank over the violated windows (the workers catch up)', () => {
    // 3 workers drain a backlog; in this window one dipped, so the observed rule alone asks for 4
    const dipped: WindowRates = { workers: 3, inputRate: 650, throughput: 600, processed: 600, busyMs: 3000 };
    expect(ruleWorkers(params(), dipped, false).n).toBe(4);
    const d = decideScale(params(), { ...dipped, lag: 900, lagAtStreakStart: 2400 }, 3, false);
    expect(d).toMatchObject({ label: 'NA', triggered: true, workers: 3 });
    expect(d.reason).toBe('catching up: the backlog fell from 2400 to 900 records over the 3 violated windows');
    // a backlog that grew over the streak: the rule acts
    expect(decideScale(params(), { ...dipped, lag: 2600, lagAtStreakStart: 2400 }, 3, false).label).toBe('S4');
    // scaling in is never held back by it
    const idle: WindowRates = { workers: 4, inputRate: 100, throughput: 100, processed: 100, busyMs: 400, lag: 0, lagAtStreakStart: 50 };
    expect(decideScale(params({ rule: 'ds2' }), idle, 3, false).label).toBe('S1');
  });
});
