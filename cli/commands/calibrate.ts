import type { Command } from 'commander';
import type { CalibrateFlags } from '../actions/calibrate.js';

export function registerCalibrate(program: Command): void {
  program
    .command('calibrate')
    .description('fit the data-path model of fogsim simulate (sim/data-path.ts) from real runs of the job through the proxy; writes it as JSON for a scenario\'s sim.model or simulate --model')
    .requiredOption('--out <file>', 'where to write the model (JSON)')
    .option('--latencies <ms,...>', 'latencies to set on the proxy, ms (at least two)', '0,20,100,400')
    .option('--records <n,...>', 'sizes of the generated data sets, records (at least two)', '2000,20000,60000')
    .option('--range-bytes <n>', "the job's range size, bytes; 0: one GET (default: the scenario default of job.rangeBytes)")
    .option('--runs <n>', 'runs per size and latency', '5')
    .option('--seed <n>', 'seed of the generated data sets', '1')
    .action(async (flags: CalibrateFlags) => (await import('../actions/calibrate.js')).calibrateCommand(flags));
}
