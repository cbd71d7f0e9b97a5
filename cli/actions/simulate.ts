import { loadDataPathModel, loadScenario } from '../../model/scenario.js';
import { UserError } from '../../model/errors.js';
import { loadAppStrategy } from '../../decision/strategies/load.js';
import { simulate } from '../../sim/engine.js';
import { writeRunOutputs } from '../../controller/experiment/experiment.js';
import { formatStory } from '../../controller/experiment/story.js';

export interface SimulateFlags {
  scenario: string;
  duration: string;
  report: string;
  seed?: string;
  strategy?: string;
  model?: string;
  stop: boolean;
}

/** `90`, `90s`, `10m`, `1h` (also decimals) as seconds; a clear error naming --duration otherwise. */
export function parseDurationS(text: string, flag = '--duration'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(s|m|h)?\s*$/i.exec(text);
  const n = m ? Number(m[1]) * ({ s: 1, m: 60, h: 3600 } as const)[(m[2]?.toLowerCase() ?? 's') as 's' | 'm' | 'h'] : NaN;
  if (!(n > 0 && n <= 30 * 86_400)) throw new UserError(`${flag}: expected a duration such as 90, 90s, 10m or 1h (at most 30 days), got ${JSON.stringify(text)}`);
  return n;
}

function parseSeed(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || Math.abs(n) > 2_147_483_647) throw new UserError(`--seed: expected an integer, got ${JSON.stringify(text)}`);
  return n;
}

export async function simulateCommand(flags: SimulateFlags): Promise<void> {
  const durationS = parseDurationS(flags.duration);
  const seed = parseSeed(flags.seed);
  const base = loadScenario(flags.scenario);
  const scenario = seed === undefined ? base : { ...base, seed };
  // --model over the scenario's sim.model (the engine falls back to that, then to the built-in model)
  const model = flags.model === undefined ? undefined : loadDataPathModel(flags.model, '--model');
  const strategies = new Map(await Promise.all(scenario.apps.map(async (a) => [a.id, await loadAppStrategy(scenario, a.id, flags.strategy)] as const)));
  const started = performance.now();
  const { report, runs, stats } = simulate(scenario, { durationS, model, strategies, strategy: flags.strategy, stopAtConvergence: flags.stop });
  const wallS = (performance.now() - started) / 1000;
  const out = writeRunOutputs(flags.report, report, runs);
  if (report.story.steps.length <= 50) console.log(formatStory(report.story));
  console.log(`${report.converged ? `converged in ${report.convergedAtS} s` : `not converged in ${report.durationS} s`} of virtual time; ${report.runs} runs; ${report.events.length} action(s); ${stats.cycles} cycles in ${wallS.toFixed(2)} s`);
  console.log(`data-path model: ${flags.model ?? scenario.sim.model ?? 'built in (sim/data-path.ts)'}`);
  console.log(`report: ${out.reportFile}`);
  console.log(`runs:   ${out.csvFile}`);
  console.log(`page:   ${out.htmlFile}`);
}
