import { loadDataPathModel, loadScenario } from '../../model/scenario.js';
import { UserError } from '../../model/errors.js';
import { runSimulation } from '../../controller/experiment/simulation.js';
import { parseDurationS } from '../commands/options.js';
import { formatStory, formatStreamLines } from '../../controller/experiment/story.js';

export interface SimulateFlags {
  scenario: string;
  duration: string;
  report: string;
  seed?: string;
  strategy?: string;
  model?: string;
  stop: boolean;
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
  const out = await runSimulation({ scenario, durationS, model, reportFile: flags.report, strategy: flags.strategy, stop: flags.stop });
  const { report, stats, wallS } = out;
  if (report.story.steps.length <= 50) console.log(formatStory(report.story));
  for (const line of formatStreamLines(report.stream)) console.log(line);
  console.log(`${report.converged ? `converged in ${report.convergedAtS} s` : `not converged in ${report.durationS} s`} of virtual time; ${report.runs} runs; ${report.events.length} action(s); ${stats.cycles} cycles in ${wallS.toFixed(2)} s`);
  console.log(`data-path model: ${flags.model ?? scenario.sim.model ?? 'built in (sim/data-path.ts)'}`);
  console.log(`report: ${out.reportFile}`);
  console.log(`runs:   ${out.csvFile}`);
  console.log(`page:   ${out.htmlFile}`);
}
