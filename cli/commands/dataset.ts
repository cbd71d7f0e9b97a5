import type { Command } from 'commander';
import type { GenerateFlags } from '../actions/dataset.js';

export function registerDataset(program: Command): void {
  const dataset = program.command('dataset').description('blood-test data sets');
  dataset
    .command('generate')
    .description('write a seeded blood-test data set (the schema and layout of the original); same seed, same bytes')
    .requiredOption('--records <n>', 'number of records (positive integer)')
    .requiredOption('--out <file>', 'output JSON file')
    .option('--seed <s>', 'seed (integer 0..4294967295)', '1')
    .action(async (flags: GenerateFlags) => (await import('../actions/dataset.js')).generate(flags));
}
