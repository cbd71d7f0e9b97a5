/**
 * A stream app end to end on the embedded bus (issue 19 items 3-5), fast: windows of 0.5 s.
 * One worker serves ~300 records/s (costMs 3.33); the input steps from 200/s to 650/s at 2 s,
 * so the latency goal breaks, the rule scales once to ceil(input rate / throughput per worker)
 * as measured in the window it acted on, and the goal holds again. Then every message the bus
 * acknowledged was consumed.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { datasetText } from '../../dataset/generate.js';
import { parseScenario } from '../../model/scenario.js';
import { UserError } from '../../model/errors.js';
import { EmbeddedBus } from '../../stream/embedded-bus.js';
import { startStreams } from '../../stream/app/run.js';
import { startWorkload } from '../../stream/workload/producer.js';
import { bloodtestsSource } from '../../stream/workload/sources.js';
import { StreamApp } from '../../stream/app/app.js';

const dir = mkdtempSync(join(tmpdir(), 'fogsim-stream-'));
const datasetFile = join(dir, 'bloodtests.json');
writeFileSync(datasetFile, [...datasetText(300, 7)].join(''));

const base = {
  nodes: [{ id: 1, availability: 99 }],
  dataset: { node: 1, records: 300 },
  timing: { feedbackWindowMs: 2000 },
  convergence: { windowRuns: 3 },
};
const streamApp = {
  kind: 'stream',
  id: 1,
  topic: 'tests',
  windowS: 0.5,
  workers: 1,
  maxWorkers: 6,
  costMs: 3.33,
  goal: { metric: 'latency', max: 1200 },
  scale: { rule: 'autoscaler', violationsInARow: 3 },
};
const workload = { id: 'w', topic: 'tests', partitions: 12, source: { kind: 'bloodtests' }, rate: 200, batch: 20, rateSteps: [{ at: 2, rate: 650 }] };

const buses: EmbeddedBus[] = [];
afterAll(async () => {
  for (const b of buses) await b.close();
});

describe('stream app on the embedded bus', () => {
  it('is violated after the rate step, scales once to the n the rule computes from the measured rates, recovers, and loses nothing acknowledged', async () => {
    const s = parseScenario({ ...base, apps: [streamApp], workloads: [workload] });
    const bus = new EmbeddedBus();
    buses.push(bus);
    const run = await startStreams({ bus, scenario: s, datasetFile });
    await new Promise((r) => setTimeout(r, 11_000));
    const report = await run.stop(10_000);
    expect(run.errors).toEqual([]);
    const app = report.apps[0];
    const windows = app.windows;
    // met at 200/s
    expect(windows.slice(0, 3).every((w) => w.goalMet)).toBe(true);
    // exactly one scale action, after violationsInARow (3) violated windows in a row
    expect(app.actions).toHaveLength(1);
    const act = app.actions[0];
    const w = windows[act.window];
    expect(w.violationsInARow).toBe(3);
    expect(windows.slice(act.window - 2, act.window + 1).every((x) => !x.goalMet)).toBe(true);
    // n as the rule computes it from that window's measured rates (inputs and formula in the report)
    expect(act.to).toBe(Math.ceil(act.inputs.inputRate / act.inputs.throughputPerWorker));
    expect(act.label).toBe(`S${act.to}`);
    expect(act.arithmetic).toContain(`= ${act.to}`);
    // 650/s on workers of ~300/s: the measured rates give 3
    expect(act.to).toBe(3);
    // recovery: after the action the goal holds again, and holds to the end
    const firstMet = windows.findIndex((x, i) => i > act.window && x.goalMet);
    expect(firstMet).toBeGreaterThan(act.window);
    expect(windows.slice(firstMet).every((x) => x.goalMet && x.workers === 3)).toBe(true);
    expect(app.converged).toBe(true);
    // no acknowledged message lost: produced-and-acked = consumed, nothing left uncommitted
    expect(app.lagAtEnd).toBe(0);
    expect(app.consumed).toBe(report.workloads[0].acked);
    expect(report.workloads[0].acked).toBeGreaterThan(4000);
  }, 40_000);

  it('a topic that does not exist: a clear error at start, from the app and from a producer, never a hang', async () => {
    const bus = new EmbeddedBus();
    buses.push(bus);
    const s = parseScenario({ ...base, apps: [streamApp], workloads: [workload] });
    const app = new StreamApp({ bus, spec: s.streamApps[0], timing: s.timing, decision: s.decision });
    await expect(app.start()).rejects.toThrow(/topic tests does not exist/);
    const w = startWorkload(bus, s.workloads[0], bloodtestsSource([{ gender: 'F', cholesterol: 180 }], undefined));
    await expect(w.done).rejects.toThrow(/workload w \(topic tests\) stopped: topic tests does not exist on the embedded bus: create it first/);
    expect(w.stats.error).toMatch(/does not exist/);
  });

  it('keeps the latest windows only (a long fogsim up): the oldest go, the count goes on', async () => {
    const bus = new EmbeddedBus();
    buses.push(bus);
    await bus.createTopic('tests', 2);
    const s = parseScenario({ ...base, apps: [{ ...streamApp, windowS: 0.1 }], workloads: [workload] });
    const app = new StreamApp({ bus, spec: s.streamApps[0], timing: s.timing, decision: s.decision, keepWindows: 3 });
    await app.start();
    try {
      await expect.poll(() => app.windowCount, { timeout: 10_000 }).toBeGreaterThanOrEqual(6);
    } finally {
      await app.stop();
    }
    expect(app.windows).toHaveLength(3);
    // the kept ones are the latest, in order
    expect(app.windows.map((w) => w.index)).toEqual([app.windowCount - 3, app.windowCount - 2, app.windowCount - 1]);
  });

  it('a producer whose bus went away stops with its error (not a hang)', async () => {
    const bus = new EmbeddedBus();
    await bus.createTopic('gone', 2);
    const w = startWorkload(bus, { ...parseScenario({ ...base, apps: [streamApp], workloads: [workload] }).workloads[0], topic: 'gone' }, bloodtestsSource([{ gender: 'M', cholesterol: 200 }], undefined));
    await new Promise((r) => setTimeout(r, 100));
    await bus.close();
    await expect(w.done).rejects.toThrow(/the embedded message bus is closed/);
  });

  it('the scenario: a stream app without a producer of its topic, or with more workers than partitions, is refused with the field and the fix', () => {
    const bad = () => parseScenario({ ...base, apps: [{ ...streamApp, topic: 'other' }, { ...streamApp, id: 2, maxWorkers: 20 }], workloads: [workload] });
    expect(bad).toThrow(UserError);
    expect(bad).toThrow(/apps\[0\]\.topic: no workload produces topic "other"; add a workloads entry with topic: other/);
    expect(bad).toThrow(/apps\[1\]\.maxWorkers: 20 workers but topic tests has 12 partitions/);
    expect(() => parseScenario({ ...base, apps: [{ ...streamApp, goal: { metric: 'responseTime', max: 1 } }], workloads: [workload] })).toThrow(/apps\[0\]\.goal\.metric: unknown metric "responseTime"; expected one of latency, latencyP50, throughput, lag/);
    expect(() => parseScenario({ ...base, apps: [{ ...streamApp, costMs: undefined }], workloads: [workload] })).toThrow(/apps\[0\]\.costMs: required/);
    expect(() => parseScenario({ ...base, apps: [{ ...streamApp, kind: 'stram' }], workloads: [workload] })).toThrow(/apps\[0\]\.kind: unknown kind "stram"; expected one of batch, stream/);
  });
});
