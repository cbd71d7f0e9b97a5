import type { Command } from 'commander';
import type { SimulateFlags } from '../actions/simulate.js';

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description('run a scenario in virtual time (sim/engine.ts): the same decision core, job times from the data-path model; writes the report of fogsim run, its runs as CSV and its page')
    .requiredOption('--scenario <file>', 'scenario YAML file')
    .option('--duration <time>', 'virtual time to run: 90, 90s, 10m or 1h', '300s')
    .requiredOption('--report <file>', 'where to write the JSON report (the runs CSV and the HTML page beside it)')
    .option('--seed <n>', "seed (overrides the scenario's)")
    .option('--strategy <name|path>', "every app's strategy (overrides the scenario's)")
    .option('--model <file>', "data-path model (JSON, written by fogsim calibrate) to time jobs with (overrides the scenario's sim.model)")
    .option('--no-stop', 'run to the end of the duration instead of stopping at convergence')
    .action(async (flags: SimulateFlags) => (await import('../actions/simulate.js')).simulateCommand(flags));
}
