import { afterEach, describe, expect, it } from 'vitest';
import { UserError } from '../../model/errors.js';
import { zeroVector } from '../../model/metrics.js';
import { AppNode } from '../../nodes/node.js';
import { systemClock } from '../../util/clock.js';
import { createRng } from '../../util/rng.js';
import { bootstrapPlacement } from '../../controller/bootstrap.js';
import { scaledThesis, startInfra, type Infra } from './fixtures.js';

describe('node start', () => {
  let infra: Infra | undefined;
  afterEach(async () => {
    await infra?.close();
    infra = undefined;
  });

  it('refuses to start without every impact vector, naming the missing ones and the training command', async () => {
    const s = { ...scaledThesis(), source: 'scenarios/thesis.yaml' };
    infra = await startInfra(s);
    const node = new AppNode({ store: infra.store, objects: infra.objects, latency: infra.latency, session: infra.session, clock: systemClock, rng: createRng(1), scenario: s, appId: 1, runJob: await infra.jobFor(1) });
    const err = await node.preflight().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toContain('fogsim train --scenario scenarios/thesis.yaml');
    expect((err as UserError).details).toHaveLength(15); // 6 M + 6 C + 3 CR on three storage nodes
    // with all but two present, exactly those two are named
    for (const l of (err as UserError).details.filter((x) => x !== 'C1_3' && x !== 'CR2')) {
      await infra.store.upsertImpact({ appId: 1, actionLabel: l, vector: zeroVector(), source: 'training', updatedAtMs: 0 });
    }
    const err2 = (await node.preflight().catch((e: unknown) => e)) as UserError;
    expect(err2.details).toEqual(['C1_3', 'CR2']);
    expect(err2.message).toMatch(/app 1 has no impact vector for 2 action\(s\): C1_3, CR2/);
    // vectors of another app do not count
    await infra.store.upsertImpact({ appId: 2, actionLabel: 'C1_3', vector: zeroVector(), source: 'training', updatedAtMs: 0 });
    expect(((await node.preflight().catch((e: unknown) => e)) as UserError).details).toEqual(['C1_3', 'CR2']);
    for (const l of ['C1_3', 'CR2']) await infra.store.upsertImpact({ appId: 1, actionLabel: l, vector: zeroVector(), source: 'training', updatedAtMs: 0 });
    await expect(node.preflight()).resolves.toBeUndefined();
  });

  it('bootstrap places the data once, is idempotent, and restores a wiped object', async () => {
    const s = scaledThesis({
      nodes: [
        { id: 1, availability: 97 },
        { id: 2, availability: 80, storage: false },
        { id: 3, availability: 85 },
      ],
    });
    infra = await startInfra(s); // runs bootstrapPlacement once
    const copies = await infra.store.listCopies();
    expect(copies).toHaveLength(1);
    expect(copies[0]).toMatchObject({ nodeId: 3, bucket: 'node-3', objectKey: 'bloodtests.json' });
    expect((await infra.objects.listBuckets()).sort()).toEqual(['node-1', 'node-3']); // no bucket for a node without storage
    expect((await infra.store.listApps()).map((a) => a.datasetId)).toEqual([copies[0].id, copies[0].id, copies[0].id]);

    const again = await bootstrapPlacement(infra.store, infra.objects, s, infra.datasetFile, 1);
    expect(again.created).toBeUndefined();
    expect(again.referencesSet).toEqual([]);
    expect(again.restored).toEqual([]);
    expect(await infra.store.listCopies()).toEqual(copies);

    await infra.objects.deleteObject('node-3', 'bloodtests.json');
    const restored = await bootstrapPlacement(infra.store, infra.objects, s, infra.datasetFile, 2);
    expect(restored.restored).toEqual([copies[0].id]);
    expect((await infra.objects.statObject('node-3', 'bloodtests.json'))?.size).toBeGreaterThan(1000);

    await expect(bootstrapPlacement(infra.store, infra.objects, s, '/nonexistent/data.json', 3).then(async () => {
      await infra!.objects.deleteObject('node-3', 'bloodtests.json');
      return bootstrapPlacement(infra!.store, infra!.objects, s, '/nonexistent/data.json', 4);
    })).rejects.toThrow(/data set file not found: \/nonexistent\/data.json; generate one with: fogsim dataset generate/);
  });
});

describe('a node started before the controller finished its setup (FOGSIM_NODE_SETUP_WAIT_S)', () => {
  let infra: Infra | undefined;
  afterEach(async () => {
    await infra?.close();
    infra = undefined;
  });
  const allVectors = async (i: Infra, appId: number, labels: string[]) => {
    for (const l of labels) await i.store.upsertImpact({ appId, actionLabel: l, vector: zeroVector(), source: 'training', updatedAtMs: 0 });
  };

  it('waits for its vectors, then runs; without a wait it refuses at once; past the wait it gives the same error', async () => {
    const s = { ...scaledThesis(), source: 'scenarios/thesis.yaml' };
    infra = await startInfra(s);
    const make = (setupWaitMs: number, signal?: AbortSignal) =>
      new AppNode({ store: infra!.store, objects: infra!.objects, latency: infra!.latency, session: infra!.session, clock: systemClock, rng: createRng(1), scenario: s, appId: 1, runJob: async () => { throw new Error('not measured here'); }, warmUp: false, setupWaitMs, signal });
    const missing = ((await make(0).preflight().catch((e: unknown) => e)) as UserError).details;

    let t = Date.now();
    await expect(make(0).run()).rejects.toThrow(/app 1 has no impact vector for 15 action/);
    expect(Date.now() - t).toBeLessThan(2000);

    t = Date.now();
    await expect(make(2500).run()).rejects.toThrow(/app 1 has no impact vector for 15 action/);
    expect(Date.now() - t).toBeGreaterThanOrEqual(2400);

    // the vectors arrive while the node waits: it goes on to its loop (stopped there by the signal)
    const stop = new AbortController();
    const running = make(60_000, stop.signal).run();
    let settled = false;
    void running.then(() => (settled = true), () => (settled = true));
    await new Promise((r) => setTimeout(r, 1500));
    expect(settled).toBe(false);
    await allVectors(infra, 1, missing);
    await new Promise((r) => setTimeout(r, 2500));
    stop.abort();
    await expect(running).resolves.toBeUndefined();
  }, 30_000);

  it('stopped while it waits, it exits quietly', async () => {
    const s = { ...scaledThesis(), source: 'scenarios/thesis.yaml' };
    infra = await startInfra(s);
    const stop = new AbortController();
    const node = new AppNode({ store: infra.store, objects: infra.objects, latency: infra.latency, session: infra.session, clock: systemClock, rng: createRng(1), scenario: s, appId: 1, runJob: await infra.jobFor(1), warmUp: false, setupWaitMs: 60_000, signal: stop.signal });
    const running = node.run();
    setTimeout(() => stop.abort(), 500);
    await expect(running).resolves.toBeUndefined();
  });
});

describe('a node whose app is deleted (compose, a swarm: nobody stops its process)', () => {
  let infra: Infra | undefined;
  afterEach(async () => {
    await infra?.close();
    infra = undefined;
  });

  it('stops at its next arrival, and a node started for the deleted app stops at once instead of waiting', async () => {
    const s = { ...scaledThesis({ timing: { arrivalMeanMs: 300, arrivalSdMs: 10, feedbackWindowMs: 8000, maxRepairs: 2, latencySdMs: 2 } }), source: 'scenarios/thesis.yaml' };
    infra = await startInfra(s);
    const i = infra;
    const job = await i.jobFor(1);
    const make = (signal: AbortSignal) => {
      let runs = 0;
      const node = new AppNode({ store: i.store, objects: i.objects, latency: i.latency, session: i.session, clock: systemClock, rng: createRng(1), scenario: s, appId: 1, runJob: (c, sig) => (runs++, job(c, sig)), warmUp: false, setupWaitMs: 60_000, signal });
      return { node, runs: () => runs };
    };
    const missing = ((await make(new AbortController().signal).node.preflight().catch((e: unknown) => e)) as UserError).details;
    for (const l of missing) await i.store.upsertImpact({ appId: 1, actionLabel: l, vector: zeroVector(), source: 'training', updatedAtMs: 0 });

    const guard = new AbortController();
    const timer = setTimeout(() => guard.abort(), 20_000); // a node that never noticed ends here, and the test fails below
    try {
      const first = make(guard.signal);
      const running = first.node.run();
      await expect.poll(() => first.runs(), { timeout: 10_000 }).toBeGreaterThan(0);
      await i.store.deleteApp(1);
      await expect(running).resolves.toBeUndefined();
      expect(guard.signal.aborted, 'the node stopped by itself, not by the signal').toBe(false);

      const t = Date.now();
      const again = make(guard.signal);
      await expect(again.node.run()).resolves.toBeUndefined();
      expect(guard.signal.aborted).toBe(false);
      expect(Date.now() - t, 'no setup wait for a deleted app').toBeLessThan(5_000);
      expect(again.runs()).toBe(0);
    } finally {
      clearTimeout(timer);
    }
  }, 30_000);
});
