import type { Command } from 'commander';

// PLACEHOLDER: replaced by the part that owns this command.
export function registerDataset(program: Command): void {
  program.command('dataset').description('(not built yet)').allowUnknownOption().action(() => {
    throw new Error('fogsim dataset is not built yet');
  });
}
