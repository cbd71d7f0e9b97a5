/**
 * A stream app's strategy on the embedded bus, in process (windows of 0.5 s): `static` keeps the
 * workers while the goal is violated and the rule proposes an S{n}; a module that returns what is
 * not a candidate ends the app with one StrategyError. (Original's single S{n}, the rule's own
 * arithmetic, is test/stream/stream-app.test.ts.)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { datasetText } from '../../dataset/generate.js';
import { StrategyError } from '../../decision/strategies/types.js';
import { parseScenario } from '../../model/scenario.js';
import { EmbeddedBus } from '../../stream/embedded-bus.js';
import { startStreams } from '../../stream/app/run.js';

const dir = mkdtempSync(join(tmpdir(), 'fogsim-stream-strategy-'));
const datasetFile = join(dir, 'bloodtests.json');
writeFileSync(datasetFile, [...datasetText(300, 7)].join(''));
writeFileSync(join(dir, 'wild.mjs'), "export default (input) => (input.kind === 'stream' ? 'S99' : 'NA');\n");

const base = { nodes: [{ id: 1, availability: 99 }], dataset: { node: 1, records: 300 }, timing: { feedbackWindowMs: 2000 }, convergence: { windowRuns: 3 } };
const streamApp = { kind: 'stream', id: 1, topic: 'tests', windowS: 0.5, workers: 1, maxWorkers: 6, costMs: 3.33, goal: { metric: 'latency', max: 1200 }, scale: { rule: 'autoscaler', violationsInARow: 3 } };
const workload = { id: 'w', topic: 'tests', partitions: 12, source: { kind: 'bloodtests' }, rate: 200, batch: 20, rateSteps: [{ at: 1, rate: 650 }] };

const buses: EmbeddedBus[] = [];
afterAll(async () => {
  for (const b of buses) await b.close();
  rmSync(dir, { recursive: true, force: true });
});
const bus = () => {
  const b = new EmbeddedBus();
  buses.push(b);
  return b;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("a stream app's strategy", () => {
  it('static (--strategy): violated windows in a row, the rule proposes an S{n}, no action is taken', async () => {
    const s = parseScenario({ ...base, apps: [streamApp], workloads: [workload] }, join(dir, 's.yaml'));
    const run = await startStreams({ bus: bus(), scenario: s, datasetFile, strategy: 'static' });
    // until the rule's trigger fired and the strategy declined twice (or 20 s, whichever comes first)
    for (let t = 0; t < 80 && run.apps[0].windows.filter((w) => /^S\d+$/.test(w.proposed)).length < 2; t++) await sleep(250);
    const report = await run.stop(5_000);
    expect(run.errors).toEqual([]);
    const app = report.apps[0];
    expect(app.strategy).toBe('static');
    expect(app.actions).toEqual([]);
    expect(app.workers.final).toBe(1);
    const declined = app.windows.filter((w) => w.proposed !== 'NA');
    expect(declined.length).toBeGreaterThanOrEqual(2);
    for (const w of declined) {
      expect(w).toMatchObject({ goalMet: false, action: 'NA', workers: 1 });
      expect(w.violationsInARow).toBeGreaterThanOrEqual(3);
      expect(w.reason).toMatch(/^static chose NA; the rule proposed S\d+ \(violated \d+ windows in a row: autoscaler\)$/);
    }
    expect(app.windows.every((w) => w.action === 'NA')).toBe(true);
  }, 40_000);

  it('a module that returns what is not a candidate ends its app with one StrategyError', async () => {
    // violated from the first window (no throughput reaches the bound), the rule's trigger after one window
    const app = { ...streamApp, goal: { metric: 'throughput', min: 1_000_000 }, scale: { rule: 'autoscaler', violationsInARow: 1 }, strategy: './wild.mjs' };
    const s = parseScenario({ ...base, apps: [app], workloads: [workload] }, join(dir, 's.yaml'));
    const run = await startStreams({ bus: bus(), scenario: s, datasetFile });
    for (let t = 0; t < 80 && !run.strategyFailure; t++) await sleep(100);
    // the app ended: no window closes after the failing one
    const closed = run.apps[0].windows.length;
    await sleep(1_500);
    expect(run.apps[0].windows.length).toBe(closed);
    const report = await run.stop(2_000);
    expect(run.strategyFailure).toBeInstanceOf(StrategyError);
    expect(run.strategyFailure!.message).toBe('strategy ./wild.mjs of app 1 returned "S99", not a candidate: NA, S2, S3, S4, S5, S6');
    expect(run.errors).toEqual([`stream app 1: ${run.strategyFailure!.message}`]);
    expect(report.apps[0].actions).toEqual([]);
  }, 30_000);
});
