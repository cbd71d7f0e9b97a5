import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { InfraConfig } from '../../util/config.js';
import { startSession, type SessionOptions } from '../session.js';
import { vectorsDirFor } from '../../training/dirs.js';
import { readConvergence } from './convergence.js';
import { buildReport, runsToCsv, type ExperimentReport } from './report.js';

export interface ExperimentOptions extends Omit<SessionOptions, 'cfg'> {
  cfg: InfraConfig;
  durationS: number;
  reportFile: string;
  /** how often convergence is checked */
  pollMs?: number;
}

export interface ExperimentResult {
  report: ExperimentReport;
  reportFile: string;
  csvFile: string;
}

/**
 * A bounded experiment: a fresh embedded store and object store under <dataDir>/runs/<stamp>
 * (so app 1 starts violated every time and one seed repeats a run), the impact vectors of earlier
 * trainings reused, the nodes run until convergence or the duration, then the JSON report and the
 * runs as CSV beside it.
 */
export async function runExperiment(o: ExperimentOptions): Promise<ExperimentResult> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const runDir = join(o.cfg.dataDir, 'runs', stamp);
  const cfg: InfraConfig = { ...o.cfg, dataDir: runDir, sqlitePath: join(runDir, 'fogsim.db') };
  const session = await startSession({ ...o, cfg, vectorsDir: o.vectorsDir ?? vectorsDirFor(o.cfg.dataDir, await scenarioName(o.scenarioFile)) });
  const { store } = session.infra;
  const windowRuns = session.scenario.convergence.windowRuns;
  const startedAtMs = session.startedAtMs;
  const deadline = startedAtMs + o.durationS * 1000;
  let convergedAtMs: number | null = null;
  try {
    while (Date.now() < deadline && !o.signal?.aborted) {
      await sleep(Math.min(o.pollMs ?? 500, Math.max(0, deadline - Date.now())), o.signal);
      if ((await readConvergence(store, windowRuns)).converged) {
        convergedAtMs = Date.now();
        o.log(`converged after ${((convergedAtMs - startedAtMs) / 1000).toFixed(1)} s`);
        break;
      }
    }
    if (convergedAtMs === null) o.log(o.signal?.aborted ? 'stopped before convergence' : `not converged within ${o.durationS} s`);
    await session.runtime?.stopAll();
    // what the nodes learned online outlives this run's store: the next run starts from it
    await session.saveLearnedVectors();
    // a node may have been mid-cycle when the verdict was taken: the report holds the verdict on
    // the store as the stopped nodes left it
    if (convergedAtMs !== null && !(await readConvergence(store, windowRuns)).converged) {
      o.log('a node acted after convergence was first seen: not converged');
      convergedAtMs = null;
    }
    const endedAtMs = Date.now();
    const report = await buildReport(store, session.scenario, { startedAtMs, endedAtMs, convergedAtMs });
    const reportFile = resolve(o.reportFile);
    const csvFile = reportFile.replace(/\.json$/i, '') + '.runs.csv';
    mkdirSync(dirname(reportFile), { recursive: true });
    writeFileSync(reportFile, JSON.stringify(report, null, 2) + '\n');
    writeFileSync(csvFile, runsToCsv(await store.listRuns({ limit: 1_000_000 }).then((rs) => rs.filter((r) => r.startedAtMs >= startedAtMs).sort((a, b) => a.id - b.id))));
    return { report, reportFile, csvFile };
  } finally {
    await session.close();
  }
}

async function scenarioName(file: string): Promise<string> {
  const { loadScenario } = await import('../../model/scenario.js');
  return loadScenario(file).name;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((r) => {
    // the listener goes with the timer, or every poll would leave one behind on the signal
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      r();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
