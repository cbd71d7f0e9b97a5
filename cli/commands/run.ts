import type { Command } from 'commander';
import { readInfraConfig } from '../../util/config.js';
import { createLogger } from '../../util/logger.js';
import { runExperiment } from '../../controller/experiment/experiment.js';
import { formatStory } from '../../controller/experiment/story.js';
import { acquireLock } from '../../controller/lock.js';
import { DEFAULT_SCENARIO, intOption } from './options.js';

interface RunOptions {
  scenario: string;
  duration: number;
  report: string;
  train: boolean;
  freshVectors?: boolean;
  seed?: number;
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('a bounded experiment: runs until convergence or the duration, then writes a JSON report and the runs as CSV')
    .option('--scenario <file>', 'scenario YAML file', DEFAULT_SCENARIO)
    .requiredOption('--duration <seconds>', 'longest the experiment may run', intOption(1, 86_400))
    .requiredOption('--report <file>', 'JSON report to write (the runs go to <file>.runs.csv)')
    .option('--no-train', 'refuse instead of training when impact vectors are missing')
    .option('--seed <n>', "the scenario's seed instead of the file's (one seed repeats a run)", intOption(-2_147_483_648, 2_147_483_647))
    .option('--fresh-vectors', 'start from the trained impact vectors alone, not from those learned in earlier runs')
    .action(async (opts: RunOptions) => {
      const cfg = readInfraConfig();
      const release = acquireLock(cfg.dataDir, 'run');
      const abort = new AbortController();
      const onSignal = () => abort.abort();
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      const log = (line: string) => console.error(`fogsim: ${line}`);
      try {
        const { report, reportFile, csvFile } = await runExperiment({
          scenarioFile: opts.scenario,
          cfg,
          durationS: opts.duration,
          reportFile: opts.report,
          train: opts.train,
          freshVectors: opts.freshVectors,
          seed: opts.seed,
          log,
          logger: createLogger('controller'),
          signal: abort.signal,
        });
        console.log(formatStory(report.story));
        console.log(`${report.converged ? `converged in ${report.convergedAtS} s` : `not converged in ${report.durationS} s`}; ${report.runs} runs; ${report.events.length} action(s)`);
        console.log(`report: ${reportFile}`);
        console.log(`runs:   ${csvFile}`);
      } finally {
        release();
      }
    });
}
