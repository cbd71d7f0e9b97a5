import type { RunRow } from '../../model/types.js';

export interface ConvergenceState {
  converged: boolean;
  /** per app: runs in the window that met the goal with no action */
  apps: { appId: number; quietRuns: number; windowRuns: number }[];
}

/** True when the run took no action (goal met, or nothing chosen). */
export const isQuiet = (r: Pick<RunRow, 'goalMet' | 'actionLabel' | 'error'>): boolean =>
  r.goalMet && !r.error && (r.actionLabel === null || r.actionLabel === 'NA');

/**
 * Converged (DESIGN.md section 9): over the last `windowRuns` runs of every app, every goal
 * met and no action other than NA. `runsByApp` holds each app's runs, newest last.
 */
export function convergence(appIds: number[], runsByApp: Map<number, Pick<RunRow, 'goalMet' | 'actionLabel' | 'error'>[]>, windowRuns: number): ConvergenceState {
  const apps = appIds.map((appId) => {
    const runs = runsByApp.get(appId) ?? [];
    const window = runs.slice(-windowRuns);
    return { appId, quietRuns: window.filter(isQuiet).length, windowRuns };
  });
  return { converged: apps.length > 0 && apps.every((a) => a.quietRuns === windowRuns), apps };
}
