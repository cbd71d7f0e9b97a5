/**
 * DELETE /api/nodes/:id and /api/apps/:id (issue 18.4) on a real SqliteStore holding the
 * realistic history of fixtures.ts: copy 1 on node 1 read by app 1, copy 2 on node 2 read by
 * apps 2 and 3, each app with runs, events and impact vectors.
 */
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createControllerApp } from '../../controller/server.js';
import { Operations } from '../../controller/operations.js';
import { bucketForNode } from '../../objectstore/object-store.js';
import { seedRealistic, tempStore, type TempStore } from './fixtures.js';

describe('DELETE /api/nodes/:id and /api/apps/:id', () => {
  let t: TempStore;
  let app: ReturnType<typeof createControllerApp>;
  let calls: string[];
  /** runs before each stop: a test makes the placement change while the apps stop */
  let onStop: (appId: number) => Promise<void>;

  beforeEach(async () => {
    t = await tempStore();
    await seedRealistic(t.store, t.scenario);
    calls = [];
    onStop = async () => undefined;
    const operations = new Operations(t.store, {
      stopApp: async (id) => {
        calls.push(`stop ${id}`);
        await onStop(id);
      },
      startApp: async (id) => void calls.push(`start ${id}`),
      deleteObject: async (bucket, key) => void calls.push(`delete ${bucket}/${key}`),
      removeEmptyBucket: async (bucket) => (calls.push(`bucket ${bucket}`), 'deleted'),
    });
    app = createControllerApp({ store: t.store, scenario: t.scenario, operations, pollMs: 50 });
  });
  afterEach(async () => {
    app.feed.close();
    app.detach();
    await t.cleanup();
  });

  const copies = async () => (await request(app).get('/api/placements').expect(200)).body as { id: number; nodeId: number; objectKey: string; referencedBy: number[] }[];

  it('the history as the tests expect it: copy 1 on node 1 (app 1), copy 2 on node 2 (apps 2, 3)', async () => {
    expect((await copies()).map((c) => [c.id, c.nodeId, c.referencedBy])).toEqual([
      [1, 1, [1]],
      [2, 2, [2, 3]],
    ]);
  });

  it('an app: its process stops, it is gone from /api/apps with its impact vectors; its runs and events stay', async () => {
    const runsBefore = (await request(app).get('/api/runs?appId=3&limit=1').expect(200)).body.total as number;
    const eventsBefore = (await request(app).get('/api/events?appId=3').expect(200)).body.total as number;
    expect(runsBefore).toBeGreaterThan(0);
    expect(eventsBefore).toBe(1);
    const otherVectors = (await request(app).get('/api/impacts?appId=2').expect(200)).body.length as number;

    const r = await request(app).delete('/api/apps/3').expect(200);
    expect(r.body).toMatchObject({ app: { id: 3, nodeId: 3, datasetId: 2 }, impacts: 9, runsKept: runsBefore, warnings: [] });
    expect(calls).toEqual(['stop 3']);
    expect((await request(app).get('/api/apps').expect(200)).body.map((a: { id: number }) => a.id)).toEqual([1, 2]);
    expect((await request(app).get('/api/impacts?appId=3').expect(200)).body).toEqual([]);
    expect((await request(app).get('/api/impacts?appId=2').expect(200)).body).toHaveLength(otherVectors);
    expect((await request(app).get('/api/runs?appId=3&limit=1').expect(200)).body.total).toBe(runsBefore);
    expect((await request(app).get('/api/events?appId=3').expect(200)).body.total).toBe(eventsBefore);
    // its node stays, without an app; its copy stays, read by app 2 alone
    expect((await request(app).get('/api/nodes/3').expect(200)).body.apps).toEqual([]);
    expect((await copies()).find((c) => c.id === 2)?.referencedBy).toEqual([2]);

    expect((await request(app).delete('/api/apps/3').expect(404)).body.error).toBe('app 3 does not exist');
    expect(calls).toEqual(['stop 3']); // nothing stopped for a 404
  });

  it('a node with links and a copy that is not the last: its app, links and copy go, its object is deleted, app 3 is re-pointed to copy 1', async () => {
    const key = (await copies()).find((c) => c.id === 2)!.objectKey;
    const r = await request(app).delete('/api/nodes/2').expect(200);
    expect(r.body).toMatchObject({
      node: { id: 2, name: 'node2' },
      apps: [2],
      copies: [{ id: 2, nodeId: 2, bucket: bucketForNode(2) }],
      repointed: [{ app: 3, from: { copy: 2, node: 2 }, to: { copy: 1, node: 1 } }],
      objects: [`${bucketForNode(2)}/${key}`],
      bucket: bucketForNode(2),
      warnings: [],
    });
    expect(r.body.links).toHaveLength(4);
    // the bucket after its objects, so it is empty by then
    expect(calls).toEqual(['stop 2', `delete ${bucketForNode(2)}/${key}`, `bucket ${bucketForNode(2)}`]);

    expect((await request(app).get('/api/nodes').expect(200)).body.map((n: { id: number }) => n.id)).toEqual([1, 3]);
    expect((await request(app).get('/api/links').expect(200)).body).toEqual([
      { from: 1, to: 3, latencyMs: 1500 },
      { from: 3, to: 1, latencyMs: 1500 },
    ]);
    expect((await copies()).map((c) => [c.id, c.nodeId, c.referencedBy])).toEqual([[1, 1, [1, 3]]]);
    const apps = (await request(app).get('/api/apps').expect(200)).body as { id: number; dataNode: number }[];
    expect(apps.map((a) => [a.id, a.dataNode])).toEqual([
      [1, 1],
      [3, 1],
    ]);
    // vectors of actions to or from node 2 are gone for every app (a node reusing the id is another node)
    const labels = ((await request(app).get('/api/impacts').expect(200)).body as { actionLabel: string }[]).map((v) => v.actionLabel);
    expect(labels.filter((l) => /^(M|C)2_|_2$|^CR2$/.test(l))).toEqual([]);
    expect((await request(app).get('/api/runs?appId=2&limit=1').expect(200)).body.total).toBeGreaterThan(0);
    expect((await request(app).delete('/api/nodes/2').expect(404)).body.error).toBe('node 2 does not exist');
  });

  it('the last copy of a data set an app still reads: 409 naming the data set, the node and the app; nothing stops, nothing changes', async () => {
    await request(app).delete('/api/nodes/2').expect(200);
    calls = [];
    const r = await request(app).delete('/api/nodes/1').expect(409);
    expect(r.body.error).toBe('node 1 cannot be deleted: node 1 holds the last copy of data set 1 (copy 1), read by app(s) 3; delete those apps first, or wait until the data set has a copy on another node');
    expect(calls).toEqual([]);
    expect((await request(app).get('/api/nodes/1').expect(200)).body.apps).toEqual([{ id: 1, state: null, restarts: 0, error: null }]);
    expect(await copies()).toHaveLength(1);
    // once its reader is gone, the node may go, with the data set nobody reads
    await request(app).delete('/api/apps/3').expect(200);
    expect((await request(app).delete('/api/nodes/1').expect(200)).body).toMatchObject({ apps: [1], copies: [{ id: 1 }], repointed: [] });
  });

  it('a placement that changes while the apps stop: the store refuses in its transaction, the apps start again, 409', async () => {
    // app 3 would be re-pointed to copy 1 on node 1; meanwhile copy 1 moves to node 2 as well
    onStop = async () => {
      const c1 = (await t.store.getCopy(1))!;
      await t.store.commitMove({ copyId: 1, expectedVersion: c1.version, toNode: 2, bucket: bucketForNode(2), event: { appId: 1, datasetId: 1, actionLabel: 'M1_2', actionType: 'move', createdAtMs: Date.now(), closesAtMs: Date.now() + 1000, explored: false } });
    };
    const r = await request(app).delete('/api/nodes/2').expect(409);
    expect(r.body.error).toMatch(/node 2 holds every copy of data set 1 \(copies 1, 2\), read by app\(s\) 1, 3;/);
    expect(calls).toEqual(['stop 2', 'start 2']);
    expect((await request(app).get('/api/nodes').expect(200)).body.map((n: { id: number }) => n.id)).toEqual([1, 2, 3]);
  });

  it('unknown ids: 404 naming them; a bad id: 400 naming the parameter', async () => {
    expect((await request(app).delete('/api/nodes/9').expect(404)).body.error).toBe('node 9 does not exist');
    expect((await request(app).delete('/api/apps/9').expect(404)).body.error).toBe('app 9 does not exist');
    expect((await request(app).delete('/api/apps/0').expect(400)).body.error).toMatch(/^id: must be a positive integer app id \(1 to 9999\), got "0"/);
    expect(calls).toEqual([]);
  });
});

describe('DELETE is a write: token and Host/Origin checks', () => {
  let t: TempStore;
  beforeEach(async () => {
    t = await tempStore();
    await seedRealistic(t.store, t.scenario);
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('without the token a controller that has one refuses with 401 and deletes nothing; with it, 200', async () => {
    const app = createControllerApp({ store: t.store, token: 's3cret', pollMs: 50 });
    expect((await request(app).delete('/api/apps/3').expect(401)).body.error).toMatch(/^authorization: this controller needs a token for writes/);
    await request(app).delete('/api/nodes/3').set('authorization', 'Bearer wrong').expect(401);
    expect((await t.store.listApps()).map((a) => a.id)).toEqual([1, 2, 3]);
    expect(await t.store.getNode(3)).toBeDefined();
    // this controller has no object store attached: the answer says the object is left
    const r = await request(app).delete('/api/nodes/3').set('authorization', 'Bearer s3cret').expect(200);
    expect(r.body).toMatchObject({ apps: [3], copies: [], warnings: [] });
    app.feed.close();
  });

  it('on loopback, a delete addressed to another host or from another origin is refused with 403', async () => {
    const app = createControllerApp({ store: t.store, loopbackOnly: true, pollMs: 50 });
    await request(app).delete('/api/apps/3').set('host', 'rebind.example:8080').expect(403);
    await request(app).delete('/api/apps/3').set('host', '127.0.0.1:8080').set('origin', 'http://evil.example').expect(403);
    expect((await t.store.listApps()).map((a) => a.id)).toEqual([1, 2, 3]);
    await request(app).delete('/api/apps/3').set('host', '127.0.0.1:8080').set('origin', 'http://127.0.0.1:8080').expect(200);
    app.feed.close();
  });
});
