import type { RunRow } from '../model/types.js';

/*
 * Converged (decision/convergence.ts), the one home of the rule: over a window of each app's most
 * recent runs, every goal met with no action other than NA, no action by anyone since the window
 * began, and no event open (each closed, its global feedback applied). The experiment loop, the
 * report and the API all call this.
 */

export type ConvergenceRun = Pick<RunRow, 'goalMet' | 'actionLabel' | 'error' | 'startedAtMs'>;

export interface ConvergenceInput {
  /** per app, its most recent runs, oldest first (more than the window is fine) */
  runsByApp: ReadonlyMap<number, readonly ConvergenceRun[]>;
  appIds: readonly number[];
  windowRuns: number;
  /** events not yet closed */
  openEvents: number;
  /** creation time of the newest event (any app), or null when there is none */
  lastActionAtMs: number | null;
}

export interface ConvergenceState {
  converged: boolean;
  windowRuns: number;
  openEvents: number;
  apps: { appId: number; quietRuns: number; windowRuns: number; converged: boolean }[];
}

/** True when the run met its goal and took no action. */
export const isQuiet = (r: Pick<RunRow, 'goalMet' | 'actionLabel' | 'error'>): boolean => r.goalMet && !r.error && (r.actionLabel === null || r.actionLabel === 'NA');

export function convergence(i: ConvergenceInput): ConvergenceState {
  let windowStart = Infinity;
  const apps = i.appIds.map((appId) => {
    const window = (i.runsByApp.get(appId) ?? []).slice(-i.windowRuns);
    if (window.length) windowStart = Math.min(windowStart, window[0].startedAtMs);
    const quietRuns = window.filter(isQuiet).length;
    return { appId, quietRuns, windowRuns: i.windowRuns, converged: window.length >= i.windowRuns && quietRuns === window.length };
  });
  // an action taken while the windows ran means the runs before it no longer tell the state
  const actedInWindow = i.lastActionAtMs !== null && i.lastActionAtMs >= windowStart;
  return {
    converged: apps.length > 0 && apps.every((a) => a.converged) && i.openEvents === 0 && !actedInWindow,
    windowRuns: i.windowRuns,
    openEvents: i.openEvents,
    apps,
  };
}
