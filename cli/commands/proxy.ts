import type { Command } from 'commander';

// PLACEHOLDER: replaced by the part that owns this command.
export function registerProxy(program: Command): void {
  program.command('proxy').description('(not built yet)').allowUnknownOption().action(() => {
    throw new Error('fogsim proxy is not built yet');
  });
}
