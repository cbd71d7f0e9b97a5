import type { Command } from 'commander';

// PLACEHOLDER: replaced by the part that owns this command.
export function registerUp(program: Command): void {
  program.command('up').description('(not built yet)').allowUnknownOption().action(() => {
    throw new Error('fogsim up is not built yet');
  });
}
