import type { Command } from 'commander';
import { loadScenario, summarizeScenario } from '../../model/scenario.js';

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('check a scenario file; prints a summary, or every problem with its path')
    .argument('<scenario>', 'scenario YAML file')
    .action((file: string) => {
      const s = loadScenario(file);
      console.log(`ok ${summarizeScenario(s)}`);
    });
}
