import type { Command } from 'commander';
import type { CompareFlags, SweepFlags } from '../actions/compare.js';
import { choiceOption, DEFAULT_SCENARIO, intOption } from './options.js';

const ENGINE_HELP = 'emu: each run a `fogsim run` on real parts (the default); sim: the virtual-time engine (sim/engine.ts), in worker threads, no training';
const DURATION_HELP = 'longest each run may take: whole seconds of real time for emu; virtual time for sim (90, 90s, 10m, 1h)';
const engineOption = choiceOption(['sim', 'emu'] as const);

const collect = (v: string, prev: string[]) => [...prev, v];

export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description('strategies (or engines) side by side: every strategy x engine x seed as its own run (emu: a `fogsim run`, own stack, vectors trained once; sim: the virtual-time engine in a worker thread), in parallel, resumable; writes results.csv, summary.csv and report.html')
    .option('--scenario <file>', 'scenario YAML file', DEFAULT_SCENARIO)
    .option('--strategies <list>', "comma-separated strategies: built-ins (original, no-feedback, no-counters, random, greedy-latency, static) or .js/.mjs modules (default: the scenario's)")
    .option('--strategy <name|path>', 'one strategy for every app (to compare engines with it)')
    .option('--engine <engine>', `the engine of every run: ${ENGINE_HELP}`, engineOption)
    .option('--engines <list>', 'engines side by side, e.g. sim,emu: the summary tells how often they agree (first action, converged)')
    .requiredOption('--seeds <list>', 'seeds, as ranges and lists: 1..10, 1,2,5, 1..3,7')
    .requiredOption('--duration <time>', DURATION_HELP)
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
    .requiredOption('--duration <time>', DURATION_HELP)
    .option('--engine <engine>', `the engine of every run: ${ENGINE_HELP}`, engineOption)
    .requiredOption('--out <dir>', 'folder of the sweep (a second run of the same command resumes it)')
    .option('--strategy <name|path>', "every app's strategy in every cell (default: the scenario's)")
    .option('--parallel <k>', 'runs at a time (default: the number of cores)', intOption(1, 256))
    .option('--retry-failed', 'run again the runs that failed on their input before (kept failed otherwise: they would fail the same way)')
    .option('--keep-data', "keep each finished run's data folder (its store and object store) under <out>/cells/<cell>/<seed>/data")
    .action(async (flags: SweepFlags) => (await import('../actions/compare.js')).sweep(flags));
}
