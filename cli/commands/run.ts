import type { Command } from 'commander';
import type { RunOptions } from '../actions/run.js';
import { DEFAULT_SCENARIO, embeddedPortOptions, intOption } from './options.js';

export function registerRun(program: Command): void {
  const cmd = program
    .command('run')
    .description('a bounded experiment: runs until convergence or the duration, then writes a JSON report and the runs as CSV')
    .option('--scenario <file>', 'scenario YAML file', DEFAULT_SCENARIO)
    .requiredOption('--duration <seconds>', 'longest the experiment may run', intOption(1, 86_400))
    .requiredOption('--report <file>', 'JSON report to write (the runs go to <file>.runs.csv, its page to <file>.html)')
    .option('--no-train', 'refuse instead of training when impact vectors are missing')
    .option('--seed <n>', "the scenario's seed instead of the file's (one seed repeats a run)", intOption(-2_147_483_648, 2_147_483_647))
    .option('--strategy <name|path>', "every app's strategy instead of the scenario's: a built-in (original, no-feedback, no-counters, random, greedy-latency, static) or a .js/.mjs module (docs/strategies.md)")
    .option('--set <path=value>', 'override a scenario field before validation, e.g. decision.epsilon=0 or apps[0].goal.all[0].max=600 (repeatable)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--fresh-vectors', 'start from the trained impact vectors alone, not from those learned in earlier runs');
  embeddedPortOptions(cmd).action(async (opts: RunOptions) => (await import('../actions/run.js')).run(opts));
}
