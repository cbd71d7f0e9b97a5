import type { Command } from 'commander';
import type { CompareFlags, SweepFlags } from '../actions/compare.js';
import { DEFAULT_SCENARIO, intOption } from './options.js';

const collect = (v: string, prev: string[]) => [...prev, v];

export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description('strategies side by side: every strategy x seed as its own `fogsim run` (own stack, vectors trained once), in parallel, resumable; writes results.csv, summary.csv and report.html')
    .option('--scenario <file>', 'scenario YAML file', DEFAULT_SCENARIO)
    .requiredOption('--strategies <list>', 'comma-separated strategies: built-ins (original, no-feedback, no-counters, random, greedy-latency, static) or .js/.mjs modules')
    .requiredOption('--seeds <list>', 'seeds, as ranges and lists: 1..10, 1,2,5, 1..3,7')
    .requiredOption('--duration <seconds>', 'longest each run may take', intOption(1, 86_400))
    .requiredOption('--out <dir>', 'folder of the comparison (a second run of the same command resumes it)')
    .option('--parallel <k>', 'runs at a time (default: the number of cores)', intOption(1, 256))
    .option('--retry-failed', 'run again the runs that failed on their input before (kept failed otherwise: they would fail the same way)')
    .option('--keep-data', "keep each finished run's data folder (its store and object store) under <out>/cells/<cell>/<seed>/data")
    .action(async (flags: CompareFlags) => (await import('../actions/compare.js')).compare(flags));
}

export function registerSweep(program: Command): void {
  program
    .command('sweep')
    .description('a parameter sweep: every point of the grids\' full cartesian product x seed as its own `fogsim run --set ...`, in parallel, resumable; writes results.csv, summary.csv and report.html')
    .option('--scenario <file>', 'scenario YAML file', DEFAULT_SCENARIO)
    .option('--grid <path=values>', 'a scenario field and its values, e.g. decision.epsilon=0,0.1,0.3 (repeat for more fields: every combination runs)', collect, [] as string[])
    .requiredOption('--seeds <list>', 'seeds, as ranges and lists: 1..10, 1,2,5, 1..3,7')
    .requiredOption('--duration <seconds>', 'longest each run may take', intOption(1, 86_400))
    .requiredOption('--out <dir>', 'folder of the sweep (a second run of the same command resumes it)')
    .option('--strategy <name|path>', "every app's strategy in every cell (default: the scenario's)")
    .option('--parallel <k>', 'runs at a time (default: the number of cores)', intOption(1, 256))
    .option('--retry-failed', 'run again the runs that failed on their input before (kept failed otherwise: they would fail the same way)')
    .option('--keep-data', "keep each finished run's data folder (its store and object store) under <out>/cells/<cell>/<seed>/data")
    .action(async (flags: SweepFlags) => (await import('../actions/compare.js')).sweep(flags));
}
