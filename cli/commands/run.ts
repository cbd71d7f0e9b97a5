import type { Command } from 'commander';

// PLACEHOLDER: replaced by the part that owns this command.
export function registerRun(program: Command): void {
  program.command('run').description('(not built yet)').allowUnknownOption().action(() => {
    throw new Error('fogsim run is not built yet');
  });
}
