import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { loadScenario, type Scenario } from '../../model/scenario.js';
import { simulate } from '../../sim/engine.js';
import { modelWindow, producedIn } from '../../sim/stream.js';
import { BUILTIN_STRATEGIES } from '../../decision/strategies/registry.js';
import { loopMetrics } from '../../controller/experiment/loop-metrics.js';
import { createRng } from '../../util/rng.js';

const scenario = loadScenario(fileURLToPath(new URL('../../scenarios/stream-scale.yaml', import.meta.url)));
const spec = scenario.streamApps[0]!;
const workload = scenario.workloads[0]!;
const path = { latencyMs: 0, availability: 99 };
const withStrategy = (name: 'original' | 'static') => new Map([...scenario.apps, ...scenario.streamApps].map((a) => [a.id, BUILTIN_STRATEGIES[name]]));

describe('fluid model of a stream app (sim/stream.ts)', () => {
  it('produces what the workload is due to send: 200 msgs/s, then 650 from 30 s', () => {
    expect(producedIn([workload], 0, 2)).toBe(400);
    expect(producedIn([workload], 30, 32)).toBe(1300);
    expect(producedIn([workload], 28, 30)).toBe(400);
    expect(producedIn([workload], -2, 0)).toBe(0);
  });

  it('capacity is workers x window / costMs (about 1 % noise); lag grows after the rate step and drains after S3', () => {
    const rng = createRng(7);
    const one = modelWindow(spec, { workers: 1, lag: 0 }, { index: 15, startS: 30, endS: 32, produced: 1300, path }, rng);
    // 2000 ms / 3.33 ms = 600.6 records per worker and window
    expect(one.capacity).toBeGreaterThan(580);
    expect(one.capacity).toBeLessThan(620);
    expect(one.processed).toBe(one.capacity);
    expect(one.lag).toBe(1300 - one.capacity);
    const next = modelWindow(spec, { workers: 1, lag: one.lag }, { index: 16, startS: 32, endS: 34, produced: 1300, path }, rng);
    expect(next.lag).toBeGreaterThan(one.lag);
    // the queue wait: the record served last was written lag / input rate s before the window closed
    expect(next.latencyP95).toBeGreaterThan(1900 + (1000 * next.lag) / 650 - 100);
    const three = modelWindow(spec, { workers: 3, lag: next.lag }, { index: 17, startS: 34, endS: 36, produced: 1300, path }, rng);
    expect(three.capacity).toBeGreaterThan(3 * 580);
    expect(three.lag).toBeLessThan(next.lag);
    expect(three.lag).toBe(next.lag + 1300 - three.processed);
    expect(three.busyMs).toBeCloseTo(three.processed * spec.costMs);
  });

  it('a window that processed nothing has no latency', () => {
    const idle = modelWindow(spec, { workers: 1, lag: 0 }, { index: 0, startS: 0, endS: 2, produced: 0, path }, createRng(1));
    expect(idle.processed).toBe(0);
    expect(Number.isNaN(idle.latencyP95)).toBe(true);
  });
});

describe('stream apps in virtual time (sim/engine.ts on stream-scale.yaml)', () => {
  it('original scales once to ceil(input / throughput per worker) = S3, and the run converges after it', () => {
    const { report, runs } = simulate(scenario, { durationS: 90, strategies: withStrategy('original') });
    const app = report.stream!.apps[0]!;
    expect(report.stream!.runtime).toBe('virtual');
    expect(app.actions.map((a) => a.label)).toEqual(['S3']);
    const s3 = app.actions[0]!;
    expect(s3.from).toBe(1);
    expect(s3.to).toBe(Math.ceil(s3.inputs.inputRate / s3.inputs.throughputPerWorker));
    expect(s3.inputs.inputRate).toBe(650);
    // three violated windows after the step at 30 s
    expect(s3.atS).toBeGreaterThan(30);
    expect(app.windows.find((w) => w.index === s3.window + 1)!.workers).toBe(3);
    // the S{n} is an event on no copy, closed by the community rules
    expect(report.events.filter((e) => e.actionType === 'scale').map((e) => [e.action, e.appId])).toEqual([['S3', spec.id]]);
    expect(report.events[0]!.globalFeedback).not.toBeNull();
    expect(report.converged).toBe(true);
    expect(app.converged).toBe(true);
    expect(report.convergedAtS!).toBeGreaterThan(s3.atS);
    expect(app.windows.at(-1)!.lag).toBe(app.lagAtEnd);
    // loop metrics count the windows as runs and the S3 as an action
    const lm = loopMetrics(report, runs);
    expect(lm.scales).toBe(1);
    expect(lm.actions).toBe(1);
    expect(lm.runs).toBe(runs.length + app.windows.length);
    expect(lm.converged).toBe(1);
  });

  it('static never scales and stays violated to the end', () => {
    const { report } = simulate(scenario, { durationS: 90, strategies: withStrategy('static'), strategy: 'static' });
    const app = report.stream!.apps[0]!;
    expect(app.actions).toEqual([]);
    expect(app.windows.at(-1)!.goalMet).toBe(false);
    expect(app.windows.at(-1)!.lag).toBeGreaterThan(app.windows.at(-5)!.lag);
    expect(report.converged).toBe(false);
    expect(loopMetrics(report, []).converged).toBe(0);
  });

  it('one seed repeats a run exactly', () => {
    const a = simulate(scenario, { durationS: 90, strategies: withStrategy('original') }).report;
    const b = simulate(scenario, { durationS: 90, strategies: withStrategy('original') }).report;
    expect(b.stream).toEqual(a.stream);
    const other = simulate({ ...scenario, seed: 2 }, { durationS: 90, strategies: withStrategy('original') }).report;
    expect(other.stream!.apps[0]!.windows.map((w) => w.processed)).not.toEqual(a.stream!.apps[0]!.windows.map((w) => w.processed));
  });

  it('the bus node down makes availability 0 and a goal over availability violated; the link latency is the path latency', () => {
    const s: Scenario = {
      ...scenario,
      stream: { busNode: 2 },
      streamApps: [{ ...spec, goal: { metric: 'availability', min: 50 } as typeof spec.goal }],
      timeline: [
        { at: 10, do: { kind: 'nodeDown', node: 2 } },
        { at: 20, do: { kind: 'nodeUp', node: 2 } },
        { at: 20, do: { kind: 'setLatency', from: 1, to: 2, latencyMs: 50 } },
      ] as Scenario['timeline'],
    };
    const { report } = simulate(s, { durationS: 40, strategies: withStrategy('original'), stopAtConvergence: false });
    const ws = report.stream!.apps[0]!.windows;
    const at = (endS: number) => ws.find((w) => w.endS === endS)!;
    expect(at(8).availability).toBe(90);
    expect(at(8).pathLatencyMs).toBe(200);
    expect(at(12).availability).toBe(0);
    expect(at(12).goalMet).toBe(false);
    expect(at(12).violated.join()).toContain('availability');
    expect(at(22).availability).toBe(90);
    expect(at(22).goalMet).toBe(true);
    expect(at(22).pathLatencyMs).toBe(50);
  });
});
