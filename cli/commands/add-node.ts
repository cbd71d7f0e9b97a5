import type { Command } from 'commander';

// PLACEHOLDER: replaced by the part that owns this command.
export function registerAddNode(program: Command): void {
  program.command('add-node').description('(not built yet)').allowUnknownOption().action(() => {
    throw new Error('fogsim add-node is not built yet');
  });
}
