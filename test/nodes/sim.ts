/* Runs every app of a scenario as its own AppNode loop, in shared fake time, on real embedded servers. */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { readConvergence } from '../../controller/experiment/convergence.js';
import type { Scenario } from '../../model/scenario.js';
import type { EventRow, FeedbackRow, RunRow } from '../../model/types.js';
import { AppNode } from '../../nodes/node.js';
import { appSeed, createRng } from '../../util/rng.js';
import { seedModelVectors, startInfra } from './fixtures.js';
import { VirtualClock } from './virtual-clock.js';

export interface SimResult {
  events: EventRow[];
  runs: RunRow[];
  feedback: FeedbackRow[];
  counters: Record<string, number>;
  /** fake time at which the convergence window was reached, if it was */
  convergedAtMs?: number;
  endMs: number;
  /** warnings and errors the loops logged */
  problems: string[];
  finalRefs: Map<number, number>;
}

export async function simulate(s: Scenario, maxFakeMs: number): Promise<SimResult> {
  const infra = await startInfra(s);
  try {
    await seedModelVectors(infra.store, s);
    const problems: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        problems.push(String(chunk));
        cb();
      },
    });
    const log = pino({ level: 'warn' }, sink);
    const stop = new AbortController();
    let convergedAtMs: number | undefined;
    const clock: VirtualClock = new VirtualClock(0, s.apps.length, async (next) => {
      if (stop.signal.aborted) return;
      if ((await readConvergence(infra.store, s.convergence.windowRuns)).converged) {
        convergedAtMs = clock.now();
        stop.abort();
      } else if (next > maxFakeMs) stop.abort();
    });
    const nodes = await Promise.all(
      s.apps.map(
        async (app) =>
          new AppNode({
            store: infra.store,
            objects: infra.objects,
            latency: infra.latency, session: infra.session,
            clock,
            rng: createRng(appSeed(s.seed, app.id)),
            scenario: s,
            appId: app.id,
            runJob: await infra.jobFor(app.id),
            signal: stop.signal,
            log,
          }),
      ),
    );
    await Promise.all(
      nodes.map(async (n) => {
        try {
          await n.run();
        } finally {
          clock.leave();
        }
      }),
    );
    const apps = await infra.store.listApps();
    return {
      events: await infra.store.listEvents(),
      runs: await infra.store.listRuns(),
      feedback: await infra.store.listFeedback(),
      counters: await infra.store.getCounters(),
      convergedAtMs,
      endMs: clock.now(),
      problems,
      finalRefs: new Map(apps.map((a) => [a.id, (a.datasetId ?? 0) as number])),
    };
  } finally {
    await infra.close();
  }
}
