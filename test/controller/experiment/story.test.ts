import { describe, expect, it } from 'vitest';
import { buildStory, formatStory } from '../../../controller/experiment/story.js';
import type { DecisionRow, EventRow, FeedbackRow, RunRow } from '../../../model/types.js';

const T0 = 1_000_000;
const event = (id: number, appId: number, label: string, type: EventRow['actionType'], atS: number, over: Partial<EventRow> = {}): EventRow => ({
  id,
  appId,
  datasetId: 1,
  actionLabel: label,
  actionType: type,
  createdAtMs: T0 + atS * 1000,
  closesAtMs: T0 + (atS + 20) * 1000,
  active: false,
  explored: false,
  sumFeedback: 0,
  globalFeedback: 0,
  ...over,
});
const run = (id: number, appId: number, atS: number, goalMet: boolean): RunRow => ({ id, appId, datasetId: 1, dataNode: 3, startedAtMs: T0 + atS * 1000, rtMs: 1, etMs: 1, throughput: 1, latencyMs: 0, availability: 90, consistency: 1, goalMet, actionLabel: 'NA', error: null });
const decision = (runId: number, appId: number, atS: number, chosen: string): DecisionRow => ({
  runId,
  appId,
  createdAtMs: T0 + atS * 1000,
  trace: { kind: 'decided', violated: ['responseTime <= 800'], chosen, explored: false, candidates: [{ label: chosen, score: 0.5, counter: 0, globalScore: 0.5 }], repair: 0, feedbackGiven: 0, dataNode: 3 },
});

describe('the story of a run', () => {
  const events = [
    event(1, 1, 'M3_1', 'move', 2, { globalFeedback: 0.45 }),
    event(2, 2, 'M1_2', 'move', 5, { globalFeedback: 0.4 }),
    event(3, 1, 'M2_1', 'move', 8, { globalFeedback: 0.1 }),
    event(4, 1, 'C2_1', 'copy', 30, { globalFeedback: 0 }),
  ];
  const feedback: FeedbackRow[] = [
    { eventId: 1, appId: 2, value: 0.9, createdAtMs: T0 + 4000 },
    { eventId: 2, appId: 1, value: 0.8, createdAtMs: T0 + 9000 },
  ];
  const decisions = [decision(10, 1, 1.5, 'M3_1'), decision(11, 2, 4.5, 'M1_2'), decision(12, 1, 7.5, 'M2_1'), decision(13, 1, 29, 'C2_1'), decision(14, 3, 31, 'NA')];
  const runs = [run(1, 1, 0, false), run(2, 1, 10, true), run(3, 2, 0, true), run(4, 2, 4, false), run(5, 2, 6, true)];
  const input = { startedAtMs: T0, endedAtMs: T0 + 60_000, converged: true, events, feedback, decisions, runs, feedbackThreshold: 0.3 };

  it('each event with its reasons, feedback, and the counter it moved, replayed in closing order', () => {
    const st = buildStory(input);
    expect(st.steps.map((s) => [s.appId, s.action, s.counter])).toEqual([
      [1, 'M3_1', { label: 'M3_1', from: 0, to: 1 }],
      [2, 'M1_2', { label: 'M1_2', from: 0, to: 1 }],
      [1, 'M2_1', { label: 'M2_1', from: 0, to: 0 }], // 0.1 < 0.3: down, floored at 0
      [1, 'C2_1', { label: 'C2_1', from: 0, to: 0 }],
    ]);
    expect(st.steps[0]).toMatchObject({ atS: 2, violated: ['responseTime <= 800'], feedback: [{ appId: 2, value: 0.9, atS: 4 }], closedAtS: 22, globalFeedback: 0.45, fromNode: 3 });
    expect(st.steps[0].candidates[0].label).toBe('M3_1');
    expect(st.checksWithoutAction).toBe(1);
  });
  it('time in violation: from a violated run to the next run of the app (the last one to the end)', () => {
    expect(buildStory(input).violatedS).toEqual({ '1': 10, '2': 2 });
    expect(buildStory({ ...input, runs: [run(1, 1, 50, false)] }).violatedS).toEqual({ '1': 10 });
  });
  it('whole story: two apps acting, feedback, a counter moved, a copy or CR, converged with nothing open', () => {
    expect(buildStory(input).checks).toMatchObject({ appsActing: [1, 2], feedbackRows: 2, closedEvents: 4, countersChanged: 2, copiesOrChangeRefs: 1, openEventsAtEnd: 0, whole: true });
    expect(buildStory({ ...input, converged: false }).checks.whole).toBe(false);
    expect(buildStory({ ...input, events: events.filter((e) => e.actionType !== 'copy') }).checks.whole).toBe(false);
    expect(buildStory({ ...input, events: events.filter((e) => e.appId === 1) }).checks.whole).toBe(false);
    expect(buildStory({ ...input, feedback: [] }).checks.whole).toBe(false);
    const open = [...events.slice(0, 3), { ...events[3], active: true, globalFeedback: null }];
    expect(buildStory({ ...input, events: open }).checks).toMatchObject({ openEventsAtEnd: 1, whole: false });
  });
  it('prints as a short table', () => {
    const text = formatStory(buildStory(input));
    expect(text).toMatch(/^2\.0 +1 +M3_1 +RT<=800 +M3_1 0\.50 +2=0\.90 +0\.45 -> M3_1 0->1$/m);
    expect(text).toContain('(every mechanism acted)');
  });
});
