import { performance } from 'node:perf_hooks';
import type { Scenario } from '../../model/scenario.js';
import { loadAppStrategy } from '../../decision/strategies/load.js';
import { simulate, type SimResult } from '../../sim/engine.js';
import type { DataPathModel } from '../../sim/data-path.js';
import { writeRunOutputs, type ExperimentResult } from './run-outputs.js';

/*
 * One run of the virtual-time engine with its outputs on disk: each app's strategy loaded as a
 * node loads it (decision/strategies/load.ts), sim/engine.ts run in-process, the report, runs and
 * page written as `fogsim run` writes them (stream apps on the fluid model, sim/stream.ts).
 * `fogsim simulate` and the worker threads of `fogsim compare --engine sim`
 * (compare/sim-worker.ts) both run this. A strategy that fails to load or
 * throws is a StrategyError (input the user fixes).
 */

export interface SimulationRun {
  /** the scenario as it runs (its seed and sets applied) */
  scenario: Scenario;
  durationS: number;
  reportFile: string;
  /** every app's strategy instead of the scenario's (a name, or a path from the working folder) */
  strategy?: string;
  /** stop at convergence (default true) */
  stop?: boolean;
  /** the data-path model over the scenario's sim.model (fogsim simulate --model) */
  model?: DataPathModel;
}

export interface SimulationResult extends ExperimentResult {
  runs: SimResult['runs'];
  stats: SimResult['stats'];
  /** wall seconds of the engine alone */
  wallS: number;
}

export async function runSimulation(o: SimulationRun): Promise<SimulationResult> {
  const strategies = new Map(await Promise.all([...o.scenario.apps, ...o.scenario.streamApps].map(async (a) => [a.id, await loadAppStrategy(o.scenario, a.id, o.strategy)] as const)));
  const started = performance.now();
  const { report, runs, stats } = simulate(o.scenario, { durationS: o.durationS, model: o.model, strategies, strategy: o.strategy, stopAtConvergence: o.stop });
  const wallS = (performance.now() - started) / 1000;
  return { ...writeRunOutputs(o.reportFile, report, runs), runs, stats, wallS };
}
