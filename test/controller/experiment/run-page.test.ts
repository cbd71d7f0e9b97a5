import { describe, expect, it } from 'vitest';
import { goalTerms, runPageHtml, timelineMarks, type RunPageReport } from '../../../controller/experiment/html/run-page.js';
import type { RunRow } from '../../../model/types.js';

const T0 = 1_700_000_000_000;

function runRow(id: number, appId: number, s: number, goalMet: boolean): RunRow {
  return { id, appId, datasetId: 1, dataNode: 3, startedAtMs: T0 + s * 1000, rtMs: goalMet ? 100 : 900, etMs: 50, throughput: 4000, latencyMs: 300, availability: 97, consistency: 1, goalMet, actionLabel: null, error: null };
}

const report: RunPageReport = {
  scenario: 'fixture <b>',
  seed: 3,
  strategy: 'original',
  startedAtMs: T0,
  feedbackWindowMs: 2000,
  datasetBytes: 10,
  converged: false,
  convergedAtS: null,
  durationS: 20,
  runs: 3,
  apps: [
    { id: 1, node: 1, goal: { all: [{ metric: 'responseTime', max: 800 }, { metric: 'availability', min: 95 }] }, strategy: 'original', goalMet: true, runs: 2, violations: 1, actions: ['M3_1'] },
    { id: 2, node: 2, goal: { any: [{ metric: 'latency', max: 390 }, { metric: 'latency', max: 200 }] }, strategy: 'random', goalMet: true, runs: 1, violations: 0, actions: [] },
  ],
  events: [{ id: 1, appId: 1, action: 'M3_1', actionType: 'move', explored: false, createdAtS: 1.5, feedback: [], feedbackCount: 0, globalFeedback: null }],
  story: { steps: [], checksWithoutAction: 0, violatedS: {}, checks: { appsActing: [1], feedbackRows: 0, closedEvents: 0, countersChanged: 0, copiesOrChangeRefs: 0, converged: false, openEventsAtEnd: 0, whole: false } },
  timeline: [
    { atS: 5, kind: 'setLatency', args: {}, source: 'timeline', label: 'latency 1-3 = 100 ms', error: null },
    { atS: 12, kind: 'nodeDown', args: {}, source: 'timeline', label: 'node 2 down', error: null },
  ],
};

describe("a run's page", () => {
  it('one chart per app and goal metric, with thresholds, actions and timeline steps; escaped; nothing fetched', () => {
    const html = runPageHtml(report, [runRow(1, 1, 1, false), runRow(2, 1, 2, true), runRow(3, 2, 1, true)]);
    expect(html.match(/<svg /g)).toHaveLength(3);
    // app 1: two thresholds (max 800, min 95); app 2: both latency bounds on one chart
    expect(html.match(/class="threshold"/g)).toHaveLength(4);
    // the timeline's two steps on each of the three charts, app 1's action on its two
    expect(html.match(/<title>latency 1-3 = 100 ms at 5 s<\/title>/g)).toHaveLength(3);
    expect(html.match(/<title>M3_1 at 1.5 s<\/title>/g)).toHaveLength(2);
    expect(html).toContain('fixture &lt;b&gt;');
    expect(html).toContain('strategy <b>original</b>');
    // an app whose strategy is not the run's says so
    expect(html).toContain('<h3>app 2 <small>(strategy random)</small></h3>');
    expect(html).toContain('<h3>app 1</h3>');
    expect(html).not.toMatch(/<script|src=|href=/);
    // the violated run is drawn red
    expect(html).toContain('fill="#c0392b"');
  });

  it('goal terms and timeline marks', () => {
    expect(goalTerms({ any: [{ metric: 'latency', max: 3 }, { all: [{ metric: 'consistency', min: 0.7 }] }] })).toEqual([
      { metric: 'latency', bound: 3, kind: 'max' },
      { metric: 'consistency', bound: 0.7, kind: 'min' },
    ]);
    expect(timelineMarks({ timeline: [{ atS: 1, label: 'x' }, { at: 2, kind: 'nodeUp' }, { nothing: true }] })).toEqual([
      { atS: 1, label: 'x' },
      { atS: 2, label: 'nodeUp' },
    ]);
    expect(timelineMarks({})).toEqual([]);
  });
});
