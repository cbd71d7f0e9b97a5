import { readInfraConfig } from '../../util/config.js';
import { createLogger } from '../../util/logger.js';
import { runExperiment } from '../../controller/experiment/experiment.js';
import { formatStory } from '../../controller/experiment/story.js';
import { acquireLock } from '../../controller/lock.js';

export interface RunOptions {
  scenario: string;
  duration: number;
  report: string;
  train: boolean;
  freshVectors?: boolean;
  seed?: number;
  strategy?: string;
}

export async function run(opts: RunOptions): Promise<void> {
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
      strategy: opts.strategy,
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
}
