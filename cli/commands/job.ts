import type { Command } from 'commander';

// PLACEHOLDER: replaced by the part that owns this command.
export function registerJob(program: Command): void {
  program.command('job').description('(not built yet)').allowUnknownOption().action(() => {
    throw new Error('fogsim job is not built yet');
  });
}
