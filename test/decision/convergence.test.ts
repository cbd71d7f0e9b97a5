import { describe, expect, it } from 'vitest';
import { convergence, type ConvergenceRun } from '../../decision/convergence.js';

const quiet = (t: number): ConvergenceRun => ({ goalMet: true, actionLabel: 'NA', error: null, startedAtMs: t });
const windows = (runs: Record<number, ConvergenceRun[]>) => new Map(Object.entries(runs).map(([k, v]) => [Number(k), v]));

describe('converged (decision/convergence.ts): goals met over the window, no action in it, no event open', () => {
  const base = { appIds: [1, 2], windowRuns: 3, openEvents: 0, lastActionAtMs: null };
  const allQuiet = windows({ 1: [quiet(10), quiet(20), quiet(30)], 2: [quiet(12), quiet(22), quiet(32)] });

  it('every app quiet over its window, nothing open, no action: converged', () => {
    expect(convergence({ ...base, runsByApp: allQuiet }).converged).toBe(true);
  });
  it('an event still open (its global feedback not applied): not converged', () => {
    const c = convergence({ ...base, runsByApp: allQuiet, openEvents: 1 });
    expect(c.converged).toBe(false);
    expect(c.openEvents).toBe(1);
  });
  it('an action after the windows began (its run not recorded yet): not converged; one before them is fine', () => {
    expect(convergence({ ...base, runsByApp: allQuiet, lastActionAtMs: 25 }).converged).toBe(false);
    expect(convergence({ ...base, runsByApp: allQuiet, lastActionAtMs: 9 }).converged).toBe(true);
  });
  it('a violated or acting or failed run in a window, or too few runs: not converged', () => {
    const with1 = (r: ConvergenceRun) => windows({ 1: [quiet(10), r, quiet(30)], 2: [quiet(12), quiet(22), quiet(32)] });
    expect(convergence({ ...base, runsByApp: with1({ ...quiet(20), goalMet: false }) }).converged).toBe(false);
    expect(convergence({ ...base, runsByApp: with1({ ...quiet(20), actionLabel: 'M3_1' }) }).converged).toBe(false);
    expect(convergence({ ...base, runsByApp: with1({ ...quiet(20), error: 'boom' }) }).converged).toBe(false);
    const c = convergence({ ...base, runsByApp: windows({ 1: [quiet(10), quiet(20)], 2: [quiet(12), quiet(22), quiet(32)] }) });
    expect(c.converged).toBe(false);
    expect(c.apps).toEqual([
      { appId: 1, quietRuns: 2, windowRuns: 3, converged: false },
      { appId: 2, quietRuns: 3, windowRuns: 3, converged: true },
    ]);
  });
  it('only the last windowRuns runs count', () => {
    const runs = windows({ 1: [{ ...quiet(1), goalMet: false }, quiet(10), quiet(20), quiet(30)], 2: [quiet(12), quiet(22), quiet(32)] });
    expect(convergence({ ...base, runsByApp: runs }).converged).toBe(true);
  });
  it('no apps: not converged', () => {
    expect(convergence({ ...base, appIds: [], runsByApp: new Map() }).converged).toBe(false);
  });
});
