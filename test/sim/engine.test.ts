import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { loadScenario, type Scenario } from '../../model/scenario.js';
import { simulate } from '../../sim/engine.js';
import { BUILTIN_STRATEGIES } from '../../decision/strategies/registry.js';
import { StrategyError } from '../../decision/strategies/types.js';
import { DEFAULT_DATA_PATH_MODEL, expectedEtMs } from '../../sim/data-path.js';

const thesis = loadScenario(fileURLToPath(new URL('../../scenarios/thesis.yaml', import.meta.url)));
const withSeed = (s: Scenario, seed: number): Scenario => ({ ...s, seed });

describe('virtual-time engine (sim/engine.ts)', () => {
  it('runs the thesis story with the decision core: two apps act, feedback moves counters, it converges with no event open', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const { report } = simulate(withSeed(thesis, seed), { durationS: 300 });
      expect(report.converged, `seed ${seed}`).toBe(true);
      expect(report.story.checks.appsActing.length, `seed ${seed}`).toBeGreaterThanOrEqual(2);
      expect(report.story.checks.feedbackRows).toBeGreaterThan(0);
      expect(report.story.checks.countersChanged).toBeGreaterThan(0);
      expect(report.story.checks.openEventsAtEnd).toBe(0);
      // the last copy or CR is what ends the tug of war (docs/scenario.md)
      expect(report.story.checks.copiesOrChangeRefs).toBeGreaterThan(0);
      expect(report.placements.length).toBeGreaterThanOrEqual(2);
    }
  });

  it('one seed repeats a run exactly; another seed draws another run', () => {
    const a = simulate(withSeed(thesis, 7), { durationS: 300 });
    const b = simulate(withSeed(thesis, 7), { durationS: 300 });
    expect(JSON.stringify(b.report)).toBe(JSON.stringify(a.report));
    expect(b.runs).toEqual(a.runs);
    const c = simulate(withSeed(thesis, 8), { durationS: 300 });
    expect(c.runs.map((r) => r.rtMs)).not.toEqual(a.runs.map((r) => r.rtMs));
  });

  it('times each run by the data-path model: a read from a node 1500 ms away pays it once per range', () => {
    const { runs } = simulate(thesis, { durationS: 300 });
    const first = runs.find((r) => r.appId === 1)!;
    expect(first.dataNode).toBe(3);
    const expected = expectedEtMs(DEFAULT_DATA_PATH_MODEL, { records: thesis.dataset.records, rangeBytes: thesis.job.rangeBytes, latencyMs: first.latencyMs });
    // within the model's noise (sd 5 %)
    expect(Math.abs(first.etMs - expected) / expected).toBeLessThan(0.25);
    expect(first.latencyMs).toBeGreaterThan(1450);
    expect(first.rtMs).toBeGreaterThan(first.etMs);
  });

  it('the static strategy takes no action and apps 1 and 2 stay violated', () => {
    const strategies = new Map(thesis.apps.map((a) => [a.id, BUILTIN_STRATEGIES.static]));
    const { report } = simulate(thesis, { durationS: 120, strategies, strategy: 'static' });
    expect(report.events).toEqual([]);
    expect(report.converged).toBe(false);
    expect(report.apps.find((a) => a.id === 1)!.goalMet).toBe(false);
  });

  it('applies the timeline: runs of a copy on a node that is down fail and name the node', () => {
    const s: Scenario = { ...thesis, timeline: [{ at: 1, do: { kind: 'nodeDown', node: 3 }, origin: 'timeline[0]' }] };
    const strategies = new Map(thesis.apps.map((a) => [a.id, BUILTIN_STRATEGIES.static]));
    const { runs, report } = simulate(s, { durationS: 30, strategies });
    const app1 = runs.filter((r) => r.appId === 1);
    expect(app1.length).toBeGreaterThan(3);
    expect(app1.every((r) => r.error?.includes('node 3 is down'))).toBe(true);
    expect(report.timeline.map((t) => t.kind)).toEqual(['nodeDown']);
  });

  it('deletes as the store does: a node with the last copy others read is refused (recorded), a deleted app and the apps of a deleted node run no more', () => {
    const s: Scenario = {
      ...thesis,
      timeline: [
        { at: 1, do: { kind: 'deleteNode', node: 3 }, origin: 'timeline[0]' },
        { at: 2, do: { kind: 'deleteApp', app: 3 }, origin: 'timeline[1]' },
        { at: 3, do: { kind: 'deleteNode', node: 2 }, origin: 'timeline[2]' },
      ],
    };
    const strategies = new Map(thesis.apps.map((a) => [a.id, BUILTIN_STRATEGIES.static]));
    const { runs, report } = simulate(s, { durationS: 40, strategies });
    expect(report.timeline.map((t) => [t.kind, t.error === null])).toEqual([
      ['deleteNode', false],
      ['deleteApp', true],
      ['deleteNode', true],
    ]);
    expect(report.timeline[0].error).toMatch(/node 3 cannot be deleted: node 3 holds the last copy of data set 1 \(copy 1\), read by app\(s\) 1, 2/);
    const startedAfter = (app: number, s: number) => runs.filter((r) => r.appId === app && r.startedAtMs >= s * 1000).length;
    expect(startedAfter(3, 2)).toBe(0);
    expect(startedAfter(2, 3)).toBe(0);
    expect(startedAfter(1, 3)).toBeGreaterThan(3);
    expect(runs.filter((r) => r.appId === 1).every((r) => r.dataNode === 3)).toBe(true);
  });

  it("a strategy that throws ends the run with the strategy's error", () => {
    const boom = { name: 'boom', leavesFeedback: true, decide: () => { throw new Error('no idea'); } };
    const strategies = new Map(thesis.apps.map((a) => [a.id, boom]));
    expect(() => simulate(thesis, { durationS: 60, strategies })).toThrow(StrategyError);
    expect(() => simulate(thesis, { durationS: 60, strategies })).toThrow(/strategy boom of app \d+: threw no idea/);
  });
});
