import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { RunRow } from '../../model/types.js';
import { runsCsvChunks, type ExperimentReport } from './report.js';
import { runPageHtml } from './html/run-page.js';

/*
 * What a finished run leaves beside its report, whichever engine ran it (controller/experiment/
 * experiment.ts, sim/engine.ts through controller/experiment/simulation.ts). Apart from
 * experiment.ts so that a simulation (a worker thread of fogsim compare) loads no stack.
 */

export interface ExperimentResult {
  report: ExperimentReport;
  reportFile: string;
  csvFile: string;
  /** the run's page: loop metrics and the apps' metrics over time */
  htmlFile: string;
}

/** Writes a run's report, its runs as CSV and its page; whichever engine ran it (sim/engine.ts too). */
export function writeRunOutputs(file: string, report: ExperimentReport, runs: readonly RunRow[]): ExperimentResult {
  const reportFile = resolve(file);
  const base = reportFile.replace(/\.json$/i, '');
  const csvFile = base + '.runs.csv';
  const htmlFile = base + '.html';
  mkdirSync(dirname(reportFile), { recursive: true });
  // the page and the runs first: a report on disk means the run is complete (fogsim compare resumes on it)
  writeFileSync(htmlFile, runPageHtml(report, runs));
  const fd = openSync(csvFile, 'w');
  try {
    for (const chunk of runsCsvChunks(runs)) writeSync(fd, chunk);
  } finally {
    closeSync(fd);
  }
  writeFileSync(reportFile, JSON.stringify(report, null, 2) + '\n');
  return { report, reportFile, csvFile, htmlFile };
}

