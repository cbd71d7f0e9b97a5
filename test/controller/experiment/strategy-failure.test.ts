import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runExperiment } from '../../../controller/experiment/experiment.js';
import { StrategyError } from '../../../decision/strategies/types.js';
import { loadScenario } from '../../../model/scenario.js';
import { appDir, writeVectorFile } from '../../../training/files.js';
import { requiredLabels } from '../../../training/labels.js';
import { readInfraConfig } from '../../../util/config.js';

/*
 * `fogsim run` with a user strategy that throws: the node of the app that decides first exits
 * with the error, and runExperiment rejects with it (`strategy <name> of app <id>: ...`) after
 * writing the runs, the failing one with its error. Real node processes; the vectors are written
 * beforehand so nothing is trained.
 */
describe('fogsim run with a strategy that fails', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fogsim-strategy-run-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('rejects with the strategy error, naming the strategy and the app, and writes the runs', async () => {
    const scenarioFile = join(dir, 'thesis-fast.yaml');
    writeFileSync(scenarioFile, `${readFileSync('test/fixtures/thesis-fast.yaml', 'utf8')}\nstrategy: ./boom.mjs\n`);
    writeFileSync(join(dir, 'boom.mjs'), "export default function (input) { throw new Error(`no plan for data on node ${input.placement.dataNode}`); }\n");
    const scenario = loadScenario(scenarioFile);
    const vectorsDir = join(dir, 'vectors');
    for (const app of scenario.apps) {
      for (const label of requiredLabels(scenario)) {
        await writeVectorFile(appDir(vectorsDir, app.id), label, { responseTime: 0.5, executionTime: 0, throughput: 0, latency: 0.5, availability: 0.1, consistency: label.startsWith('C') && !label.startsWith('CR') ? -1 : 0 });
      }
    }
    const lines: string[] = [];
    const reportFile = join(dir, 'out', 'report.json');
    const cfg = { ...readInfraConfig({}), dataDir: join(dir, 'data'), sqlitePath: join(dir, 'data', 'fogsim.db') };
    const started = Date.now();
    const err = await runExperiment({
      scenarioFile,
      cfg,
      durationS: 60,
      pollMs: 200,
      reportFile,
      vectorsDir,
      train: false,
      freshVectors: true,
      log: (l) => lines.push(l),
      nodeEntry: 'nodes/main.ts',
      nodeExecArgv: ['--import', 'tsx'],
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StrategyError);
    const message = (err as StrategyError).message;
    // app 1 starts violated (its data 450 ms away on node 3): it decides first
    expect(message).toBe('strategy ./boom.mjs of app 1: threw no plan for data on node 3');
    expect(err).toMatchObject({ strategy: './boom.mjs', appId: 1 });
    expect(Date.now() - started).toBeLessThan(45_000); // it stopped there, not at the duration
    expect(lines).toContain(`node of app 1 exited (code 1); ${message}; not restarted`);
    expect(lines).toContain(`stopped: ${message}`);
    // the runs are written, the failing one with its error; no report: the run did not complete
    const csv = readFileSync(join(dir, 'out', 'report.runs.csv'), 'utf8');
    expect(csv).toContain(message);
    expect(existsSync(reportFile)).toBe(false);

    // --strategy (relative to the working folder) overrides the scenario's for every app; the nodes get it as FOGSIM_STRATEGY
    writeFileSync(scenarioFile, readFileSync('test/fixtures/thesis-fast.yaml', 'utf8'));
    const override = relative(process.cwd(), join(dir, 'boom.mjs'));
    const run = (strategy: string) =>
      runExperiment({ scenarioFile, cfg, durationS: 60, pollMs: 200, reportFile, vectorsDir, train: false, freshVectors: true, strategy, log: () => undefined, nodeEntry: 'nodes/main.ts', nodeExecArgv: ['--import', 'tsx'] });
    await expect(run(override)).rejects.toThrow(`strategy ${join(dir, 'boom.mjs')} of app 1: threw no plan for data on node 3`);
    // an unknown name fails before anything starts, listing the built-ins
    await expect(run('greedy')).rejects.toThrow(/^strategy greedy of app 1: --strategy \(FOGSIM_STRATEGY\): unknown strategy "greedy"; use a built-in \(original, no-feedback/);
  }, 120_000);
});
