import { writeOutputs, type OutputFiles } from './outputs.js';
import { runCells, type RunnerOptions, type RunnerResult } from './runner.js';

/*
 * `fogsim compare` and `fogsim sweep`: run every cell x seed (runner.ts), then write results.csv,
 * summary.csv and report.html from the runs' folders (outputs.ts). The outputs are written also
 * when runs failed or the comparison was interrupted, over what has finished so far.
 */

export interface ComparisonResult extends RunnerResult {
  files: OutputFiles;
}

export async function runComparison(o: RunnerOptions): Promise<ComparisonResult> {
  const r = await runCells(o);
  const { loadScenario } = await import('../../../model/scenario.js');
  const files = writeOutputs({
    kind: o.kind,
    outDir: o.outDir,
    scenario: loadScenario(o.scenarioFile).name,
    durationS: o.durationS,
    cells: o.cells,
    seeds: o.seeds,
    outcomes: r.runs.map((x) => ({ cell: x.cell, seed: x.seed, reportFile: x.reportFile, error: x.status === 'interrupted' ? 'interrupted before it finished' : x.error })),
  });
  return { ...r, files };
}
