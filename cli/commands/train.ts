import type { Command } from 'commander';

// PLACEHOLDER: replaced by the part that owns this command.
export function registerTrain(program: Command): void {
  program.command('train').description('(not built yet)').allowUnknownOption().action(() => {
    throw new Error('fogsim train is not built yet');
  });
}
