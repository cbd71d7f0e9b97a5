import { afterEach, describe, expect, it } from 'vitest';
import { closeDueEvents, leaveFeedback } from '../../nodes/community.js';
import { AppNode } from '../../nodes/node.js';
import { createRng } from '../../util/rng.js';
import type { Clock } from '../../util/clock.js';
import { scaledThesis, seedModelVectors, startInfra, type Infra } from './fixtures.js';

const ev = (appId: number, datasetId: number, createdAtMs = 1_000) => ({ appId, datasetId, actionLabel: `M3_${appId}`, actionType: 'move' as const, createdAtMs, closesAtMs: createdAtMs + 8_000, explored: false });

describe('the community side of an event (nodes/community.ts)', () => {
  let infra: Infra | undefined;
  afterEach(async () => {
    await infra?.close();
    infra = undefined;
  });

  it('global feedback divides by the apps of the store other than the actor, also for an app added at run time (the controller closer once used the scenario\'s count)', async () => {
    const s = scaledThesis();
    infra = await startInfra(s);
    const { store } = infra;
    await store.upsertNode({ id: 4, name: 'node4', storage: true, availability: 90 });
    await store.upsertApp({ id: 4, nodeId: 4, goal: { metric: 'latency', max: 100 } });
    const [copy] = await store.listCopies();
    const e = (await store.commitMove({ copyId: copy.id, expectedVersion: copy.version, toNode: 1, bucket: 'node-1', event: ev(1, copy.id) })).event;
    await store.addFeedback({ eventId: e.id, appId: 2, value: 0.9, createdAtMs: 2_000 });
    const [closed] = await closeDueEvents(store, 10_000, s.decision);
    expect(closed.globalFeedback).toBeCloseTo(0.9 / 3, 12); // 4 apps in the store: 3 others
    expect((await store.getCounters()).M3_1).toBe(1); // 0.3 >= threshold 0.3
  });

  it('feedback goes to open events of the copy the app reads (the original); family scope reaches every copy of its data set', async () => {
    const s = scaledThesis();
    infra = await startInfra(s);
    const { store } = infra;
    const [copy] = await store.listCopies();
    const sibling = await store.createCopy({ familyId: copy.familyId, nodeId: 2, bucket: 'node-2', objectKey: 'other.json', createdAtMs: 1 });
    const onMine = (await store.commitMove({ copyId: copy.id, expectedVersion: copy.version, toNode: 1, bucket: 'node-1', event: ev(1, copy.id) })).event;
    const onSibling = (await store.commitMove({ copyId: sibling.id, expectedVersion: sibling.version, toNode: 1, bucket: 'node-1', event: ev(2, sibling.id) })).event;
    const mine = (await store.getCopy(copy.id))!;
    const timing = s.timing;
    const byCopy = await leaveFeedback(store, { appId: 3, copy: mine, nowMs: 3_000, decision: { feedbackScope: 'copy' }, timing });
    expect(byCopy.map((f) => f.eventId)).toEqual([onMine.id]);
    expect(byCopy[0].value).toBeCloseTo(1 - 2_000 / timing.feedbackWindowMs, 12);
    const byFamily = await leaveFeedback(store, { appId: 3, copy: mine, nowMs: 3_000, decision: { feedbackScope: 'family' }, timing });
    expect(byFamily.map((f) => f.eventId)).toEqual([onSibling.id]); // once per app: the first is already given
    expect(s.decision.feedbackScope).toBe('copy');
  });

  it('the last violated check of a repair cycle leaves its feedback and its trace; an NA decision is traced with its candidates', async () => {
    // maxRepairs 0: app 1's first check is already the last of its cycle
    const s = scaledThesis({ timing: { arrivalMeanMs: 2000, arrivalSdMs: 200, feedbackWindowMs: 8000, maxRepairs: 0, latencySdMs: 2 } });
    infra = await startInfra(s);
    await seedModelVectors(infra.store, s);
    const { store } = infra;
    const [copy] = await store.listCopies();
    const other = (await store.commitChangeRef({ appId: 2, toCopyId: copy.id, expectedVersion: copy.version, event: ev(2, copy.id, 4_000) })).event;
    const clock: Clock = { now: () => 5_000, sleep: async () => undefined };
    const n1 = new AppNode({ store, objects: infra.objects, latency: infra.latency, session: infra.session, clock, rng: createRng(1), scenario: s, appId: 1, runJob: await infra.jobFor(1) });
    const r = await n1.cycle();
    expect(r.runs).toHaveLength(1);
    expect(r.runs[0]).toMatchObject({ goalMet: false, actionLabel: 'NA', decision: { kind: 'repairs-exhausted', feedbackGiven: 1, repair: 0, dataNode: 3 } });
    expect((await store.listFeedback(other.id)).map((f) => f.appId)).toEqual([1]);
    const traces = await store.listDecisions({ appId: 1 });
    expect(traces.map((t) => t.trace.kind)).toEqual(['repairs-exhausted']);

    // NA chosen (every action scored below zero): the decision is traced with the best five
    const s2 = scaledThesis({ decision: { epsilon: 0, costMove: 1000, costCopy: 1000, costChangeRef: 1000, rho: { responseTime: 300, executionTime: 20, throughput: 100_000, latency: 300, availability: 10, consistency: 0.5 } } });
    await store.upsertImpact({ appId: 1, actionLabel: 'M3_1', vector: { responseTime: -1, executionTime: 0, throughput: 0, latency: -1, availability: -1, consistency: 0 }, source: 'training', updatedAtMs: 0 });
    await store.upsertImpact({ appId: 1, actionLabel: 'C3_1', vector: { responseTime: -1, executionTime: 0, throughput: 0, latency: -1, availability: -1, consistency: 0 }, source: 'training', updatedAtMs: 0 });
    await store.upsertImpact({ appId: 1, actionLabel: 'M3_2', vector: { responseTime: -1, executionTime: 0, throughput: 0, latency: -1, availability: -1, consistency: 0 }, source: 'training', updatedAtMs: 0 });
    await store.upsertImpact({ appId: 1, actionLabel: 'C3_2', vector: { responseTime: -1, executionTime: 0, throughput: 0, latency: -1, availability: -1, consistency: 0 }, source: 'training', updatedAtMs: 0 });
    const n1b = new AppNode({ store, objects: infra.objects, latency: infra.latency, session: infra.session, clock, rng: createRng(1), scenario: s2, appId: 1, runJob: await infra.jobFor(1) });
    const r2 = await n1b.cycle();
    expect(r2.actions).toEqual(['NA']);
    const d = r2.runs[0].decision!;
    expect(d).toMatchObject({ kind: 'decided', chosen: 'NA', explored: false });
    expect(d.violated).toContain('responseTime <= 250');
    expect(d.candidates.map((c) => c.label).sort()).toEqual(['C3_1', 'C3_2', 'M3_1', 'M3_2', 'NA']);
    expect(d.candidates[0].label).toBe('NA'); // the best: every other one scores below zero
    expect(d.candidates[1].globalScore).toBeLessThan(0);
  }, 60_000);
});

describe('the first arrival', () => {
  let infra: Infra | undefined;
  afterEach(async () => {
    await infra?.close();
    infra = undefined;
  });

  it("counts from the session's start when given (FOGSIM_SESSION_START), not from the process's own start", async () => {
    const s = scaledThesis();
    infra = await startInfra(s);
    await seedModelVectors(infra.store, s);
    const waits = async (firstArrivalFromMs?: number) => {
      const stop = new AbortController();
      const slept: number[] = [];
      const clock: Clock = {
        now: () => 10_000,
        sleep: async (ms) => {
          slept.push(ms);
          stop.abort();
        },
      };
      const n = new AppNode({ store: infra!.store, objects: infra!.objects, latency: infra!.latency, session: infra!.session, clock, rng: createRng(5), scenario: s, appId: 1, runJob: await infra!.jobFor(1), warmUp: false, signal: stop.signal, firstArrivalFromMs });
      await n.run();
      return slept[0];
    };
    const own = await waits();
    expect(own).toBeGreaterThan(1000); // normal(2000, 200)
    expect(await waits(9_000)).toBeCloseTo(own - 1000, 6); // started 1 s after the session: 1 s less to wait
    expect(await waits(0)).toBe(0); // long after the session's start: at once
  });
});
