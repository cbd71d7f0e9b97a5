/**
 * Bounds on the ids and latencies an admin sets (issue 18): node/app ids 1..MAX_NODE_ID (a proxy
 * port may be derived from one), link latency 0..MAX_LATENCY_MS, every number finite. The API, the
 * add-node logic and the add-node CLI refuse the rest with a message naming the field and the range,
 * writing nothing.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addNodeToStore, CLI_FIELDS } from '../../controller/add-node.js';
import { createControllerApp } from '../../controller/server.js';
import { UserError } from '../../model/errors.js';
import { MAX_LATENCY_MS, MAX_NODE_ID } from '../../model/limits.js';
import { isolatedEnv } from '../helpers/env.js';
import { closedPort } from '../helpers/ports.js';
import { seedRealistic, tempStore, type TempStore } from './fixtures.js';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;

describe('limits: API', () => {
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

  const latency = { '1': 10, '2': 20, '3': 30 };
  /** A raw JSON body: 1e400 cannot be sent through JSON.stringify (it is Infinity there). */
  const raw = (method: 'post' | 'put', path: string, text: string) => request(app)[method](path).set('content-type', 'application/json').send(text);

  it(`POST /api/nodes: id 70000 is refused (400) naming the field and the range 1..${MAX_NODE_ID}; nothing is written`, async () => {
    for (const id of [70000, MAX_NODE_ID + 1, 0]) {
      const r = await request(app).post('/api/nodes').send({ id, availability: 90, latency }).expect(400);
      expect(r.body.error).toBe(`id: must be an integer from 1 to ${MAX_NODE_ID}, got ${id}`);
    }
    await request(app).post('/api/nodes').send({ id: MAX_NODE_ID, availability: 90, latency }).expect(201);
    expect((await t.store.listNodes()).map((n) => n.id).sort((a, b) => a - b)).toEqual([1, 2, 3, MAX_NODE_ID]);
  });

  it('POST /api/nodes: a latency above the bound, or not finite, is refused naming the peer', async () => {
    let r = await request(app).post('/api/nodes').send({ id: 4, availability: 90, latency: { ...latency, '2': 1e12 } }).expect(400);
    expect(r.body.error).toMatch(new RegExp(`latency: latency to node 2 must be at most ${MAX_LATENCY_MS} ms \\(10 minutes\\), got 1000000000000`));
    r = await raw('post', '/api/nodes', '{"id":4,"availability":90,"latency":{"1":10,"2":1e400,"3":30}}').expect(400);
    expect(r.body.error).toBe('latency.2: expected a finite number, got Infinity (out of range)');
    r = await raw('post', '/api/nodes', '{"id":4,"availability":1e400,"latency":{"1":10,"2":20,"3":30}}').expect(400);
    expect(r.body.error).toBe('availability: expected a finite number, got Infinity (out of range)');
    expect(await t.store.getNode(4)).toBeUndefined();
  });

  it('PUT /api/links: 1e12 ms is refused naming the field and the bound; the bound itself is accepted', async () => {
    const before = await t.store.getLatency(1, 2);
    let r = await request(app).put('/api/links/1/2').send({ latencyMs: 1e12 }).expect(400);
    expect(r.body.error).toBe(`latencyMs: must be at most ${MAX_LATENCY_MS} ms (10 minutes), got 1000000000000`);
    r = await raw('put', '/api/links/1/2', '{"latencyMs":1e400}').expect(400);
    expect(r.body.error).toBe('latencyMs: expected a finite number, got Infinity (out of range)');
    expect(await t.store.getLatency(1, 2)).toBe(before);
    await request(app).put('/api/links/1/2').send({ latencyMs: MAX_LATENCY_MS }).expect(200);
    expect(await t.store.getLatency(2, 1)).toBe(MAX_LATENCY_MS);
  });

  it('PUT /api/nodes: availability must be finite, 0..100', async () => {
    const r = await raw('put', '/api/nodes/2', '{"availability":1e400}').expect(400);
    expect(r.body.error).toBe('availability: expected a finite number, got Infinity (out of range)');
    expect((await request(app).put('/api/nodes/2').send({ availability: 101 }).expect(400)).body.error).toMatch(/^availability: must be <= 100/);
    expect((await t.store.getNode(2))?.availability).toBe(80);
  });

  it('node ids in the path are bounded too; event ids are not node ids', async () => {
    expect((await request(app).get('/api/nodes/70000').expect(400)).body.error).toBe(`id: must be a positive integer node id (1 to ${MAX_NODE_ID}), got "70000"`);
    expect((await request(app).put('/api/links/1/70000').send({ latencyMs: 5 }).expect(400)).body.error).toMatch(/^to: must be a positive integer node id/);
    expect((await request(app).get('/api/events/abc').expect(400)).body.error).toBe('id: must be a positive integer event id, got "abc"');
    await request(app).get('/api/events/70000').expect(404);
  });
});

describe('limits: add-node logic and CLI', () => {
  let t: TempStore;
  beforeEach(async () => {
    t = await tempStore();
  });
  afterEach(async () => t.cleanup());

  it('addNodeToStore names the flags: --id out of range, --latency above the bound', async () => {
    const err = await addNodeToStore(t.store, { id: 70000, availability: 90, storage: true, latency: { '1': 10, '2': 1e12, '3': 30 } }, CLI_FIELDS).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toContain(`--id: must be an integer from 1 to ${MAX_NODE_ID}, got 70000`);
    expect((err as UserError).message).toContain(`--latency: latency to node 2 must be at most ${MAX_LATENCY_MS} ms`);
    expect((await t.store.listNodes()).length).toBe(3);
  });


  async function cli(args: string[]) {
    const env = isolatedEnv({ FOGSIM_SQLITE_PATH: t.path, FOGSIM_API_URL: `http://127.0.0.1:${await closedPort()}`, FOGSIM_LOG_LEVEL: 'silent' });
    try {
      const r = await run(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'add-node', ...args], { cwd: root, env, timeout: 30_000 });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (e) {
      const err = e as { code: number; stdout: string; stderr: string };
      return { code: err.code, stdout: err.stdout, stderr: err.stderr };
    }
  }

  it('fogsim add-node --id 70000 / --latency 2=1000000000000: exit 1 naming the flag and the range', async () => {
    const a = await cli(['--id', '70000', '--availability', '90', '--latency', '1=10,2=20,3=30']);
    expect(a.code).toBe(1);
    expect(a.stderr).toBe(`fogsim: --id: expected an integer from 1 to ${MAX_NODE_ID}, got "70000"\n`);
    const b = await cli(['--id', '4', '--availability', '90', '--latency', '1=10,2=1000000000000,3=30']);
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(new RegExp(`--latency: latency to node 2 must be at most ${MAX_LATENCY_MS} ms`));
    expect((await t.store.listNodes()).length).toBe(3);
  }, 60_000);
});
