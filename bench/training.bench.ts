import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenario } from '../model/scenario.js';
import { readInfraConfig } from '../util/config.js';
import { trainScenario, type TrainResult } from '../training/train.js';
import { trainingInfraFrom } from '../training/infra.js';
import { withInfra } from '../infra/infra.js';
import { ensureDatasetFile } from '../dataset/generate.js';
import type { BenchResult } from './types.js';

/*
 * Offline training of the default scenario (scenarios/thesis.yaml), N = 5, as `fogsim train`
 * runs it: embedded S3 + embedded proxy + SQLite started and stopped inside the timed section,
 * training copies uploaded, every pair measured. Baseline: the same training with concurrency 1
 * (apps one after the other), run right after in the same process, in its own fresh folder.
 * Target (issue 5): <= 120 s wall for the concurrent run on this 2-core machine.
 */
async function timed(concurrency: number, datasetFile: string): Promise<{ ms: number; r: TrainResult }> {
  const dir = mkdtempSync(join(tmpdir(), 'fogsim-bench-train-'));
  try {
    const scenario = loadScenario('scenarios/thesis.yaml');
    const config = readInfraConfig({ FOGSIM_DATA_DIR: dir });
    const t0 = performance.now();
    const r = await withInfra(config, { proxyPort: 0 }, async (infra) =>
      trainScenario({ scenario, iterations: 5, concurrency, outDir: join(dir, 'out'), infra: await trainingInfraFrom(infra, scenario, datasetFile) }),
    );
    const ms = performance.now() - t0;
    if (r.interrupted || r.pairsTrained !== 18) throw new Error(`training did not finish: ${r.pairsTrained} of 18 pairs`);
    return { ms, r };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchTraining(): Promise<BenchResult[]> {
  const datasetDir = mkdtempSync(join(tmpdir(), 'fogsim-bench-data-'));
  try {
    const scenario = loadScenario('scenarios/thesis.yaml');
    const apps = scenario.apps.length;
    // the generated data set (scenario size) is shared by both sides: generating it is not training
    const datasetFile = await ensureDatasetFile(scenario, { dataDir: datasetDir });
    const conc = await timed(apps, datasetFile);
    const serial = await timed(1, datasetFile);
    const rt = (r: TrainResult) => r.apps.map((a) => `app ${a.appId}: ${Object.entries(a.meanRtMs).map(([n, v]) => `${n}=${v.toFixed(0)}`).join('/')}`).join('; ');
    return [
      {
        name: `train thesis.yaml N=5, concurrency ${apps}`,
        value: conc.ms / 1000,
        unit: 's',
        baseline: serial.ms / 1000,
        ratio: serial.ms / conc.ms,
        target: '<= 120 s',
        note: `baseline: concurrency 1; ${conc.r.measurements} job runs, 18 pairs; mean RT ms by data node: ${rt(conc.r)}`,
      },
      { name: 'train: job runs per second (concurrent)', value: conc.r.measurements / (conc.ms / 1000), unit: 'runs/s', baseline: serial.r.measurements / (serial.ms / 1000), ratio: serial.ms / conc.ms },
    ];
  } finally {
    rmSync(datasetDir, { recursive: true, force: true });
  }
}
