import { afterEach, describe, expect, it } from 'vitest';
import type { Store } from '../../db/store.js';
import { ConflictError } from '../../model/errors.js';
import { AppNode, type CycleResult } from '../../nodes/node.js';
import { parseAction } from '../../decision/actions.js';
import type { Clock } from '../../util/clock.js';
import { createRng } from '../../util/rng.js';
import { scaledThesis, seedModelVectors, startInfra, type Infra } from './fixtures.js';

type Commit = { method: string; appId: number; label: string; ok: boolean };

/**
 * The real store, with its first two placement commits held until both have arrived: both apps
 * have read the same placement and decided before either writes, i.e. "at the same instant".
 */
function gatedStore(store: Store, log: Commit[]): Store {
  let gate = 2;
  const held: (() => void)[] = [];
  const wrap =
    (method: 'commitMove' | 'commitCopy' | 'commitChangeRef') =>
    async (arg: { event: { appId: number; actionLabel: string } }) => {
      if (gate > 0) {
        gate--;
        await new Promise<void>((release) => {
          held.push(release);
          if (held.length === 2) held.forEach((r) => r());
          setTimeout(release, 10_000).unref(); // the test then fails on its assertions instead of hanging
        });
      }
      try {
        const r = await (store[method] as (a: unknown) => Promise<unknown>)(arg);
        log.push({ method, appId: arg.event.appId, label: arg.event.actionLabel, ok: true });
        return r;
      } catch (e) {
        log.push({ method, appId: arg.event.appId, label: arg.event.actionLabel, ok: false });
        throw e;
      }
    };
  const wrapped = { commitMove: wrap('commitMove'), commitCopy: wrap('commitCopy'), commitChangeRef: wrap('commitChangeRef') };
  return new Proxy(store, {
    get(target, p) {
      if (p in wrapped) return wrapped[p as keyof typeof wrapped];
      const v = (target as unknown as Record<PropertyKey, unknown>)[p];
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

const fixedClock: Clock = { now: () => 5_000, sleep: async () => undefined };

describe('two apps choosing conflicting moves at the same instant', () => {
  let infra: Infra | undefined;
  afterEach(async () => {
    await infra?.close();
    infra = undefined;
  });

  it('exactly one move happens, the other re-decides, the events table holds exactly what happened', async () => {
    // app 2 now wants the data next to itself too (RT <= 250 ms): both want M3_x from node 3
    const s = scaledThesis({
      apps: [
        { id: 1, node: 1, goal: { all: [{ metric: 'responseTime', max: 250 }, { metric: 'availability', min: 95 }] } },
        { id: 2, node: 2, goal: { metric: 'responseTime', max: 250 } },
        { id: 3, node: 3, goal: { metric: 'latency', max: 390 } },
      ],
      decision: { epsilon: 0, rho: { responseTime: 300, executionTime: 20, throughput: 100_000, latency: 300, availability: 10, consistency: 0.5 } },
      timing: { arrivalMeanMs: 2000, arrivalSdMs: 200, feedbackWindowMs: 8000, maxRepairs: 1, latencySdMs: 2 },
    });
    infra = await startInfra(s);
    await seedModelVectors(infra.store, s);
    const commits: Commit[] = [];
    const store = gatedStore(infra.store, commits);
    const node = async (appId: number) =>
      new AppNode({ store, objects: infra!.objects, latency: infra!.latency, session: infra!.session, clock: fixedClock, rng: createRng(appId), scenario: s, appId, runJob: await infra!.jobFor(appId) });
    const [n1, n2] = [await node(1), await node(2)];
    await n1.preflight();
    await n2.preflight();

    const results: CycleResult[] = await Promise.all([n1.cycle(), n2.cycle()]);

    // the two held commits: both moves away from node 3, exactly one won
    const contended = commits.slice(0, 2);
    expect(contended.map((c) => c.label).sort()).toEqual(['M3_1', 'M3_2']);
    expect(contended.filter((c) => c.ok)).toHaveLength(1);
    const winner = contended.find((c) => c.ok)!;
    const loser = contended.find((c) => !c.ok)!;
    expect(results[0].conflicts + results[1].conflicts).toBe(1);
    expect(results[loser.appId - 1].conflicts).toBe(1);

    // the loser decided again on the new placement: its next choice starts from the winner's node
    const winnerNode = winner.appId; // app x's move goes to node x
    const redecided = commits.slice(2).find((c) => c.appId === loser.appId);
    if (redecided) {
      const a = parseAction(redecided.label);
      if (a.type === 'move' || a.type === 'copy') expect(a.from).toBe(winnerNode);
    }
    // the lost move is recorded as NA with a stale trace; the app measured again on the new
    // placement and decided there: its runs record only actions that happened, never the lost move
    const loserRuns = results[loser.appId - 1].runs;
    const loserChoices = results[loser.appId - 1].actions;
    expect(loserChoices[0]).toBe('NA');
    expect(loserRuns[0].decision).toMatchObject({ kind: 'stale', dataNode: 3 });
    expect(loserRuns[1].dataNode).toBe(winnerNode);
    expect(loserChoices[1]).toBe(redecided?.label ?? 'NA');
    expect(loserChoices).not.toContain(loser.label);
    expect(loserChoices).toHaveLength(loserRuns.length);

    // the events table holds exactly the commits that succeeded, in order
    const events = await infra.store.listEvents();
    expect(events.map((e) => `${e.appId}:${e.actionLabel}`)).toEqual(commits.filter((c) => c.ok).map((c) => `${c.appId}:${c.label}`));
    expect(events.filter((e) => e.actionLabel === loser.label)).toHaveLength(0);

    // no data lost, no orphans: every copy row's object exists, and nothing else is stored
    const copies = await infra.store.listCopies();
    for (const c of copies) expect(await infra.objects.statObject(c.bucket, c.objectKey)).toBeDefined();
    const stored: string[] = [];
    for (const b of await infra.objects.listBuckets()) for (const o of await infra.objects.listObjects(b)) stored.push(`${b}/${o.key}`);
    expect(stored.sort()).toEqual(copies.map((c) => `${c.bucket}/${c.objectKey}`).sort());
  }, 60_000);

  it('decides on the placement it measured: when another app moves the copy during the run, it measures again before deciding', async () => {
    const s = scaledThesis({ decision: { epsilon: 0, rho: { responseTime: 300, executionTime: 20, throughput: 100_000, latency: 300, availability: 10, consistency: 0.5 } } });
    infra = await startInfra(s);
    await seedModelVectors(infra.store, s);
    const job = await infra.jobFor(1);
    let moved = false;
    // while app 1's first run reads node 3, app 2 moves the copy to node 2
    const runJob: typeof job = async (copy, signal) => {
      const out = await job(copy, signal);
      if (!moved) {
        moved = true;
        await infra!.objects.ensureBucket('node-2');
        await infra!.objects.copyObject(copy.bucket, copy.objectKey, 'node-2', copy.objectKey);
        await infra!.store.commitMove({ copyId: copy.id, expectedVersion: copy.version, toNode: 2, bucket: 'node-2', event: { appId: 2, datasetId: copy.id, actionLabel: 'M3_2', actionType: 'move', createdAtMs: 5_000, closesAtMs: 13_000, explored: false } });
        await infra!.objects.deleteObject(copy.bucket, copy.objectKey);
      }
      return out;
    };
    const n1 = new AppNode({ store: infra.store, objects: infra.objects, latency: infra.latency, session: infra.session, clock: fixedClock, rng: createRng(1), scenario: s, appId: 1, runJob });
    const r = await n1.cycle();
    expect(r.runs[0]).toMatchObject({ dataNode: 3, actionLabel: 'NA', decision: { kind: 'stale', dataNode: 3 } });
    expect(r.runs[1].dataNode).toBe(2); // measured again where the data is now
    // every action taken was decided on the placement of the run that chose it
    for (const run of r.runs) {
      const a = run.actionLabel && run.actionLabel !== 'NA' ? parseAction(run.actionLabel) : undefined;
      if (a && (a.type === 'move' || a.type === 'copy')) expect(a.from).toBe(run.dataNode);
    }
    expect(r.actions.slice(1)).toContain('M2_1');
    // it was violated on node 3 while app 2's move was open: its feedback is on that event
    const [ev2] = (await infra.store.listEvents()).filter((e) => e.appId === 2);
    expect((await infra.store.listFeedback(ev2.id)).map((f) => f.appId)).toEqual([1]);
  }, 60_000);

  it('a commit on a stale version is a ConflictError and leaves no event (the store contract the loop relies on)', async () => {
    const s = scaledThesis();
    infra = await startInfra(s);
    const [copy] = await infra.store.listCopies();
    const ev = { appId: 1, datasetId: copy.id, actionLabel: 'M3_1', actionType: 'move' as const, createdAtMs: 1, closesAtMs: 2, explored: false };
    await infra.store.commitMove({ copyId: copy.id, expectedVersion: copy.version, toNode: 1, bucket: 'node-1', event: ev });
    await expect(infra.store.commitMove({ copyId: copy.id, expectedVersion: copy.version, toNode: 2, bucket: 'node-2', event: { ...ev, appId: 2, actionLabel: 'M3_2' } })).rejects.toBeInstanceOf(ConflictError);
    expect((await infra.store.listEvents()).map((e) => e.actionLabel)).toEqual(['M3_1']);
  });
});
