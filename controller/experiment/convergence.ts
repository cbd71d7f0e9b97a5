import type { Store } from '../../db/store.js';
import { convergence, type ConvergenceState } from '../../decision/convergence.js';

export type { ConvergenceState };

/**
 * The convergence rule (decision/convergence.ts) over the store as it is now: each app's
 * latest `windowRuns` runs, the open events and the newest event. Used by the experiment loop,
 * the report and the API alike.
 */
export async function readConvergence(store: Store, windowRuns: number): Promise<ConvergenceState> {
  const apps = await store.listApps();
  const runsByApp = new Map(
    await Promise.all(
      apps.map(async (a) => {
        const total = await store.countRuns(a.id);
        const runs = await store.listRuns({ appId: a.id, offset: Math.max(0, total - windowRuns), limit: windowRuns });
        return [a.id, runs] as const;
      }),
    ),
  );
  const stats = await store.eventStats();
  return convergence({ appIds: apps.map((a) => a.id), runsByApp, windowRuns, openEvents: stats.open, lastActionAtMs: stats.lastCreatedAtMs });
}
