import { parentPort } from 'node:worker_threads';
import { UserError } from '../../../model/errors.js';
import { loadScenarioWithSets } from '../../../model/scenario-set.js';
import { runSimulation } from '../simulation.js';
import { digestRun, writeRunDigest } from './outputs.js';
import type { SimTask, SimTaskResult } from './sim-pool.js';

/*
 * A worker thread of the pool in sim-pool.ts: runs one simulation at a time (the scenario with the
 * cell's sets and the run's seed), writes its outputs (controller/experiment/simulation.ts) and
 * the digest the comparison's outputs read (outputs.ts).
 * Every error goes back as the run's failure; input the user fixes (a UserError, StrategyError
 * among them) is marked so that the run is kept failed, as `fogsim run` exiting 1 is.
 */
const port = parentPort;
if (!port) throw new Error('sim-worker.ts runs as a worker thread (compare/sim-pool.ts)');

port.on('message', (t: SimTask) => {
  const reply = (r: SimTaskResult) => port.postMessage(r);
  (async () => {
    const { scenario } = loadScenarioWithSets(t.scenarioFile, t.sets);
    const r = await runSimulation({ scenario: { ...scenario, seed: t.seed }, durationS: t.durationS, reportFile: t.reportFile, strategy: t.strategy });
    // what the comparison's outputs take of this run, made here in parallel with the other runs
    writeRunDigest(r.reportFile, digestRun(r.report, r.runs));
    reply({ id: t.id, ok: true, wallS: r.wallS });
  })().catch((e: unknown) => {
    const err = e instanceof Error ? e : new Error(String(e));
    const details = err instanceof UserError && err.details.length ? ` ${err.details.join(' ')}` : '';
    reply({ id: t.id, ok: false, error: `${err.message}${details}`, input: err instanceof UserError });
  });
});
