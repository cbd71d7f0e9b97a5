import { describe, expect, it } from 'vitest';
import { actionEffect, flattenLoopMetrics, LOOP_METRIC_NAMES, loopMetrics, type LoopReport, type LoopRun } from '../../../controller/experiment/loop-metrics.js';
import type { StoryStep } from '../../../controller/experiment/story.js';

/*
 * Loop metrics on hand-built reports and runs: every number worked out by hand below.
 * Times: the run starts at T0; `at(s)` is T0 + s seconds.
 */
const T0 = 1_700_000_000_000;
const at = (s: number) => T0 + s * 1000;

const run = (appId: number, s: number, goalMet: boolean, error: string | null = null): LoopRun => ({ appId, startedAtMs: at(s), goalMet, error });

function event(id: number, appId: number, action: string, createdAtS: number) {
  const actionType = action.startsWith('M') ? 'move' : action.startsWith('CR') ? 'changeRef' : 'copy';
  return { id, appId, action, actionType, explored: false, createdAtS, feedback: [], feedbackCount: 0, globalFeedback: null };
}

function step(eventId: number, fromNode: number | null): StoryStep {
  return { eventId, atS: 0, appId: 0, action: '', actionType: '', explored: false, fromNode, violated: [], candidates: [], feedback: [], feedbackCount: 0, closedAtS: null, globalFeedback: null, counter: null };
}

function report(over: Partial<LoopReport> = {}): LoopReport {
  return {
    startedAtMs: T0,
    feedbackWindowMs: 10_000,
    datasetBytes: 1000,
    converged: true,
    convergedAtS: 30,
    durationS: 40,
    runs: 0,
    events: [],
    apps: [],
    story: { steps: [], checksWithoutAction: 0, violatedS: {}, checks: { appsActing: [], feedbackRows: 4, closedEvents: 0, countersChanged: 2, copiesOrChangeRefs: 0, converged: true, openEventsAtEnd: 0, whole: false } },
    ...over,
  };
}

describe('loop metrics', () => {
  it('episodes, time to repair, time in violation, ineffective actions and bytes moved', () => {
    // app 1: violated at 0 and 2 (one episode from 0 to 4), acts at 1.5 (ineffective: its run at 2
    // still violates) and at 2.5 (effective: its run at 4 meets the goal); violated again at 10
    // (second episode, until the end at 40), never repaired.
    // app 2: violated at 1 (episode to 3), acts at 1.2 with a copy; met from 3 on.
    const runs = [run(1, 0, false), run(1, 2, false), run(1, 4, true), run(1, 10, false), run(2, 1, false), run(2, 3, true), run(2, 5, true)];
    const events = [event(1, 1, 'M3_1', 1.5), event(2, 2, 'C1_2', 1.2), event(3, 1, 'CR1', 2.5)];
    const m = loopMetrics(report({ events, converged: false, convergedAtS: null, runs: runs.length, apps: [{ id: 1 }, { id: 2 }, { id: 3 }] as never }), runs);
    expect(m.converged).toBe(0);
    expect(m.convergedAtS).toBeNull();
    expect(m.violationEpisodes).toBe(3);
    expect(m.repairedEpisodes).toBe(2);
    // app 1's first episode: 1.5 - 0; app 2's: 1.2 - 1 = 0.2; mean 0.85
    expect(m.timeToRepairS).toBeCloseTo(0.85, 9);
    // the earliest episode is app 1's at 0, repaired after 1.5 s
    expect(m.firstRepairS).toBe(1.5);
    // app 1: 0..2, 2..4, 10..40 = 34 s; app 2: 1..3 = 2 s; app 3 never ran
    expect(m.violatedSByApp).toEqual({ '1': 34, '2': 2, '3': 0 });
    expect(m.violatedS).toBe(36);
    expect(m.actions).toBe(3);
    expect([m.moves, m.copies, m.changeRefs]).toEqual([1, 1, 1]);
    // M3_1 at 1.5: app 1's next run (at 2) violates; C1_2 at 1.2: app 2's next (3) meets; CR1 at 2.5: next (4) meets
    expect(m.ineffectiveActions).toBe(1);
    // a move and a copy send the data set once each; a change of reference sends nothing
    expect(m.bytesMoved).toBe(2000);
    expect(m.feedbackRows).toBe(4);
    expect(m.counterChanges).toBe(2);
    expect(m.runs).toBe(7);
    expect(m.failedRuns).toBe(0);
  });

  it('an action with no later run of its app is not judged ineffective; a failed next run is', () => {
    const runs = [run(1, 0, false), run(1, 3, false, 'timeout')];
    const events = [event(1, 1, 'M3_1', 1), event(2, 1, 'M1_2', 5)];
    const m = loopMetrics(report({ events, feedbackWindowMs: 1000 }), runs);
    expect(m.ineffectiveActions).toBe(1);
    expect(m.failedRuns).toBe(1);
  });

  it('oscillations: a move undone by any app within the window, a reference undone by the same app', () => {
    const events = [
      event(1, 1, 'M3_1', 1), // data 3 -> 1
      event(2, 2, 'M1_3', 4), // app 2 moves it back within 10 s: an oscillation
      event(3, 1, 'M3_1', 30), // outside the window of event 2 (26 s later): none
      event(4, 2, 'CR2', 32), // app 2 re-points from 1 to 2 (story: it read node 1)
      event(5, 1, 'CR1', 33), // app 1 re-points 2 -> 1: another app's reference, not undone
      event(6, 2, 'CR1', 35), // app 2 re-points back 2 -> 1 within the window: an oscillation
      event(7, 2, 'CR2', 36), // and back again 1 -> 2, undoing event 6: an oscillation
    ];
    const steps = [step(4, 1), step(5, 2), step(6, 2), step(7, 1)];
    const m = loopMetrics(report({ events, story: { ...report().story, steps } }), []);
    expect(m.oscillations).toBe(3);
  });

  it('the window bounds oscillations; a copy is undone by the same app coming back', () => {
    const events = [event(1, 1, 'C3_1', 0), event(2, 1, 'CR3', 9.9), event(3, 2, 'C3_2', 20), event(4, 1, 'CR2', 25), event(5, 2, 'CR3', 40)];
    const steps = [step(2, 1), step(4, 3), step(5, 2)];
    // 2 undoes 1 (app 1 back to 3 within 10 s); 4 is app 1 going 3 -> 2, not the reverse of 3 (app 2's);
    // 5 is app 2 going back 2 -> 3, 20 s after its copy: outside the window
    expect(loopMetrics(report({ events, story: { ...report().story, steps } }), []).oscillations).toBe(1);
  });

  it('without the data set size bytes moved is unknown; without startedAtMs the first run is the start', () => {
    const m = loopMetrics(report({ datasetBytes: null, startedAtMs: undefined, events: [event(1, 1, 'M3_1', 2)] }), [run(1, 0, false), run(1, 3, true)]);
    expect(m.bytesMoved).toBeNull();
    expect(m.timeToRepairS).toBe(2);
  });

  it('the flat row lists every scalar, then the apps in id order', () => {
    const row = flattenLoopMetrics(loopMetrics(report({ apps: [{ id: 10 }, { id: 2 }] as never }), [run(2, 0, true)]));
    expect(Object.keys(row)).toEqual([...LOOP_METRIC_NAMES, 'violatedS_app2', 'violatedS_app10']);
  });

  it('stream apps: windows are runs, S{n} actions; S3 then back to S1 within the window is an oscillation', () => {
    // the stream apps start 1 s after the run; app 5's windows of 1 s: met, met, 3 violated, S3 as
    // the 5th closes (its end, the 6th's start), met twice, violated 3 times, S1, violated twice more
    const met = [true, true, false, false, false, true, true, false, false, false, false, false];
    const stream = {
      startedAtMs: at(1),
      apps: [
        {
          id: 5,
          converged: false,
          windows: met.map((goalMet, i) => ({ startS: i, goalMet })),
          actions: [
            { atS: 5, from: 1, to: 3, label: 'S3', eventId: 1 },
            { atS: 10, from: 3, to: 1, label: 'S1', eventId: 2 },
          ],
        },
      ],
    };
    const events = [
      { ...event(1, 5, 'S3', 6), actionType: 'scale' },
      { ...event(2, 5, 'S1', 11), actionType: 'scale' },
    ];
    const m = loopMetrics(report({ durationS: 13, events, stream }), []);
    expect(m).toMatchObject({ runs: 12, actions: 2, scales: 2, moves: 0, copies: 0, changeRefs: 0, oscillations: 1, ineffectiveActions: 1 });
    // two episodes, each repaired 3 s after it began (the first S3 at the very start of the met window after it)
    expect(m).toMatchObject({ violationEpisodes: 2, repairedEpisodes: 2, timeToRepairS: 3, firstRepairS: 3 });
    // windows 2-4 (3 s), 7-10 (4 s) and 11 to the run's end at 13 s (1 s)
    expect(m.violatedS).toBe(8);
    expect(m.violatedSByApp).toEqual({ '5': 8 });
    // the run's verdict holds only with every stream app's
    expect(m).toMatchObject({ converged: 0, convergedAtS: null });
    expect(loopMetrics(report({ durationS: 13, events, stream: { ...stream, apps: [{ ...stream.apps[0], converged: true }] } }), []).converged).toBe(1);
    // outside the feedback window S1 undoes nothing
    expect(loopMetrics(report({ durationS: 13, events, stream, feedbackWindowMs: 4000 }), []).oscillations).toBe(0);
    // an S{n} the store did not record is an action all the same; S3 then S2 is no oscillation
    const unrecorded = { ...stream, apps: [{ ...stream.apps[0], actions: [stream.apps[0].actions[0], { atS: 10, from: 3, to: 2, label: 'S2', eventId: null }] }] };
    expect(loopMetrics(report({ durationS: 13, events: [events[0]], stream: unrecorded }), [])).toMatchObject({ actions: 2, scales: 2, oscillations: 0 });
    // the workers' cost: workers x window seconds, 1 worker up to the S3 at 5 s, 3 up to the S1 at 10 s, then 1
    const costed = { ...stream, apps: [{ ...stream.apps[0], windows: met.map((goalMet, i) => ({ startS: i, endS: i + 1, goalMet, workers: i < 5 ? 1 : i < 10 ? 3 : 1 })) }] };
    expect(loopMetrics(report({ durationS: 13, events, stream: costed }), []).workerS).toBe(5 + 15 + 2);
    expect(loopMetrics(report(), []).workerS).toBeNull();
    // an S{n} whose first window after is still violated (the backlog drains) but a later one, before
    // the app's next action, meets the goal is effective; one with no met window until the next action is not
    const draining = [true, true, false, false, false, false, true, false, false, false, false, false];
    const drain = { ...stream, apps: [{ ...stream.apps[0], windows: draining.map((goalMet, i) => ({ startS: i, goalMet })) }] };
    expect(loopMetrics(report({ durationS: 13, events, stream: drain }), []).ineffectiveActions).toBe(1);
    const never = { ...stream, apps: [{ ...stream.apps[0], windows: met.map((_, i) => ({ startS: i, goalMet: i < 2 })) }] };
    expect(loopMetrics(report({ durationS: 13, events, stream: never }), []).ineffectiveActions).toBe(2);
    // a report of stream apps without their start (older) counts from the run's start: the last window, 1 s earlier, lasts 2 s
    expect(loopMetrics(report({ durationS: 13, events, stream: { apps: stream.apps } }), []).violatedS).toBe(9);
  });

  it('action effects from labels', () => {
    expect(actionEffect('M1_2', 5)).toEqual({ type: 'move', from: 1, to: 2 });
    expect(actionEffect('C3_12', null)).toEqual({ type: 'copy', from: 3, to: 12 });
    expect(actionEffect('CR4', 2)).toEqual({ type: 'changeRef', from: 2, to: 4 });
    expect(actionEffect('S4', 2)).toEqual({ type: 'scale', from: 2, to: 4 });
    expect(actionEffect('NA', 2)).toBeNull();
  });
});
