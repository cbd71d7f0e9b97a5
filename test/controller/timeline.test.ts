import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TimelineScheduler } from '../../controller/experiment/timeline.js';
import { Operations } from '../../controller/operations.js';
import { createControllerApp, startControllerServer } from '../../controller/server.js';
import { UserError } from '../../model/errors.js';
import { STEP_KINDS, type TimedStep } from '../../model/steps.js';
import { seedRealistic, tempStore, type TempStore } from './fixtures.js';

/*
 * The admin UI's operations (controller/operations.ts) as the timeline and the API apply them,
 * the scheduler that applies a run's timeline at each step's time, and the API's timeline routes,
 * on a real SqliteStore.
 */

let t: TempStore;
beforeEach(async () => {
  t = await tempStore();
});
afterEach(async () => {
  await t.cleanup();
});

function recorder() {
  const calls: string[] = [];
  const heard: { event: string; data: any }[] = [];
  return {
    calls,
    heard,
    hooks: {
      stopApp: async (id: number) => void calls.push(`stop ${id}`),
      startApp: async (id: number) => void calls.push(`start ${id}`),
      onNodeAdded: (a: { node: { id: number } }) => void calls.push(`added ${a.node.id}`),
    },
    listen: (event: string, data: unknown) => heard.push({ event, data }),
  };
}

describe('operations', () => {
  it('applies every kind of step on the store, records it and tells the subscribers', async () => {
    const r = recorder();
    let now = 1_700_000_000_000;
    const ops = new Operations(t.store, r.hooks, () => now++);
    ops.subscribe(r.listen);
    await ops.apply({ kind: 'setLatency', from: 1, to: 2, latencyMs: 250 }, 'timeline');
    await ops.apply({ kind: 'setAvailability', node: 3, availability: 60 }, 'timeline');
    await ops.apply({ kind: 'nodeDown', node: 2 }, 'timeline');
    await ops.apply({ kind: 'nodeUp', node: 2 }, 'admin');
    await ops.apply({ kind: 'addNode', id: 4, availability: 90, storage: true, latency: { 1: 300, 2: 800, 3: 900 }, goal: { metric: 'responseTime', max: 900 } }, 'timeline');
    await ops.apply({ kind: 'setBandwidth', from: 4, to: 3, rateKBps: 500 }, 'timeline');
    await ops.apply({ kind: 'setGoal', app: 2, goal: { metric: 'latency', max: 5 } }, 'admin');

    expect(await t.store.getLatency(2, 1)).toBe(250);
    expect((await t.store.getNode(3))!.availability).toBe(60);
    expect(await t.store.listDownNodes()).toEqual([]);
    expect((await t.store.listApps()).find((a) => a.id === 4)).toMatchObject({ nodeId: 4, goal: { metric: 'responseTime', max: 900 } });
    expect(await t.store.getBandwidth(3, 4)).toBe(500);
    expect((await t.store.listApps()).find((a) => a.id === 2)!.goal).toEqual({ metric: 'latency', max: 5 });
    // the apps on the node stop and start through the orchestrator's hooks; an added node's app starts
    // then the added node's app, and the node
    await ops.apply({ kind: 'deleteApp', app: 4 }, 'timeline');
    await ops.apply({ kind: 'deleteNode', node: 4 }, 'timeline');
    expect(r.calls).toEqual(['stop 2', 'start 2', 'added 4', 'stop 4']);
    expect((await t.store.listNodes()).map((n) => n.id)).toEqual([1, 2, 3]);
    expect((await t.store.listRemovals()).map((x) => `${x.kind} ${x.id}`)).toEqual(['node 4', 'app 4']);

    const rows = await t.store.listTimeline();
    expect(rows.map((x) => [x.kind, x.source, x.error])).toEqual(STEP_KINDS.map((k) => [k, k === 'nodeUp' || k === 'setGoal' ? 'admin' : 'timeline', null]));
    expect(rows[0]).toMatchObject({ atMs: 1_700_000_000_000, args: { from: 1, to: 2, latencyMs: 250 } });
    expect(rows[4].args).toEqual({ id: 4, availability: 90, storage: true, latency: { 1: 300, 2: 800, 3: 900 }, goal: { metric: 'responseTime', max: 900 } });
    expect(r.heard.filter((h) => h.event === 'timeline').map((h) => h.data.id)).toEqual(rows.map((x) => x.id));
    expect(r.heard.filter((h) => h.event !== 'timeline').map((h) => h.event)).toEqual(['link', 'node', 'node', 'node', 'node', 'link', 'app', 'app', 'node']);
    expect(r.heard.find((h) => h.event === 'node' && 'down' in h.data)!.data).toEqual({ down: 2, apps: [2] });
  });

  it('refuses a step the store cannot take with path-precise problems, recorded only when asked', async () => {
    const ops = new Operations(t.store);
    const err = await ops.apply({ kind: 'nodeDown', node: 9 }, 'admin').then(() => undefined, (e: unknown) => e as UserError);
    expect(err).toBeInstanceOf(UserError);
    expect(err!.details).toEqual(['do.node: node 9 does not exist; known nodes: 1, 2, 3']);
    expect(await t.store.listTimeline()).toEqual([]);
    await expect(ops.apply({ kind: 'addNode', id: 2, availability: 50, storage: true, latency: { 1: 1 } }, 'timeline', { recordRejected: true })).rejects.toThrow(UserError);
    const [row] = await t.store.listTimeline();
    expect(row).toMatchObject({ kind: 'addNode', source: 'timeline', error: expect.stringContaining('do.id: node 2 already exists') });
  });

  it('a step that fails half-way is recorded with its error', async () => {
    const ops = new Operations(t.store, { startApp: async () => Promise.reject(new Error('no runtime')) });
    await expect(ops.apply({ kind: 'nodeUp', node: 1 }, 'timeline')).rejects.toThrow(/node 1 is up, but its app could not start: app 1: no runtime/);
    expect((await t.store.listTimeline())[0]).toMatchObject({ kind: 'nodeUp', error: expect.stringContaining('no runtime') });
  });
});

describe('timeline scheduler', () => {
  it('applies each step at its time from the start, in order, and stops with close()', async () => {
    const ops = new Operations(t.store);
    const steps: TimedStep[] = [
      { at: 0, do: { kind: 'nodeDown', node: 3 }, origin: 'timeline[0]' },
      { at: 0.15, do: { kind: 'nodeUp', node: 3 }, origin: 'timeline[1]' },
      { at: 0.3, do: { kind: 'nodeDown', node: 9 }, origin: 'trace[line 2]' },
      { at: 60, do: { kind: 'nodeDown', node: 1 }, origin: 'timeline[2]' },
    ];
    const startedAtMs = Date.now();
    const lines: string[] = [];
    const s = new TimelineScheduler({ steps, operations: ops, startedAtMs, log: (l) => lines.push(l) });
    expect(s.pending).toBe(4);
    s.start();
    await expect.poll(() => s.pending, { timeout: 3_000 }).toBe(1);
    const rows = await t.store.listTimeline();
    expect(rows.map((r) => [r.kind, r.args.node, r.error === null])).toEqual([
      ['nodeDown', 3, true],
      ['nodeUp', 3, true],
      ['nodeDown', 9, false],
    ]);
    expect(rows[1].atMs - startedAtMs).toBeGreaterThanOrEqual(150);
    expect(rows[2].atMs).toBeGreaterThanOrEqual(rows[1].atMs);
    expect(s.lastAppliedAtMs).toBeGreaterThanOrEqual(rows[2].atMs);
    expect(lines[0]).toBe('timeline: 0 s: nodeDown node 3 (timeline[0])');
    expect(lines[2]).toMatch(/^timeline: 0\.3 s: nodeDown node 9 \(trace\[line 2\]\) could not be applied: cannot apply nodeDown: do\.node: node 9 does not exist/);
    await s.close();
    expect(s.pending).toBe(1);
    expect(await t.store.listDownNodes()).toEqual([]);
  });
});

describe('API: GET and POST /api/timeline', () => {
  it('applies a step by hand with the scenario schema, lists the steps, and records the admin writes', async () => {
    await seedRealistic(t.store, t.scenario);
    const app = createControllerApp({ store: t.store, scenario: t.scenario, pollMs: 50 });
    try {
      expect((await request(app).get('/api/timeline').expect(200)).body).toEqual([]);
      const r = await request(app).post('/api/timeline').send({ do: { kind: 'setBandwidth', from: 1, to: 3, rateKBps: 800 } }).expect(201);
      expect(r.body).toMatchObject({ kind: 'setBandwidth', args: { from: 1, to: 3, rateKBps: 800 }, source: 'admin', error: null });
      expect(await t.store.getBandwidth(3, 1)).toBe(800);

      const unknownKind = await request(app).post('/api/timeline').send({ do: { kind: 'explode', node: 1 } }).expect(400);
      expect(unknownKind.body.error).toBe(`do.kind: unknown kind "explode"; expected one of ${STEP_KINDS.join(', ')}`);
      const unknownNode = await request(app).post('/api/timeline').send({ do: { kind: 'nodeDown', node: 9 } }).expect(400);
      expect(unknownNode.body.error).toBe('cannot apply nodeDown: do.node: node 9 does not exist; known nodes: 1, 2, 3');
      const badField = await request(app).post('/api/timeline').send({ do: { kind: 'setAvailability', node: 1, availability: 101 } }).expect(400);
      expect(badField.body.error).toBe('do.availability: must be <= 100');
      await request(app).post('/api/timeline').send({}).expect(400);

      // the matrix, the availability field and add-node are steps too (source admin)
      await request(app).put('/api/links/1/2').send({ latencyMs: 640 }).expect(200);
      await request(app).put('/api/nodes/2').send({ availability: 70 }).expect(200);
      await request(app).put('/api/nodes/2').send({ storage: false }).expect(200);
      await request(app).post('/api/nodes').send({ id: 4, availability: 90, latency: { 1: 100, 2: 200, 3: 300 } }).expect(201);
      const all = (await request(app).get('/api/timeline').expect(200)).body as { id: number; kind: string; source: string }[];
      expect(all.map((x) => `${x.source} ${x.kind}`)).toEqual(['admin setBandwidth', 'admin setLatency', 'admin setAvailability', 'admin addNode']);
      expect((await request(app).get(`/api/timeline?afterId=${all[1].id}`).expect(200)).body.map((x: { id: number }) => x.id)).toEqual([all[2].id, all[3].id]);
      expect((await request(app).get('/api/health').expect(200)).body.strategy).toBe('original');
    } finally {
      app.feed.close();
      app.detach();
    }
  });

  it('streams every step as it is applied, by the operations or found in the store', async () => {
    await seedRealistic(t.store, t.scenario);
    const ops = new Operations(t.store);
    const srv = await startControllerServer({ store: t.store, scenario: t.scenario, port: 0, pollMs: 50, operations: ops });
    const ac = new AbortController();
    try {
      const res = await fetch(`${srv.url}/api/stream`, { signal: ac.signal });
      const reader = res.body!.getReader();
      const dec = new TextDecoder();
      let buf = '';
      const steps: { id: number; kind: string }[] = [];
      const read = async (n: number) => {
        while (steps.length < n) {
          const { value } = await reader.read();
          buf += dec.decode(value, { stream: true });
          for (const m of buf.matchAll(/event: timeline\ndata: (.*)\n/g)) if (!steps.some((s) => s.id === JSON.parse(m[1]).id)) steps.push(JSON.parse(m[1]));
        }
      };
      await new Promise((r) => setTimeout(r, 100));
      // through the session's operations (the scheduler's path): at once
      await ops.apply({ kind: 'nodeDown', node: 1 }, 'timeline');
      // written by another process: the poll finds it
      await t.store.recordStep({ atMs: Date.now(), kind: 'nodeUp', args: { node: 1 }, source: 'timeline', error: null });
      await read(2);
      expect(steps.map((s) => s.kind)).toEqual(['nodeDown', 'nodeUp']);
      // each once
      await new Promise((r) => setTimeout(r, 200));
      expect([...buf.matchAll(/event: timeline/g)]).toHaveLength(2);
    } finally {
      ac.abort();
      await srv.close();
    }
  });
});
