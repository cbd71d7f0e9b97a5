import type { Command } from 'commander';

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('check a scenario file; prints a summary, or every problem with its path')
    .argument('<scenario>', 'scenario YAML file')
    .action(async (file: string) => (await import('../actions/validate.js')).validate(file));
}
