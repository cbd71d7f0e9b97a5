import request from 'supertest';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createControllerApp, startControllerServer, type RunningController } from '../../controller/server.js';
import { UserError } from '../../model/errors.js';
import { MemoryTelemetryBus } from '../../telemetry/memory-bus.js';
import { makeRun, seedRealistic, tempStore, type TempStore } from './fixtures.js';
import { readStream } from '../helpers/sse.js';


describe('controller REST API (real SqliteStore on a temp file)', () => {
  let t: TempStore;
  let app: ReturnType<typeof createControllerApp>;

  beforeEach(async () => {
    t = await tempStore();
    await seedRealistic(t.store, t.scenario);
    app = createControllerApp({ store: t.store, scenario: t.scenario, pollMs: 50 });
  });
  afterEach(async () => {
    app.feed.close();
    await t.cleanup();
  });

  it('GET /api/health names the service and the store', async () => {
    const r = await request(app).get('/api/health').expect(200);
    expect(r.body).toMatchObject({ ok: true, service: 'fogsim-controller', store: 'sqlite', scenario: 'thesis', nodes: 3 });
  });

  it('GET /api/nodes lists {id, name, availability, storage, apps}; no runtime here: app states unknown', async () => {
    const r = await request(app).get('/api/nodes').expect(200);
    const apps = (id: number) => [{ id, state: null, restarts: 0, error: null }];
    expect(r.body).toEqual([
      { id: 1, name: 'node1', availability: 97, storage: true, apps: apps(1) },
      { id: 2, name: 'node2', availability: 80, storage: true, apps: apps(2) },
      { id: 3, name: 'node3', availability: 85, storage: true, apps: apps(3) },
    ]);
  });

  it('GET /api/nodes/:id: one node, 404 for an unknown id, 400 for a non-number', async () => {
    expect((await request(app).get('/api/nodes/2').expect(200)).body.availability).toBe(80);
    expect((await request(app).get('/api/nodes/9').expect(404)).body.error).toMatch(/node 9 does not exist/);
    expect((await request(app).get('/api/nodes/abc').expect(400)).body.error).toMatch(/^id: must be a positive integer/);
  });

  it('PUT /api/nodes/:id changes availability and storage in the store', async () => {
    const r = await request(app).put('/api/nodes/2').send({ availability: 55.5, storage: false }).expect(200);
    expect(r.body).toMatchObject({ id: 2, availability: 55.5, storage: false });
    expect(await t.store.getNode(2)).toMatchObject({ availability: 55.5, storage: false });
  });

  it('PUT /api/nodes/:id: 400 naming the field for out-of-range, wrong-typed, unknown or missing fields; 404 for an unknown node', async () => {
    for (const [body, re] of [
      [{ availability: 101 }, /^availability: must be <= 100/],
      [{ availability: -1 }, /^availability: must be >= 0/],
      [{ availability: '90' }, /^availability: expected number/],
      [{ storage: 'yes' }, /^storage: expected boolean/],
      [{ colour: 'red' }, /unknown field\(s\) "colour"/],
      [{}, /give at least one of availability/],
    ] as const) {
      const r = await request(app).put('/api/nodes/1').send(body).expect(400);
      expect(r.body.error).toMatch(re);
    }
    expect((await t.store.getNode(1))!.availability).toBe(97);
    await request(app).put('/api/nodes/42').send({ availability: 50 }).expect(404);
  });

  it('a malformed JSON body is a 400 saying so', async () => {
    const r = await request(app).put('/api/nodes/1').set('content-type', 'application/json').send('{"availability": ').expect(400);
    expect(r.body.error).toMatch(/not valid JSON/);
  });

  it('GET /api/links lists both directions; ?node filters; bad ?node is a 400', async () => {
    const r = await request(app).get('/api/links').expect(200);
    expect(r.body).toContainEqual({ from: 1, to: 3, latencyMs: 1500 });
    expect(r.body).toContainEqual({ from: 3, to: 1, latencyMs: 1500 });
    const only2 = (await request(app).get('/api/links?node=2').expect(200)).body as { from: number; to: number }[];
    expect(only2.length).toBeGreaterThan(0);
    expect(only2.every((l) => l.from === 2 || l.to === 2)).toBe(true);
    expect((await request(app).get('/api/links?node=x').expect(400)).body.error).toMatch(/^\?node: must be an integer/);
  });

  it('PUT /api/links/:from/:to sets both directions in the store', async () => {
    const r = await request(app).put('/api/links/1/3').send({ latencyMs: 250 }).expect(200);
    expect(r.body).toEqual([
      { from: 1, to: 3, latencyMs: 250 },
      { from: 3, to: 1, latencyMs: 250 },
    ]);
    expect(await t.store.getLatency(1, 3)).toBe(250);
    expect(await t.store.getLatency(3, 1)).toBe(250);
  });

  it('PUT /api/links: 400 for a negative or missing latency and for a node to itself, 404 for an unknown node', async () => {
    expect((await request(app).put('/api/links/1/2').send({ latencyMs: -5 }).expect(400)).body.error).toMatch(/^latencyMs: must be >= 0/);
    expect((await request(app).put('/api/links/1/2').send({}).expect(400)).body.error).toMatch(/^latencyMs: required/);
    expect((await request(app).put('/api/links/2/2').send({ latencyMs: 5 }).expect(400)).body.error).toMatch(/itself/);
    expect((await request(app).put('/api/links/0/2').send({ latencyMs: 5 }).expect(400)).body.error).toMatch(/^from: must be a positive integer/);
    expect((await request(app).put('/api/links/1/7').send({ latencyMs: 5 }).expect(404)).body.error).toMatch(/node 7 does not exist/);
    expect(await t.store.getLatency(1, 2)).toBe(1000);
  });

  it('POST /api/nodes adds the node, its links both ways and optionally its app', async () => {
    const body = { id: 4, availability: 92, storage: true, latency: { '1': 300, '2': 900, '3': 1100 }, goal: { metric: 'responseTime', max: 900 } };
    const r = await request(app).post('/api/nodes').send(body).expect(201);
    expect(r.body.node).toEqual({ id: 4, name: 'node4', availability: 92, storage: true });
    expect(r.body.app).toEqual({ id: 4, nodeId: 4, goal: { metric: 'responseTime', max: 900 } });
    expect(await t.store.getLatency(4, 1)).toBe(300);
    expect(await t.store.getLatency(3, 4)).toBe(1100);
    expect((await t.store.listApps()).map((a) => a.id)).toContain(4);
  });

  it('POST /api/nodes calls the onNodeAdded hook (the orchestrator starts the app there)', async () => {
    const added: number[] = [];
    const app2 = createControllerApp({ store: t.store, onNodeAdded: (a) => void added.push(a.node.id) });
    await request(app2).post('/api/nodes').send({ id: 5, availability: 90, latency: { '1': 1, '2': 2, '3': 3 } }).expect(201);
    app2.feed.close();
    expect(added).toEqual([5]);
  });

  it('POST /api/nodes refuses an existing id, unknown peers, missing or negative latencies, bad goals — writing nothing', async () => {
    const cases: [object, RegExp][] = [
      [{ id: 2, availability: 90, latency: { '1': 1, '3': 3 } }, /id: node 2 already exists/],
      [{ id: 4, availability: 90, latency: { '1': 1, '2': 2, '3': 3, '9': 4 } }, /latency: unknown peer node "9"/],
      [{ id: 4, availability: 90, latency: { '1': 1, '2': 2 } }, /latency: missing latency to node\(s\) 3/],
      [{ id: 4, availability: 90, latency: { '1': 1, '2': -2, '3': 3 } }, /latency: latency to node 2 must be >= 0/],
      [{ id: 4, availability: 190, latency: { '1': 1, '2': 2, '3': 3 } }, /^availability: must be <= 100/],
      [{ id: 4, availability: 90 }, /^latency: required/],
      [{ id: 4, availability: 90, latency: { '1': 1, '2': 2, '3': 3 }, goal: { metric: 'rt', max: 1 } }, /goal\.metric: unknown metric "rt"/],
    ];
    for (const [body, re] of cases) {
      const r = await request(app).post('/api/nodes').send(body).expect(400);
      expect(r.body.error).toMatch(re);
    }
    expect((await t.store.listNodes()).map((n) => n.id)).toEqual([1, 2, 3]);
  });

  it('GET /api/apps gives each app its goal, reference copy and data node', async () => {
    const r = await request(app).get('/api/apps').expect(200);
    expect(r.body.map((a: { id: number; dataNode: number }) => [a.id, a.dataNode])).toEqual([
      [1, 1],
      [2, 2],
      [3, 2],
    ]);
    expect(r.body[0].goal).toEqual({ all: [{ metric: 'responseTime', max: 800 }, { metric: 'availability', min: 95 }] });
  });

  it('GET /api/placements lists every copy with the apps that reference it', async () => {
    const r = await request(app).get('/api/placements').expect(200);
    expect(r.body.map((c: { nodeId: number; referencedBy: number[] }) => [c.nodeId, c.referencedBy])).toEqual([
      [1, [1]],
      [2, [2, 3]],
    ]);
  });

  it('GET /api/events pages newest first with feedback; filters by app, state and action; 400 on bad query', async () => {
    const all = (await request(app).get('/api/events').expect(200)).body;
    expect(all.total).toBe(3);
    expect(all.items.map((e: { actionLabel: string }) => e.actionLabel)).toEqual(['CR2', 'C1_2', 'M3_1']);
    const withFb = all.items.find((e: { actionLabel: string }) => e.actionLabel === 'C1_2');
    expect(withFb.feedback.length).toBeGreaterThan(0);
    expect(withFb.feedback[0]).toMatchObject({ eventId: withFb.id, appId: 3 });
    const page = (await request(app).get('/api/events?limit=1&offset=1').expect(200)).body;
    expect(page).toMatchObject({ total: 3, limit: 1, offset: 1 });
    expect(page.items.map((e: { actionLabel: string }) => e.actionLabel)).toEqual(['C1_2']);
    expect((await request(app).get('/api/events?appId=1').expect(200)).body.items.map((e: { appId: number }) => e.appId)).toEqual([1]);
    expect((await request(app).get('/api/events?action=CR2').expect(200)).body.total).toBe(1);
    expect((await request(app).get('/api/events?active=true').expect(200)).body.total).toBe(0);
    expect((await request(app).get('/api/events?active=maybe').expect(400)).body.error).toMatch(/^\?active: must be true or false/);
    expect((await request(app).get('/api/events?limit=0').expect(400)).body.error).toMatch(/^\?limit: must be an integer between 1 and 1000/);
  });

  it('GET /api/events/:id with feedback; 404 unknown', async () => {
    const r = await request(app).get('/api/events/2').expect(200);
    expect(r.body).toMatchObject({ id: 2, actionLabel: 'C1_2' });
    expect(Array.isArray(r.body.feedback)).toBe(true);
    await request(app).get('/api/events/99').expect(404);
  });

  it('GET /api/feedback lists feedback, by event', async () => {
    const r = await request(app).get('/api/feedback').expect(200);
    expect(r.body.length).toBeGreaterThanOrEqual(2);
    const one = (await request(app).get('/api/feedback?eventId=2').expect(200)).body as { eventId: number }[];
    expect(one.every((f) => f.eventId === 2)).toBe(true);
  });

  it('GET /api/counters lists {label, value}', async () => {
    await t.store.adjustCounter('M1_2', 2);
    const r = await request(app).get('/api/counters').expect(200);
    expect(r.body).toContainEqual({ label: 'M1_2', value: 2 });
    expect(r.body.map((c: { label: string }) => c.label)).toEqual([...r.body.map((c: { label: string }) => c.label)].sort());
  });

  it('GET /api/impacts: every vector, or one app; 400 on a bad appId', async () => {
    const all = (await request(app).get('/api/impacts').expect(200)).body;
    expect(all.length).toBe(27);
    const app2 = (await request(app).get('/api/impacts?appId=2').expect(200)).body as { appId: number; vector: Record<string, number> }[];
    expect(app2.length).toBe(9);
    expect(Object.keys(app2[0].vector).sort()).toEqual(['availability', 'consistency', 'executionTime', 'latency', 'responseTime', 'throughput']);
    await request(app).get('/api/impacts?appId=-1').expect(400);
  });

  it('GET /api/runs pages with a total, filters by app, newest first with order=desc; 400 on bad paging', async () => {
    const total = await t.store.countRuns();
    const p1 = (await request(app).get('/api/runs?limit=10&offset=5').expect(200)).body;
    expect(p1).toMatchObject({ total, limit: 10, offset: 5 });
    expect(p1.items).toHaveLength(10);
    expect(p1.items[0].id).toBe(6);
    const byApp = (await request(app).get('/api/runs?appId=2&limit=1000').expect(200)).body;
    expect(byApp.total).toBe(await t.store.countRuns(2));
    expect(byApp.items.every((r: { appId: number }) => r.appId === 2)).toBe(true);
    const desc = (await request(app).get('/api/runs?order=desc&limit=3').expect(200)).body;
    expect(desc.items.map((r: { id: number }) => r.id)).toEqual([total, total - 1, total - 2]);
    const lastPage = (await request(app).get(`/api/runs?order=desc&limit=10&offset=${total - 2}`).expect(200)).body;
    expect(lastPage.items.map((r: { id: number }) => r.id)).toEqual([2, 1]);
    const after = (await request(app).get(`/api/runs?afterId=${total - 1}`).expect(200)).body;
    expect(after.items.map((r: { id: number }) => r.id)).toEqual([total]);
    expect((await request(app).get('/api/runs?limit=abc').expect(400)).body.error).toMatch(/^\?limit: must be an integer/);
    expect((await request(app).get('/api/runs?offset=-1').expect(400)).body.error).toMatch(/^\?offset: must be an integer >= 0/);
    expect((await request(app).get('/api/runs?order=up').expect(400)).body.error).toMatch(/^\?order: must be asc/);
  });

  it('GET /api/convergence: converged after the seeded history, not once a violation is the latest run', async () => {
    expect((await request(app).get('/api/convergence').expect(200)).body).toMatchObject({ converged: true, windowRuns: 3 });
    await t.store.insertRun(makeRun(2, Date.now(), { goalMet: false, actionLabel: 'M1_2' }));
    const c = (await request(app).get('/api/convergence').expect(200)).body;
    expect(c.converged).toBe(false);
    expect(c.apps.find((a: { appId: number }) => a.appId === 2).converged).toBe(false);
  });

  it('a convergence function from the orchestrator takes precedence', async () => {
    const state = { converged: false, windowRuns: 5, openEvents: 7, apps: [] };
    const app2 = createControllerApp({ store: t.store, convergence: () => state });
    expect((await request(app2).get('/api/convergence').expect(200)).body).toEqual(state);
    app2.feed.close();
  });

  it('unknown API routes are a JSON 404; the UI, the dashboard and chart.js are served', async () => {
    expect((await request(app).get('/api/nope').expect(404)).body.error).toMatch(/no API route GET \/api\/nope/);
    expect((await request(app).get('/').expect(200)).text).toContain('Latency matrix');
    expect((await request(app).get('/dashboard').expect(200)).text).toContain('/vendor/chart.umd.min.js');
    const js = await request(app).get('/vendor/chart.umd.min.js').expect(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
  });
});

describe('token rule and server start', () => {
  let t: TempStore;
  const servers: RunningController[] = [];
  beforeAll(async () => {
    t = await tempStore();
  });
  afterAll(async () => {
    for (const s of servers) await s.close();
    await t.cleanup();
  });

  it('with a token every write needs Authorization: Bearer, reads stay open', async () => {
    const app = createControllerApp({ store: t.store, token: 's3cret' });
    expect((await request(app).put('/api/nodes/1').send({ availability: 50 }).expect(401)).body.error).toMatch(/Bearer/);
    await request(app).put('/api/nodes/1').set('authorization', 'Bearer wrong').send({ availability: 50 }).expect(401);
    await request(app).post('/api/nodes').send({ id: 9, availability: 1, latency: {} }).expect(401);
    await request(app).put('/api/links/1/2').send({ latencyMs: 1 }).expect(401);
    await request(app).get('/api/nodes').expect(200);
    await request(app).put('/api/nodes/1').set('authorization', 'Bearer s3cret').send({ availability: 50 }).expect(200);
    expect((await t.store.getNode(1))!.availability).toBe(50);
    app.feed.close();
  });

  it('refuses to listen on a non-loopback address without a token', async () => {
    const saved = process.env.FOGSIM_ADMIN_TOKEN;
    delete process.env.FOGSIM_ADMIN_TOKEN;
    try {
      await expect(startControllerServer({ store: t.store, host: '0.0.0.0', port: 0 })).rejects.toThrow(/FOGSIM_ADMIN_TOKEN/);
      await expect(startControllerServer({ store: t.store, host: '0.0.0.0', port: 0 })).rejects.toBeInstanceOf(UserError);
    } finally {
      if (saved !== undefined) process.env.FOGSIM_ADMIN_TOKEN = saved;
    }
  });

  it('on 0.0.0.0 with a token it starts and enforces it', async () => {
    const s = await startControllerServer({ store: t.store, host: '0.0.0.0', port: 0, token: 'tok' });
    servers.push(s);
    const res = await fetch(`${s.url}/api/nodes/2`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"availability": 70}' });
    expect(res.status).toBe(401);
  });

  it('binds 127.0.0.1 by default; a port in use is a UserError naming the port', async () => {
    const s = await startControllerServer({ store: t.store, port: 0 });
    servers.push(s);
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await expect(startControllerServer({ store: t.store, port: s.port })).rejects.toThrow(new RegExp(`--port ${s.port}: .*already in use`));
  });
});

describe('GET /api/stream (server-sent events)', () => {
  let t: TempStore;
  let srv: RunningController;
  beforeEach(async () => {
    t = await tempStore();
    await seedRealistic(t.store, t.scenario);
  });
  afterEach(async () => {
    await srv?.close();
    await t.cleanup();
  });

  it('streams new runs, actions, feedback, closures and convergence changes found by polling the store (no telemetry)', async () => {
    srv = await startControllerServer({ store: t.store, scenario: t.scenario, port: 0, pollMs: 50 });
    const before = await t.store.countRuns();
    const now = Date.now();
    const reading = readStream(srv.url, (ev) => ev.some((e) => e.event === 'event') && ev.filter((e) => e.event === 'convergence').length >= 2);
    await new Promise((r) => setTimeout(r, 200));
    // a violation with an action, feedback from another app, then the event closes
    await t.store.insertRun(makeRun(1, now, { goalMet: false, actionLabel: 'C1_3', dataNode: 1, availability: 97 }));
    const copies = await t.store.listCopies();
    const c1 = copies.find((c) => c.nodeId === 1)!;
    const { event } = await t.store.commitCopy({ sourceCopyId: c1.id, expectedVersion: c1.version, toNode: 3, bucket: 'node-3', objectKey: 'x', appId: 1, event: { appId: 1, datasetId: c1.id, actionLabel: 'C1_3', actionType: 'copy', createdAtMs: now, closesAtMs: now + 100, explored: false } });
    await new Promise((r) => setTimeout(r, 150));
    await t.store.addFeedback({ eventId: event.id, appId: 2, value: 0.8, createdAtMs: now + 50 });
    await new Promise((r) => setTimeout(r, 150));
    await t.store.closeDueEvents(now + 1000, () => ({ globalFeedback: 0.4, counterDelta: 1 }));
    const got = await reading;
    const names = got.map((e) => e.event);
    expect(names[0]).toBe('convergence');
    expect(got[0].data.converged).toBe(true);
    const runs = got.filter((e) => e.event === 'run');
    expect(runs.map((e) => e.data.id)).toEqual([before + 1]);
    expect(got.find((e) => e.event === 'action')!.data).toMatchObject({ id: event.id, actionLabel: 'C1_3', feedback: [] });
    expect(got.find((e) => e.event === 'feedback')!.data).toMatchObject({ eventId: event.id, appId: 2, value: 0.8 });
    expect(got.find((e) => e.event === 'event')!.data).toMatchObject({ id: event.id, active: false, globalFeedback: 0.4 });
    expect(got.filter((e) => e.event === 'convergence').at(-1)!.data.converged).toBe(false);
  });

  it('forwards telemetry (the in-memory bus) at once and does not repeat what polling then finds', async () => {
    const bus = new MemoryTelemetryBus();
    // polling slower than the test: anything that arrives came through the bus
    srv = await startControllerServer({ store: t.store, scenario: t.scenario, port: 0, telemetry: bus, pollMs: 60_000 });
    const reading = readStream(srv.url, (ev) => ['run', 'action', 'feedback', 'event'].every((n) => ev.some((e) => e.event === n)), 4_000);
    await new Promise((r) => setTimeout(r, 200));
    const run = makeRun(3, Date.now());
    const id = await t.store.insertRun(run);
    bus.publish('runs', '3', { id, ...run });
    const c = (await t.store.listCopies())[0];
    const now = Date.now();
    const { event } = await t.store.commitChangeRef({ appId: 1, toCopyId: c.id, expectedVersion: c.version, event: { appId: 1, datasetId: c.id, actionLabel: 'CR1', actionType: 'changeRef', createdAtMs: now, closesAtMs: now + 10, explored: false } });
    bus.publish('events', '1', event);
    const fb = { eventId: event.id, appId: 3, value: 0.5, createdAtMs: now + 5 };
    await t.store.addFeedback(fb);
    bus.publish('feedback', '3', fb);
    const [closed] = await t.store.closeDueEvents(now + 20, () => ({ globalFeedback: 0.25, counterDelta: -1 }));
    bus.publish('events', '1', closed);
    const got = await reading;
    expect(got.filter((e) => e.event === 'run').map((e) => e.data.id)).toEqual([id]);
    expect(got.find((e) => e.event === 'action')!.data).toMatchObject({ id: event.id, actionLabel: 'CR1' });
    expect(got.find((e) => e.event === 'feedback')!.data).toMatchObject(fb);
    expect(got.find((e) => e.event === 'event')!.data).toMatchObject({ id: event.id, active: false, globalFeedback: 0.25 });
    // a poll now finds the same rows in the store and must not send them again
    const again = readStream(srv.url, () => false, 600);
    await new Promise((r) => setTimeout(r, 100));
    await srv.app.feed.poll();
    expect((await again).filter((e) => e.event !== 'convergence')).toEqual([]);
    await bus.close();
  });

  it('a node added through the API is announced on the stream', async () => {
    srv = await startControllerServer({ store: t.store, port: 0, pollMs: 1_000 });
    const reading = readStream(srv.url, (ev) => ev.some((e) => e.event === 'node'), 3_000);
    await new Promise((r) => setTimeout(r, 200));
    await fetch(`${srv.url}/api/nodes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 4, availability: 90, latency: { 1: 10, 2: 20, 3: 30 } }) });
    const got = await reading;
    expect(got.find((e) => e.event === 'node')!.data.added).toMatchObject({ id: 4 });
  });
});
