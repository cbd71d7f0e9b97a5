import { describe, expect, it } from 'vitest';
import { closeEvent, applyCounter } from '../../decision/feedback.js';
import { scaledThesis } from './fixtures.js';
import { simulate, type SimResult } from './sim.js';

const MAX_FAKE_MS = 120_000;

function summary(r: SimResult): string {
  return r.events.map((e) => `${e.createdAtMs}:app${e.appId}:${e.actionLabel}${e.explored ? '*' : ''}`).join(' ');
}

describe('three node loops in fake time on the embedded store, S3 and proxy', () => {
  let first: SimResult;

  it('app 1 is violated at start and acts; the others leave feedback where they suffer; events close with counters; the system converges', async () => {
    const s = scaledThesis();
    first = await simulate(s, MAX_FAKE_MS);
    const r = first;
    expect(r.problems, r.problems.join('\n')).toEqual([]);
    console.log(`events: ${summary(r)}\nconverged at ${r.convergedAtMs} ms fake, ${r.runs.length} runs, counters ${JSON.stringify(r.counters)}`);

    // app 1 at start: data on node 3 (450 ms away, 85 %): violated, and it acts first
    const firstRun1 = r.runs.find((x) => x.appId === 1)!;
    expect(firstRun1.goalMet).toBe(false);
    expect(firstRun1.dataNode).toBe(3);
    expect(firstRun1.latencyMs).toBeGreaterThan(440); // read back from the proxy: 450 +- 2 drawn
    expect(firstRun1.rtMs).toBeGreaterThan(440); // the injected latency is really paid
    expect(firstRun1.actionLabel).not.toBe('NA');
    expect(r.events[0].appId).toBe(1);
    expect(r.events[0].actionLabel).toBe(firstRun1.actionLabel);

    // every run that chose an action left exactly one event, and nothing else did
    const acting = r.runs.filter((x) => x.actionLabel !== 'NA');
    expect(acting.map((x) => `${x.appId}:${x.actionLabel}`)).toEqual(r.events.map((e) => `${e.appId}:${e.actionLabel}`));

    // feedback: only from other apps, only when they were violated at that moment, p = 1 - dt/T
    expect(r.feedback.length).toBeGreaterThan(0);
    for (const f of r.feedback) {
      const e = r.events.find((x) => x.id === f.eventId)!;
      expect(f.appId).not.toBe(e.appId);
      expect(r.runs.some((x) => x.appId === f.appId && !x.goalMet && x.startedAtMs === f.createdAtMs)).toBe(true);
      expect(f.value).toBeCloseTo(1 - (f.createdAtMs - e.createdAtMs) / s.timing.feedbackWindowMs, 12);
    }
    for (const e of r.events) expect(e.sumFeedback).toBeCloseTo(r.feedback.filter((f) => f.eventId === e.id).reduce((a, f) => a + f.value, 0), 12);

    // closed events: global feedback = sum / 2; counters are the floored fold of +-1 in closing order
    const closed = r.events.filter((e) => !e.active);
    expect(closed.length).toBeGreaterThan(0);
    const expected: Record<string, number> = {};
    for (const e of closed) {
      const c = closeEvent(e, { appCount: 3, feedbackThreshold: 0.3 });
      expect(e.globalFeedback).toBeCloseTo(c.globalFeedback, 12);
      expected[e.actionLabel] = applyCounter(expected[e.actionLabel] ?? 0, c.counterDelta);
    }
    expect(r.counters).toEqual(expected);
    expect(Object.values(r.counters).some((v) => v > 0)).toBe(true); // the community judged something harmful

    // converged: the last 3 runs of every app met the goal with no action
    expect(r.convergedAtMs).toBeDefined();
    expect(r.convergedAtMs!).toBeLessThan(MAX_FAKE_MS);
    for (const app of [1, 2, 3]) {
      const last = r.runs.filter((x) => x.appId === app).slice(-3);
      expect(last.every((x) => x.goalMet && x.actionLabel === 'NA')).toBe(true);
    }
    const last1 = r.runs.filter((x) => x.appId === 1).at(-1)!;
    expect(last1.dataNode).toBe(1); // only node 1 has A >= 95
  }, 180_000);

  it('the same seed gives the same event sequence', async () => {
    const again = await simulate(scaledThesis(), MAX_FAKE_MS);
    const key = (r: SimResult) => r.events.map((e) => [e.appId, e.actionLabel, e.actionType, e.createdAtMs, e.explored, e.closesAtMs]);
    expect(key(again)).toEqual(key(first));
    // when convergence is reached can differ: RT is measured for real, so a load spike on the
    // machine may cost a run its goal (and reset the window) without changing any decision
    console.log(`converged at ${first.convergedAtMs} and ${again.convergedAtMs} ms fake`);
    // and another seed takes another path through the same story
    const other = await simulate(scaledThesis({ seed: 7 }), MAX_FAKE_MS);
    expect(other.convergedAtMs).toBeDefined();
    expect(summary(other)).not.toBe(summary(first));
  }, 300_000);
});
