import { readInfraConfig } from '../../util/config.js';
import { createLogger } from '../../util/logger.js';
import { runExperiment } from '../../controller/experiment/experiment.js';
import { formatStory, formatStreamLines } from '../../controller/experiment/story.js';
import { acquireLock } from '../../controller/lock.js';
import { sourceNodeEntry } from '../../controller/runtime/process-runtime.js';

export interface RunOptions {
  scenario: string;
  duration: number;
  report: string;
  train: boolean;
  freshVectors?: boolean;
  seed?: number;
  strategy?: string;
  proxyPort?: number;
  s3Port?: number;
  /** scenario overrides, path=value (repeatable) */
  set?: string[];
}

export async function run(opts: RunOptions): Promise<void> {
  // the overrides are checked before the data folder is claimed
  const sets = opts.set?.length ? await import('../../model/scenario-set.js').then(({ parseSet }) => opts.set!.map((t) => parseSet(t))) : undefined;
  if (sets) (await import('../../model/scenario-set.js')).loadScenarioWithSets(opts.scenario, sets);
  const cfg = readInfraConfig();
  const release = acquireLock(cfg.dataDir, 'run');
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const log = (line: string) => console.error(`fogsim: ${line}`);
  try {
    const { report, reportFile, csvFile, htmlFile } = await runExperiment({
      scenarioFile: opts.scenario,
      cfg,
      durationS: opts.duration,
      reportFile: opts.report,
      train: opts.train,
      freshVectors: opts.freshVectors,
      seed: opts.seed,
      strategy: opts.strategy,
      infraOptions: { proxyPort: opts.proxyPort, s3Port: opts.s3Port },
      log,
      logger: createLogger('controller'),
      signal: abort.signal,
      sets,
      ...sourceNodeEntry(),
    });
    console.log(formatStory(report.story));
    for (const line of formatStreamLines(report.stream)) console.log(line);
    console.log(`${report.converged ? `converged in ${report.convergedAtS} s` : `not converged in ${report.durationS} s`}; ${report.runs} runs; ${report.events.length} action(s)`);
    console.log(`report: ${reportFile}`);
    console.log(`runs:   ${csvFile}`);
    console.log(`page:   ${htmlFile}`);
  } finally {
    release();
  }
}
