/**
 * A deletion is an admin edit (issue 18.6): a node deleted through the API stays deleted when
 * `fogsim up` starts again on the same data dir (seed mode `store`), the drift names it, and
 * `--reset` (seed mode `file`) brings the file's node back. Sessions run without node processes
 * (--runtime none) on their embedded servers; only the store matters here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSession, type Session } from '../../controller/session.js';
import { bucketForNode } from '../../objectstore/object-store.js';
import { createControllerApp } from '../../controller/server.js';
import { Operations } from '../../controller/operations.js';
import type { SeedMode } from '../../db/statements.js';
import { loadScenario } from '../../model/scenario.js';
import { appDir, writeVectorFile } from '../../training/files.js';
import { requiredLabels } from '../../training/labels.js';
import { readInfraConfig } from '../../util/config.js';
import { tempStore, type TempStore } from './fixtures.js';

const SCENARIO = 'test/fixtures/thesis-fast.yaml';
const scenario = loadScenario(SCENARIO);

describe('a deleted node over a controller restart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fogsim-delete-restart-'));
  const vectorsDir = join(dir, 'vectors');
  const cfg = readInfraConfig({ FOGSIM_DATA_DIR: join(dir, 'data') });
  let session: Session | undefined;
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(async () => {
    await session?.close();
    session = undefined;
  });

  /** `fogsim up` (store) or `fogsim up --reset` (file) on the same data dir, with its API */
  async function up(seedMode: SeedMode) {
    const lines: string[] = [];
    session = await startSession({ scenarioFile: SCENARIO, cfg, vectorsDir, seedMode, runtime: 'none', train: false, freshVectors: true, infraOptions: { proxyPort: 0 }, log: (l) => lines.push(l) });
    const app = createControllerApp({ store: session.infra.store, scenario: session.scenario, operations: session.operations });
    const done = () => {
      app.feed.close();
      app.detach();
    };
    return { app, lines, store: session.infra.store, done };
  }

  it('stays deleted with its app and links; the drift says so; --reset brings it back', async () => {
    for (const a of scenario.apps) {
      for (const label of requiredLabels(scenario)) await writeVectorFile(appDir(vectorsDir, a.id), label, { responseTime: 0.5, executionTime: 0, throughput: 0, latency: 0.5, availability: 0.1, consistency: 0 });
    }
    const first = await up('file');
    expect(await session!.infra.objects.listBuckets()).toContain(bucketForNode(2));
    // its bucket held no copy: it goes with the node
    expect((await request(first.app).delete('/api/nodes/2').expect(200)).body).toMatchObject({ bucket: bucketForNode(2), warnings: [] });
    expect(await session!.infra.objects.listBuckets()).not.toContain(bucketForNode(2));
    first.done();
    await session!.close();

    const again = await up('store');
    expect((await again.store.listNodes()).map((n) => n.id)).toEqual([1, 3]);
    expect((await again.store.listApps()).map((a) => a.id)).toEqual([1, 3]);
    expect((await again.store.listLinks()).map((l) => `${l.from}-${l.to}`)).toEqual(['1-3', '3-1']);
    expect((await request(again.app).get('/api/drift').expect(200)).body.items).toEqual([
      { what: 'node 2', file: 'present', store: 'removed' },
      { what: 'app 2', file: 'present', store: 'removed' },
    ]);
    expect(again.lines.find((l) => l.startsWith('the store differs from'))).toContain('node 2 removed (file present), app 2 removed (file present)');
    again.done();
    await session!.close();

    const reset = await up('file');
    expect((await reset.store.listNodes()).map((n) => n.id)).toEqual([1, 2, 3]);
    expect(await session!.infra.objects.listBuckets()).toContain(bucketForNode(2));
    expect((await reset.store.listApps()).map((a) => a.id)).toEqual([1, 2, 3]);
    expect(await reset.store.listLinks()).toHaveLength(6);
    expect(await reset.store.listRemovals()).toEqual([]);
    expect((await request(reset.app).get('/api/drift').expect(200)).body.items).toEqual([]);
    reset.done();
  }, 60_000);
});

describe('adding a removed id again forgets its removal', () => {
  let t: TempStore;
  let app: ReturnType<typeof createControllerApp>;
  beforeEach(async () => {
    t = await tempStore();
    app = createControllerApp({ store: t.store, scenario: t.scenario, operations: new Operations(t.store), pollMs: 50 });
  });
  afterEach(async () => {
    app.feed.close();
    app.detach();
    await t.cleanup();
  });

  it('POST /api/nodes with the id of a deleted node and a goal: a restart keeps the node and its app', async () => {
    await request(app).delete('/api/nodes/3').expect(200);
    expect((await t.store.listRemovals()).map((r) => `${r.kind} ${r.id}`)).toEqual(['node 3', 'app 3']);
    await request(app).post('/api/nodes').send({ id: 3, availability: 40, latency: { 1: 1500, 2: 1200 }, goal: t.scenario.apps[2].goal }).expect(201);
    expect(await t.store.listRemovals()).toEqual([]);
    await t.store.seedScenario(t.scenario, 'store');
    expect((await t.store.getNode(3))?.availability).toBe(40); // the admin's node, not the file's
    expect((await t.store.listApps()).map((a) => a.id)).toEqual([1, 2, 3]);
  });

  it('the timeline addNode step (POST /api/timeline) does the same', async () => {
    await request(app).delete('/api/nodes/3').expect(200);
    await request(app).post('/api/timeline').send({ do: { kind: 'addNode', id: 3, availability: 40, latency: { 1: 1500, 2: 1200 } } }).expect(201);
    // the node is back; the app deleted with it stays deleted until it is added again
    expect((await t.store.listRemovals()).map((r) => `${r.kind} ${r.id}`)).toEqual(['app 3']);
  });
});
