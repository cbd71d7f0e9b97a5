import { describe, expect, it } from 'vitest';
import { applyCounter, otherApps, closeEvent, feedbackValue } from '../../decision/feedback.js';
import { dataConsistency } from '../../decision/consistency.js';

describe('feedback p = 1 - (t - created)/T', () => {
  it('hand-computed values', () => {
    expect(feedbackValue(15_000, 10_000, 20_000)).toBe(0.75);
    expect(feedbackValue(10_000, 10_000, 20_000)).toBe(1);
    expect(feedbackValue(26_000, 10_000, 20_000)).toBeCloseTo(0.2, 12);
    expect(feedbackValue(30_000, 10_000, 20_000)).toBe(0);
  });
  it('clamped to [0, 1] (clock skew)', () => {
    expect(feedbackValue(40_000, 10_000, 20_000)).toBe(0);
    expect(feedbackValue(9_000, 10_000, 20_000)).toBe(1);
  });
});

describe('event closure: global = sum / (apps - 1); counter +1 if >= threshold else -1, floor 0', () => {
  it('two feedbacks 0.75 + 0.2 from 3 apps: 0.475 >= 0.3 -> +1', () => {
    const c = closeEvent({ sumFeedback: 0.95 }, { appCount: 3, feedbackThreshold: 0.3 });
    expect(c.globalFeedback).toBeCloseTo(0.475, 12);
    expect(c.counterDelta).toBe(1);
  });
  it('exactly at the threshold counts as harmful: 0.6/2 = 0.3 -> +1', () => {
    expect(closeEvent({ sumFeedback: 0.6 }, { appCount: 3, feedbackThreshold: 0.3 })).toEqual({ globalFeedback: 0.3, counterDelta: 1 });
  });
  it('one feedback 0.5 from 3 apps: 0.25 < 0.3 -> -1; no feedback -> -1', () => {
    expect(closeEvent({ sumFeedback: 0.5 }, { appCount: 3, feedbackThreshold: 0.3 })).toEqual({ globalFeedback: 0.25, counterDelta: -1 });
    expect(closeEvent({ sumFeedback: 0 }, { appCount: 3, feedbackThreshold: 0.3 })).toEqual({ globalFeedback: 0, counterDelta: -1 });
  });
  it('the threshold is the scenario\'s: 0.475 < 0.5 -> -1', () => {
    expect(closeEvent({ sumFeedback: 0.95 }, { appCount: 3, feedbackThreshold: 0.5 })).toEqual({ globalFeedback: 0.475, counterDelta: -1 });
  });
  it('divides by the apps other than the one that acted: 4 apps, sum 0.9 -> 0.3', () => {
    expect(otherApps(4)).toBe(3);
    expect(otherApps(1)).toBe(0);
    expect(closeEvent({ sumFeedback: 0.9 }, { appCount: 4, feedbackThreshold: 0.3 }).globalFeedback).toBeCloseTo(0.3, 12);
  });
  it('a single app has nobody to give feedback: global 0', () => {
    expect(closeEvent({ sumFeedback: 0 }, { appCount: 1, feedbackThreshold: 0.3 })).toEqual({ globalFeedback: 0, counterDelta: -1 });
  });
  it('counter arithmetic floors at zero', () => {
    expect(applyCounter(0, -1)).toBe(0);
    expect(applyCounter(1, -1)).toBe(0);
    expect(applyCounter(2, 1)).toBe(3);
  });
});

describe('data consistency 1 - extra/k', () => {
  it('k = 2', () => {
    expect(dataConsistency(1, 2)).toBe(1);
    expect(dataConsistency(2, 2)).toBe(0.5);
    expect(dataConsistency(3, 2)).toBe(0);
    expect(dataConsistency(4, 2)).toBe(0);
    expect(dataConsistency(2, 4)).toBe(0.75);
  });
});
