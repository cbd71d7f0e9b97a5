/*
 * The Store contract, run against every available implementation: the embedded SQLite store
 * always, MySQL/MariaDB when FOGSIM_MYSQL_URL is set (CI and `npm run test:real` set it via
 * scripts/real/mariadb.sh). Concurrency is tested with real OS processes sharing the store.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import mysql from 'mysql2/promise';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../db/open.js';
import { parseMySqlUrl } from '../../db/mysql-store.js';
import { MIGRATIONS, TABLES } from '../../db/migrations.js';
import type { NewEvent, Store } from '../../db/store.js';
import { ConflictError, NotFoundError, UnavailableError, UserError } from '../../model/errors.js';
import { loadScenario } from '../../model/scenario.js';
import type { NewRun } from '../../model/types.js';

interface Opened {
  store: Store;
  /** environment that makes a child process open the same store */
  env: Record<string, string>;
}
interface Factory {
  name: string;
  open(): Promise<Opened>;
  /** environment of a store with no schema at all (nothing migrated yet) */
  emptyEnv(): Promise<Record<string, string>>;
  cleanup(): Promise<void>;
}

const tmpDirs: string[] = [];
const sqliteFactory: Factory = {
  name: 'sqlite',
  async open() {
    const dir = mkdtempSync(join(tmpdir(), 'fogsim-db-'));
    tmpDirs.push(dir);
    const sqlitePath = join(dir, 'sub', 'fogsim.db'); // a missing folder: openStore creates it
    return { store: await openStore({ sqlitePath }), env: { FOGSIM_SQLITE_PATH: sqlitePath, FOGSIM_MYSQL_URL: '' } };
  },
  async emptyEnv() {
    const dir = mkdtempSync(join(tmpdir(), 'fogsim-db-'));
    tmpDirs.push(dir);
    return { FOGSIM_SQLITE_PATH: join(dir, 'fogsim.db'), FOGSIM_MYSQL_URL: '' };
  },
  async cleanup() {
    for (const d of tmpDirs.splice(0)) rmSync(d, { recursive: true, force: true });
  },
};

const MYSQL_URL = process.env.FOGSIM_MYSQL_URL;

/**
 * The suite works in a scratch database `<db>_contract` beside the configured one when the user may
 * create it (scripts/real/mariadb.sh grants fogsim_*), so it never wipes data of other suites or runs;
 * otherwise it falls back to the configured database itself.
 */
let scratchUrl: string | undefined;
let scratchDb: string | undefined;
async function mysqlAdmin<T>(fn: (c: mysql.Connection) => Promise<T>): Promise<T> {
  const t = parseMySqlUrl(MYSQL_URL!);
  const c = await mysql.createConnection({ host: t.host, port: t.port, user: t.user, password: t.password, database: t.database });
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}
async function contractUrl(): Promise<string> {
  if (scratchUrl) return scratchUrl;
  const t = parseMySqlUrl(MYSQL_URL!);
  const name = `${t.database}_contract`;
  const created = await mysqlAdmin((c) => c.query(`CREATE DATABASE IF NOT EXISTS \`${name}\``).then(() => true, () => false));
  if (!created) return (scratchUrl = MYSQL_URL!);
  scratchDb = name;
  const u = new URL(MYSQL_URL!);
  u.pathname = `/${name}`;
  return (scratchUrl = u.toString());
}

const mysqlFactory: Factory | undefined = MYSQL_URL
  ? {
      name: 'mysql',
      async open() {
        const env = await this.emptyEnv();
        return { store: await openStore({ mysqlUrl: env.FOGSIM_MYSQL_URL, sqlitePath: '' }), env };
      },
      async emptyEnv() {
        // A fresh schema per test: drop every fogsim table.
        const url = await contractUrl();
        const t = parseMySqlUrl(url);
        const c = await mysql.createConnection({ host: t.host, port: t.port, user: t.user, password: t.password, database: t.database });
        try {
          for (const table of TABLES) await c.query(`DROP TABLE IF EXISTS \`${table}\``);
        } finally {
          await c.end();
        }
        return { FOGSIM_MYSQL_URL: url };
      },
      async cleanup() {
        if (scratchDb) await mysqlAdmin((c) => c.query(`DROP DATABASE IF EXISTS \`${scratchDb}\``));
      },
    }
  : undefined;

const scenario = loadScenario(new URL('../../scenarios/thesis.yaml', import.meta.url).pathname);

function ev(over: Partial<NewEvent> & { datasetId: number }): NewEvent {
  return { appId: 1, actionLabel: 'M3_1', actionType: 'move', createdAtMs: 1_000, closesAtMs: 21_000, explored: false, ...over };
}

function run(over: Partial<NewRun> = {}): NewRun {
  return {
    appId: 1,
    datasetId: null,
    dataNode: null,
    startedAtMs: 1_700_000_000_000,
    rtMs: 812.5,
    etMs: 40.25,
    throughput: 496_894.4,
    latencyMs: 1503.2,
    availability: 85,
    consistency: 1,
    goalMet: false,
    actionLabel: null,
    error: null,
    ...over,
  };
}

/** Starts n worker processes on the same store, releases them together, collects their JSON results. */
async function workers(n: number, env: Record<string, string>, args: string[]): Promise<Record<string, unknown>[]> {
  const procs = Array.from({ length: n }, () =>
    spawn(process.execPath, ['--import', 'tsx', 'test/db/fixtures/store-worker.ts', ...args], {
      env: { ...process.env, ...env, FOGSIM_LOG_LEVEL: 'silent' },
      stdio: ['pipe', 'pipe', 'pipe'],
    }),
  );
  const outputs = procs.map((p) => {
    let stderr = '';
    p.stderr.on('data', (d) => (stderr += d));
    const lines = createInterface({ input: p.stdout });
    const got: string[] = [];
    let onReady: () => void;
    const ready = new Promise<void>((r) => (onReady = r));
    lines.on('line', (l) => (l === 'ready' ? onReady() : got.push(l)));
    const done = new Promise<Record<string, unknown>>((resolve, reject) =>
      p.on('exit', (code) => (code === 0 && got.length === 1 ? resolve(JSON.parse(got[0])) : reject(new Error(`worker exited ${code}: ${got.join('\n')} ${stderr}`)))),
    );
    // a worker that dies before "ready" must fail the test, not hang it
    done.catch(() => onReady());
    return { ready, done };
  });
  await Promise.all(outputs.map((o) => o.ready));
  for (const p of procs) p.stdin.write('go\n');
  return Promise.all(outputs.map((o) => o.done));
}

const factories = [sqliteFactory, ...(mysqlFactory ? [mysqlFactory] : [])];

afterAll(async () => {
  for (const f of factories) await f.cleanup();
});

describe.each(factories.map((f) => [f.name, f] as const))('Store contract: %s', (_name, factory) => {
  let store: Store;
  let env: Record<string, string>;
  beforeEach(async () => {
    ({ store, env } = await factory.open());
  });
  afterEach(async () => {
    await store.close();
  });

  it('applies migrations once; migrate() again (and a second opener) keeps schema and data', async () => {
    await store.upsertNode({ id: 7, name: 'n7', storage: true, availability: 90 });
    await store.migrate();
    await store.migrate();
    // a second process-like opener runs migrate() on the already current schema
    const second = await openStore(env.FOGSIM_MYSQL_URL ? { mysqlUrl: env.FOGSIM_MYSQL_URL, sqlitePath: '' } : { sqlitePath: env.FOGSIM_SQLITE_PATH });
    expect(await second.getNode(7)).toEqual({ id: 7, name: 'n7', storage: true, availability: 90 });
    await second.close();
    const s = store as Store & { appliedMigrations(): Promise<number[]> };
    expect(await s.appliedMigrations()).toEqual(MIGRATIONS.map((m) => m.version));
  });

  it('4 processes migrating an empty store at once apply each migration exactly once', async () => {
    await store.close();
    const fresh = await factory.emptyEnv();
    const results = await workers(4, fresh, ['migrate']);
    expect(results).toEqual(Array.from({ length: 4 }, () => ({ ok: true, nodes: 0 })));
    store = await openStore(fresh.FOGSIM_MYSQL_URL ? { mysqlUrl: fresh.FOGSIM_MYSQL_URL, sqlitePath: '' } : { sqlitePath: fresh.FOGSIM_SQLITE_PATH });
    expect(await (store as Store & { appliedMigrations(): Promise<number[]> }).appliedMigrations()).toEqual(MIGRATIONS.map((m) => m.version));
    await store.seedScenario(scenario);
    expect(await store.listNodes()).toHaveLength(3);
  }, 60_000);

  it('seeding is idempotent and updates existing rows', async () => {
    await store.seedScenario(scenario);
    await store.seedScenario(scenario);
    expect((await store.listNodes()).map((n) => [n.id, n.availability, n.storage])).toEqual([
      [1, 97, true],
      [2, 80, true],
      [3, 85, true],
    ]);
    expect(await store.listLinks()).toHaveLength(6);
    expect((await store.listApps()).map((a) => [a.id, a.nodeId, a.datasetId])).toEqual([
      [1, 1, null],
      [2, 2, null],
      [3, 3, null],
    ]);
    const copy = await store.createCopy({ nodeId: 3, bucket: 'node3', objectKey: 'bloodtests.json', createdAtMs: 1 });
    await store.setAppReference(1, copy.id);
    const changed = { ...scenario, nodes: scenario.nodes.map((n) => (n.id === 2 ? { ...n, availability: 55 } : n)) };
    await store.seedScenario(changed);
    expect((await store.getNode(2))?.availability).toBe(55);
    expect(await store.listNodes()).toHaveLength(3);
    // re-seeding keeps the placement the system has built
    expect((await store.getAppReference(1))?.id).toBe(copy.id);
  });

  it("seeding in store mode keeps the store's values and adds only what it lacks", async () => {
    await store.seedScenario(scenario);
    await store.updateNode(2, { availability: 61 });
    await store.setLink(1, 2, 1111);
    await store.setNodeDown(3, true, 5);
    const grown = { ...scenario, nodes: [...scenario.nodes, { id: 4, name: 'node4', availability: 70, storage: true }], links: [...scenario.links, ...[1, 2, 3].map((x) => ({ from: x, to: 4, latencyMs: 40 + x }))] };
    await store.seedScenario(grown, 'store');
    expect((await store.getNode(2))?.availability).toBe(61);
    expect(await store.getLatency(2, 1)).toBe(1111);
    expect((await store.getNode(4))?.availability).toBe(70);
    expect(await store.getLatency(4, 3)).toBe(43);
    // the network starts over either way: every node up
    expect(await store.listDownNodes()).toEqual([]);
    await store.seedScenario(scenario, 'file');
    expect((await store.getNode(2))?.availability).toBe(scenario.nodes.find((n) => n.id === 2)!.availability);
    expect(await store.getLatency(1, 2)).toBe(scenario.links.find((l) => (l.from === 1 && l.to === 2) || (l.from === 2 && l.to === 1))!.latencyMs);
  });

  it('a deleted node stays out of a store-mode seed with its links and apps; a file-mode seed brings them back and forgets the removals', async () => {
    await store.seedScenario(scenario);
    const at = 1_700_000_000_123;
    await store.deleteNode(3, at);
    expect(await store.listRemovals()).toEqual([
      { kind: 'node', id: 3, removedAtMs: at },
      { kind: 'app', id: 3, removedAtMs: at },
    ]);
    // the file grew meanwhile: node 4 linked to 1 and 3, app 4 placed on the removed node 3
    const goal = scenario.apps[0].goal;
    const grown = {
      ...scenario,
      nodes: [...scenario.nodes, { id: 4, name: 'node4', availability: 70, storage: true }],
      links: [...scenario.links, { from: 1, to: 4, latencyMs: 41 }, { from: 3, to: 4, latencyMs: 43 }],
      apps: [...scenario.apps, { id: 4, node: 3, goal }],
    };
    await store.seedScenario(grown, 'store');
    await store.seedScenario(grown, 'store'); // a second restart changes nothing either
    expect((await store.listNodes()).map((n) => n.id)).toEqual([1, 2, 4]);
    expect((await store.listLinks()).map((l) => `${l.from}-${l.to}`)).toEqual(['1-2', '1-4', '2-1', '4-1']);
    expect((await store.listApps()).map((a) => a.id)).toEqual([1, 2]);
    expect(await store.listRemovals()).toHaveLength(2);

    await store.seedScenario(grown, 'file');
    expect((await store.listNodes()).map((n) => n.id)).toEqual([1, 2, 3, 4]);
    expect(await store.listLinks()).toHaveLength(10);
    expect(await store.getLatency(4, 3)).toBe(43);
    expect((await store.listApps()).map((a) => [a.id, a.nodeId])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
      [4, 3],
    ]);
    expect(await store.listRemovals()).toEqual([]);
  });

  it('a deleted app stays out of a store-mode seed, its node stays; adding an id again forgets its removal', async () => {
    await store.seedScenario(scenario);
    await store.deleteApp(2, 5);
    await store.seedScenario(scenario, 'store');
    expect((await store.listApps()).map((a) => a.id)).toEqual([1, 3]);
    expect((await store.listNodes()).map((n) => n.id)).toEqual([1, 2, 3]);
    expect(await store.listRemovals()).toEqual([{ kind: 'app', id: 2, removedAtMs: 5 }]);
    await store.upsertApp({ id: 2, nodeId: 2, goal: scenario.apps[1].goal });
    expect(await store.listRemovals()).toEqual([]);

    // a node added again (add-node without a goal): its links come back with a restart, its deleted app does not
    await store.deleteNode(3, 6);
    await store.upsertNode({ id: 3, name: 'node3', storage: true, availability: 50 });
    expect(await store.listRemovals()).toEqual([{ kind: 'app', id: 3, removedAtMs: 6 }]);
    await store.seedScenario(scenario, 'store');
    expect((await store.getNode(3))?.availability).toBe(50);
    expect(await store.listLinks()).toHaveLength(6);
    expect((await store.listApps()).map((a) => a.id)).toEqual([1, 2]);
  });

  it('nodes round-trip, patch and report missing ones', async () => {
    await store.upsertNode({ id: 2, name: 'fog-b', storage: false, availability: 80.5 });
    await store.upsertNode({ id: 1, name: 'fog-a', storage: true, availability: 97 });
    expect(await store.listNodes()).toEqual([
      { id: 1, name: 'fog-a', storage: true, availability: 97 },
      { id: 2, name: 'fog-b', storage: false, availability: 80.5 },
    ]);
    expect(await store.updateNode(2, { availability: 60, storage: true })).toEqual({ id: 2, name: 'fog-b', storage: true, availability: 60 });
    expect(await store.updateNode(2, { name: 'renamed' })).toEqual({ id: 2, name: 'renamed', storage: true, availability: 60 });
    expect(await store.getNode(99)).toBeUndefined();
    expect(await store.updateNode(99, { availability: 1 })).toBeUndefined();
  });

  it('links are set both ways, 0 to itself, undefined when unknown', async () => {
    await store.setLink(1, 2, 1000);
    expect(await store.getLatency(1, 2)).toBe(1000);
    expect(await store.getLatency(2, 1)).toBe(1000);
    await store.setLink(2, 1, 750.5);
    expect(await store.getLatency(1, 2)).toBe(750.5);
    expect(await store.getLatency(3, 3)).toBe(0);
    expect(await store.getLatency(1, 3)).toBeUndefined();
    expect(await store.listLinks()).toEqual([
      { from: 1, to: 2, latencyMs: 750.5 },
      { from: 2, to: 1, latencyMs: 750.5 },
    ]);
    await expect(store.setLink(1, 1, 5)).rejects.toThrow(UserError);
    await expect(store.setLink(1, 2, -1)).rejects.toThrow(/latencyMs must be a number >= 0/);
  });

  it('apps keep their goal, reference copy and reference counts', async () => {
    await store.seedScenario(scenario);
    expect((await store.listApps())[2].goal).toEqual({ any: [{ metric: 'consistency', min: 0.7 }, { metric: 'latency', max: 1300 }] });
    expect(await store.getAppReference(1)).toBeUndefined();
    const a = await store.createCopy({ nodeId: 3, bucket: 'node3', objectKey: 'd.json', createdAtMs: 5 });
    const b = await store.createCopy({ familyId: a.familyId, nodeId: 1, bucket: 'node1', objectKey: 'd.json', createdAtMs: 6 });
    await store.setAppReference(1, a.id);
    await store.setAppReference(2, a.id);
    await store.setAppReference(3, b.id);
    expect(await store.getAppReference(2)).toEqual(a);
    expect([...(await store.referenceCounts())].sort()).toEqual([
      [a.id, 2],
      [b.id, 1],
    ]);
    await expect(store.setAppReference(1, 9999)).rejects.toThrow(/copy 9999 does not exist/);
    await expect(store.setAppReference(42, a.id)).rejects.toThrow(/app 42 does not exist/);
    await expect(store.setAppReference(42, a.id)).rejects.toBeInstanceOf(NotFoundError); // the API answers 404
    await store.upsertApp({ id: 1, nodeId: 2, goal: { metric: 'throughput', min: 5 } });
    const app1 = (await store.listApps())[0];
    expect(app1).toEqual({ id: 1, nodeId: 2, goal: { metric: 'throughput', min: 5 }, datasetId: a.id });
  });

  it('copies: a first copy founds its family, later ones join it', async () => {
    const a = await store.createCopy({ nodeId: 3, bucket: 'node3', objectKey: 'x.json', createdAtMs: 10 });
    expect(a).toEqual({ id: a.id, familyId: a.id, nodeId: 3, bucket: 'node3', objectKey: 'x.json', version: 1, createdAtMs: 10 });
    const other = await store.createCopy({ nodeId: 2, bucket: 'node2', objectKey: 'y.json', createdAtMs: 11 });
    expect(other.familyId).toBe(other.id);
    expect(other.familyId).not.toBe(a.familyId);
    const b = await store.createCopy({ familyId: a.familyId, nodeId: 1, bucket: 'node1', objectKey: 'x.json', createdAtMs: 12 });
    expect(b.familyId).toBe(a.id);
    expect((await store.listCopies(a.familyId)).map((c) => c.id)).toEqual([a.id, b.id]);
    expect(await store.listCopies()).toHaveLength(3);
    expect(await store.getCopy(b.id)).toEqual(b);
    expect(await store.getCopy(123456)).toBeUndefined();
  });

  it('commitMove bumps the version and writes its event; a stale version conflicts and writes nothing', async () => {
    await store.seedScenario(scenario);
    const c = await store.createCopy({ nodeId: 3, bucket: 'node3', objectKey: 'd.json', createdAtMs: 1 });
    const r = await store.commitMove({ copyId: c.id, expectedVersion: 1, toNode: 1, bucket: 'node1', event: ev({ datasetId: c.id, explored: true }) });
    expect(r.copy).toEqual({ ...c, nodeId: 1, bucket: 'node1', version: 2 });
    expect(r.event).toMatchObject({ appId: 1, datasetId: c.id, actionLabel: 'M3_1', actionType: 'move', active: true, explored: true, sumFeedback: 0, globalFeedback: null });
    expect(await store.getEvent(r.event.id)).toEqual(r.event);
    const stale = store.commitMove({ copyId: c.id, expectedVersion: 1, toNode: 2, bucket: 'node2', event: ev({ datasetId: c.id, actionLabel: 'M3_2' }) });
    await expect(stale).rejects.toBeInstanceOf(ConflictError);
    await expect(stale).rejects.toThrow(/read version 1, now 2/);
    await expect(store.commitMove({ copyId: 999, expectedVersion: 1, toNode: 2, bucket: 'node2', event: ev({ datasetId: 999 }) })).rejects.toBeInstanceOf(ConflictError);
    expect(await store.getCopy(c.id)).toEqual(r.copy);
    expect(await store.listEvents()).toHaveLength(1);
  });

  it('concurrent conflicting moves from 4 processes: exactly one wins, one event, version+1', async () => {
    await store.seedScenario(scenario);
    const c = await store.createCopy({ nodeId: 3, bucket: 'node3', objectKey: 'd.json', createdAtMs: 1 });
    const results = await workers(4, env, ['move', String(c.id), '1', '1', '1']);
    const winners = results.filter((r) => r.ok);
    const losers = results.filter((r) => !r.ok);
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(3);
    for (const l of losers) expect(l).toMatchObject({ conflict: true });
    expect(winners[0]).toMatchObject({ version: 2, nodeId: 1 });
    expect((await store.getCopy(c.id))?.version).toBe(2);
    const events = await store.listEvents();
    expect(events.map((e) => e.id)).toEqual([winners[0].eventId]);
  }, 60_000);

  it('commitCopy adds a copy to the family referenced by the app; conflicts on a stale source', async () => {
    await store.seedScenario(scenario);
    const src = await store.createCopy({ nodeId: 3, bucket: 'node3', objectKey: 'd.json', createdAtMs: 1 });
    await store.setAppReference(1, src.id);
    const r = await store.commitCopy({
      sourceCopyId: src.id,
      expectedVersion: 1,
      toNode: 1,
      bucket: 'node1',
      objectKey: 'd.json',
      appId: 1,
      event: ev({ datasetId: src.id, actionLabel: 'C3_1', actionType: 'copy', createdAtMs: 2_000 }),
    });
    expect(r.copy).toMatchObject({ familyId: src.familyId, nodeId: 1, bucket: 'node1', version: 1, createdAtMs: 2_000 });
    expect((await store.getAppReference(1))?.id).toBe(r.copy.id);
    expect(r.event.actionType).toBe('copy');
    // someone moves the source: a copy decided on the old version must not happen
    await store.commitMove({ copyId: src.id, expectedVersion: 1, toNode: 2, bucket: 'node2', event: ev({ appId: 2, datasetId: src.id, actionLabel: 'M3_2' }) });
    await expect(
      store.commitCopy({ sourceCopyId: src.id, expectedVersion: 1, toNode: 2, bucket: 'node2', objectKey: 'd.json', appId: 3, event: ev({ appId: 3, datasetId: src.id, actionType: 'copy' }) }),
    ).rejects.toBeInstanceOf(ConflictError);
    expect(await store.listCopies(src.familyId)).toHaveLength(2);
    expect(await store.listEvents()).toHaveLength(2);
    expect(await store.getAppReference(3)).toBeUndefined();
  });

  it('commitChangeRef re-points the app; conflicts when the target changed', async () => {
    await store.seedScenario(scenario);
    const a = await store.createCopy({ nodeId: 3, bucket: 'node3', objectKey: 'd.json', createdAtMs: 1 });
    const b = await store.createCopy({ familyId: a.familyId, nodeId: 2, bucket: 'node2', objectKey: 'd.json', createdAtMs: 1 });
    await store.setAppReference(1, a.id);
    const r = await store.commitChangeRef({ appId: 1, toCopyId: b.id, expectedVersion: 1, event: ev({ datasetId: b.id, actionLabel: 'CR2', actionType: 'changeRef' }) });
    expect(r.copy).toEqual(b);
    expect((await store.getAppReference(1))?.id).toBe(b.id);
    await store.commitMove({ copyId: b.id, expectedVersion: 1, toNode: 1, bucket: 'node1', event: ev({ appId: 2, datasetId: b.id }) });
    await expect(store.commitChangeRef({ appId: 3, toCopyId: b.id, expectedVersion: 1, event: ev({ appId: 3, datasetId: b.id, actionType: 'changeRef' }) })).rejects.toBeInstanceOf(
      ConflictError,
    );
    expect(await store.getAppReference(3)).toBeUndefined();
    expect(await store.listEvents({ appId: 3 })).toEqual([]);
  });

  it('feedback is counted once per (event, app) and never after the event closed', async () => {
    await store.seedScenario(scenario);
    const c = await store.createCopy({ nodeId: 3, bucket: 'node3', objectKey: 'd.json', createdAtMs: 1 });
    const { event } = await store.commitMove({ copyId: c.id, expectedVersion: 1, toNode: 1, bucket: 'node1', event: ev({ datasetId: c.id }) });
    expect(await store.addFeedback({ eventId: event.id, appId: 2, value: 0.75, createdAtMs: 3_000 })).toBe(true);
    expect(await store.addFeedback({ eventId: event.id, appId: 2, value: 0.5, createdAtMs: 4_000 })).toBe(false);
    expect((await store.getEvent(event.id))?.sumFeedback).toBeCloseTo(0.75, 12);
    const concurrent = await Promise.all([0.125, 0.25, 0.5].map((v) => store.addFeedback({ eventId: event.id, appId: 3, value: v, createdAtMs: 5_000 })));
    expect(concurrent.filter(Boolean)).toHaveLength(1);
    const fb = await store.listFeedback(event.id);
    expect(fb.map((f) => f.appId)).toEqual([2, 3]);
    expect((await store.getEvent(event.id))?.sumFeedback).toBeCloseTo(0.75 + fb[1].value, 12);
    await store.closeDueEvents(21_000, () => ({ globalFeedback: 0.1, counterDelta: 0 }));
    expect(await store.addFeedback({ eventId: event.id, appId: 1, value: 1, createdAtMs: 30_000 })).toBe(false);
    await expect(store.addFeedback({ eventId: 424242, appId: 1, value: 1, createdAtMs: 1 })).rejects.toThrow(/event 424242 does not exist/);
  });

  it('open events: of the copy an app reads (the default scope) or of the whole family; other apps; not yet closing', async () => {
    await store.seedScenario(scenario);
    const a = await store.createCopy({ nodeId: 3, bucket: 'node3', objectKey: 'd.json', createdAtMs: 1 });
    const other = await store.createCopy({ nodeId: 2, bucket: 'node2', objectKey: 'e.json', createdAtMs: 1 });
    const e1 = (await store.commitMove({ copyId: a.id, expectedVersion: 1, toNode: 1, bucket: 'node1', event: ev({ appId: 1, datasetId: a.id, closesAtMs: 10_000 }) })).event;
    const e2 = (await store.commitMove({ copyId: a.id, expectedVersion: 2, toNode: 2, bucket: 'node2', event: ev({ appId: 2, datasetId: a.id, closesAtMs: 30_000 }) })).event;
    await store.commitMove({ copyId: other.id, expectedVersion: 1, toNode: 1, bucket: 'node1', event: ev({ appId: 1, datasetId: other.id, closesAtMs: 30_000 }) });
    expect((await store.listOpenEvents(5_000, { familyId: a.familyId }, 3)).map((e) => e.id)).toEqual([e1.id, e2.id]);
    expect((await store.listOpenEvents(5_000, { familyId: a.familyId }, 1)).map((e) => e.id)).toEqual([e2.id]);
    expect((await store.listOpenEvents(10_000, { familyId: a.familyId }, 3)).map((e) => e.id)).toEqual([e2.id]);
    // a second copy of a's family, with an event of its own: in the family's scope, not in a's
    const sibling = await store.createCopy({ familyId: a.familyId, nodeId: 3, bucket: 'node3', objectKey: 's.json', createdAtMs: 1 });
    const e4 = (await store.commitMove({ copyId: sibling.id, expectedVersion: 1, toNode: 1, bucket: 'node1', event: ev({ appId: 2, datasetId: sibling.id, closesAtMs: 30_000 }) })).event;
    expect((await store.listOpenEvents(5_000, { copyId: a.id }, 3)).map((e) => e.id)).toEqual([e1.id, e2.id]);
    expect((await store.listOpenEvents(5_000, { copyId: sibling.id }, 3)).map((e) => e.id)).toEqual([e4.id]);
    expect((await store.listOpenEvents(5_000, { familyId: a.familyId }, 3)).map((e) => e.id)).toEqual([e1.id, e2.id, e4.id]);
    expect((await store.listEvents({ active: true, limit: 2 })).map((e) => e.id)).toEqual([e1.id, e2.id]);
    expect((await store.listEvents({ appId: 2 })).map((e) => e.id)).toEqual([e2.id, e4.id]);
    expect(await store.eventStats()).toEqual({ open: 4, lastCreatedAtMs: Math.max(e1.createdAtMs, e2.createdAtMs, e4.createdAtMs) });
    await store.closeDueEvents(40_000, () => ({ globalFeedback: 0, counterDelta: -1 }));
    expect((await store.eventStats()).open).toBe(0);
  });

  it('a run with its decision trace is written in one go; traces list by app, oldest first', async () => {
    await store.seedScenario(scenario);
    expect(await store.eventStats()).toEqual({ open: 0, lastCreatedAtMs: null });
    const base = { datasetId: null, dataNode: 3, rtMs: 1, etMs: 1, throughput: 1, latencyMs: 0, availability: 85, consistency: 1, goalMet: false, actionLabel: 'M3_1', error: null };
    const trace = { kind: 'decided' as const, violated: ['responseTime <= 800'], chosen: 'M3_1', explored: false, candidates: [{ label: 'M3_1', score: 0.5, counter: 0, globalScore: 0.5 }], repair: 0, feedbackGiven: 1, dataNode: 3 };
    const r1 = await store.insertRun({ ...base, appId: 1, startedAtMs: 10, decision: trace });
    await store.insertRun({ ...base, appId: 1, startedAtMs: 11, goalMet: true, actionLabel: 'NA' });
    const r3 = await store.insertRun({ ...base, appId: 2, startedAtMs: 12, decision: { ...trace, kind: 'repairs-exhausted', chosen: 'NA', candidates: [] } });
    expect(await store.listDecisions()).toEqual([
      { runId: r1, appId: 1, createdAtMs: 10, trace },
      { runId: r3, appId: 2, createdAtMs: 12, trace: { ...trace, kind: 'repairs-exhausted', chosen: 'NA', candidates: [] } },
    ]);
    expect((await store.listDecisions({ appId: 2 })).map((d) => d.runId)).toEqual([r3]);
    expect(await store.countRuns()).toBe(3);
  });

  it('closeDueEvents closes each overdue event once, applies the closure and floors the counter at 0', async () => {
    await store.seedScenario(scenario);
    const c = await store.createCopy({ nodeId: 3, bucket: 'node3', objectKey: 'd.json', createdAtMs: 1 });
    const due = (await store.commitMove({ copyId: c.id, expectedVersion: 1, toNode: 1, bucket: 'node1', event: ev({ datasetId: c.id, actionLabel: 'M3_1', closesAtMs: 20_000 }) })).event;
    const later = (await store.commitMove({ copyId: c.id, expectedVersion: 2, toNode: 2, bucket: 'node2', event: ev({ datasetId: c.id, actionLabel: 'M1_2', closesAtMs: 90_000 }) })).event;
    await store.addFeedback({ eventId: due.id, appId: 2, value: 0.8, createdAtMs: 2 });
    const seen: number[] = [];
    const closed = await store.closeDueEvents(20_000, (e) => {
      seen.push(e.id);
      return { globalFeedback: e.sumFeedback / 2, counterDelta: -1 };
    });
    expect(seen).toEqual([due.id]);
    expect(closed).toEqual([{ ...due, active: false, sumFeedback: 0.8, globalFeedback: 0.4 }]);
    expect((await store.getCounters())['M3_1']).toBe(0); // -1 from nothing stays 0
    expect(await store.closeDueEvents(20_000, () => ({ globalFeedback: 1, counterDelta: 1 }))).toEqual([]);
    expect((await store.getEvent(later.id))?.active).toBe(true);
    expect((await store.closeDueEvents(100_000, () => ({ globalFeedback: 0.5, counterDelta: 1 }))).map((e) => e.id)).toEqual([later.id]);
    expect(await store.getCounters()).toEqual({ M1_2: 1, M3_1: 0 });
  });

  it('closeDueEvents from 4 processes at once: every event closed exactly once, counter counts each once', async () => {
    await store.seedScenario(scenario);
    const c = await store.createCopy({ nodeId: 3, bucket: 'node3', objectKey: 'd.json', createdAtMs: 1 });
    const ids: number[] = [];
    for (let v = 1; v <= 12; v++) {
      const r = await store.commitMove({ copyId: c.id, expectedVersion: v, toNode: 1 + (v % 3), bucket: 'b', event: ev({ datasetId: c.id, actionLabel: 'C3_1', closesAtMs: 1_000 + v }) });
      ids.push(r.event.id);
    }
    const results = await workers(4, env, ['close', '50000']);
    const closed = results.flatMap((r) => r.closed as number[]);
    expect(results.every((r) => r.ok)).toBe(true);
    expect([...closed].sort((x, y) => x - y)).toEqual(ids);
    expect((await store.getCounters())['C3_1']).toBe(12);
    expect((await store.listEvents({ active: true })).length).toBe(0);
  }, 60_000);

  it('adjustCounter never goes below zero', async () => {
    expect(await store.adjustCounter('NA', -1)).toBe(0);
    expect(await store.adjustCounter('NA', 2)).toBe(2);
    expect(await store.adjustCounter('NA', -5)).toBe(0);
    expect(await store.adjustCounter('NA', 1)).toBe(1);
    expect(await Promise.all([1, 1, 1].map((d) => store.adjustCounter('CR2', d)))).toHaveLength(3);
    expect(await store.getCounters()).toEqual({ CR2: 3, NA: 1 });
  });

  it('ids and timestamps round-trip as numbers (large epoch ms)', async () => {
    const big = 4_102_444_800_123; // 2100-01-01T00:00:00.123Z
    await store.upsertNode({ id: 2_000_000, name: 'far', storage: true, availability: 99.99 });
    expect(await store.getNode(2_000_000)).toEqual({ id: 2_000_000, name: 'far', storage: true, availability: 99.99 });
    const c = await store.createCopy({ nodeId: 2_000_000, bucket: 'b', objectKey: 'k', createdAtMs: big });
    expect(typeof c.id).toBe('number');
    expect((await store.getCopy(c.id))?.createdAtMs).toBe(big);
    await store.upsertApp({ id: 1, nodeId: 2_000_000, goal: { metric: 'latency', max: 10 } });
    const { event } = await store.commitMove({ copyId: c.id, expectedVersion: 1, toNode: 2_000_000, bucket: 'b2', event: ev({ datasetId: c.id, createdAtMs: big, closesAtMs: big + 210_000 }) });
    const got = await store.getEvent(event.id);
    expect(got).toMatchObject({ createdAtMs: big, closesAtMs: big + 210_000 });
    expect(typeof got?.id).toBe('number');
    await store.addFeedback({ eventId: event.id, appId: 5, value: -0.25, createdAtMs: big + 1 });
    expect(await store.listFeedback()).toEqual([{ eventId: event.id, appId: 5, value: -0.25, createdAtMs: big + 1 }]);
    const r = run({ startedAtMs: big, datasetId: c.id, dataNode: 2_000_000, goalMet: true, actionLabel: 'NA', error: 'timeout: "x"' });
    const id = await store.insertRun(r);
    expect(typeof id).toBe('number');
    expect(await store.listRuns()).toEqual([{ id, ...r }]);
    await store.upsertImpact({
      appId: 1,
      actionLabel: 'M3_1',
      vector: { responseTime: 0.5, executionTime: -0.125, throughput: 1, latency: -1, availability: 0.3, consistency: 0 },
      source: 'training',
      updatedAtMs: big,
    });
    await store.upsertImpact({
      appId: 1,
      actionLabel: 'M3_1',
      vector: { responseTime: 0.25, executionTime: -0.125, throughput: 1, latency: -1, availability: 0.3, consistency: 0.1 },
      source: 'online',
      updatedAtMs: big + 5,
    });
    expect(await store.listImpacts(1)).toEqual([
      {
        appId: 1,
        actionLabel: 'M3_1',
        vector: { responseTime: 0.25, executionTime: -0.125, throughput: 1, latency: -1, availability: 0.3, consistency: 0.1 },
        source: 'online',
        updatedAtMs: big + 5,
      },
    ]);
    expect(await store.listImpacts(2)).toEqual([]);
    await expect(store.insertRun(run({ startedAtMs: 1.5 }))).rejects.toThrow(/startedAtMs: expected an integer/);
  });

  it('listRuns pages by limit/offset and afterId, filters by app; countRuns agrees', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 25; i++) ids.push(await store.insertRun(run({ appId: 1 + (i % 2), startedAtMs: 1_700_000_000_000 + i })));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(await store.countRuns()).toBe(25);
    expect(await store.countRuns(2)).toBe(12);
    expect((await store.listRuns({ limit: 10 })).map((r) => r.id)).toEqual(ids.slice(0, 10));
    expect((await store.listRuns({ limit: 10, offset: 20 })).map((r) => r.id)).toEqual(ids.slice(20));
    expect((await store.listRuns({ afterId: ids[22] })).map((r) => r.id)).toEqual(ids.slice(23));
    const app2 = await store.listRuns({ appId: 2, limit: 3, offset: 1 });
    expect(app2.map((r) => r.id)).toEqual([ids[3], ids[5], ids[7]]);
    expect(app2.every((r) => r.appId === 2)).toBe(true);
    expect(await store.listRuns({ limit: 0 })).toEqual([]);
    await expect(store.listRuns({ limit: -1 })).rejects.toThrow(UserError);
  });

  it('nodes go down and up; an unknown node is not found; seeding brings every node up', async () => {
    await store.seedScenario(scenario);
    expect(await store.listDownNodes()).toEqual([]);
    expect(await store.isNodeDown(2)).toBe(false);
    await store.setNodeDown(2, true, 1_700_000_000_000);
    await store.setNodeDown(3, true, 1_700_000_000_001);
    await store.setNodeDown(2, true, 1_700_000_000_002); // again: still down, nothing doubled
    expect(await store.isNodeDown(2)).toBe(true);
    expect(await store.listDownNodes()).toEqual([2, 3]);
    await store.setNodeDown(3, false, 1_700_000_000_003);
    expect(await store.isNodeDown(3)).toBe(false);
    expect(await store.listDownNodes()).toEqual([2]);
    await expect(store.setNodeDown(9, true, 1)).rejects.toThrow(NotFoundError);
    // the node row itself is untouched
    expect(await store.getNode(2)).toEqual({ id: 2, name: 'node2', storage: true, availability: 80 });
    await store.seedScenario(scenario);
    expect(await store.listDownNodes()).toEqual([]);
  });

  it('link bandwidth is limited both ways, lifted with 0, and lifted by seeding', async () => {
    await store.seedScenario(scenario);
    expect(await store.getBandwidth(1, 2)).toBeUndefined();
    await store.setBandwidth(1, 2, 500);
    expect(await store.getBandwidth(1, 2)).toBe(500);
    expect(await store.getBandwidth(2, 1)).toBe(500);
    await store.setBandwidth(2, 1, 250);
    await store.setBandwidth(1, 3, 100);
    expect(await store.listBandwidths()).toEqual([
      { from: 1, to: 2, rateKBps: 250 },
      { from: 1, to: 3, rateKBps: 100 },
      { from: 2, to: 1, rateKBps: 250 },
      { from: 3, to: 1, rateKBps: 100 },
    ]);
    expect(await store.getBandwidth(2, 2)).toBeUndefined();
    await store.setBandwidth(1, 2, 0);
    expect(await store.getBandwidth(2, 1)).toBeUndefined();
    await expect(store.setBandwidth(1, 2, 1.5)).rejects.toThrow(UserError);
    await expect(store.setBandwidth(1, 1, 10)).rejects.toThrow(UserError);
    await store.seedScenario(scenario);
    expect(await store.listBandwidths()).toEqual([]);
  });

  const zero = { responseTime: 0, executionTime: 0, throughput: 0, latency: 0, availability: 0, consistency: 0 };
  const vectorOf = (appId: number, actionLabel: string) => store.upsertImpact({ appId, actionLabel, vector: zero, source: 'training', updatedAtMs: 1 });

  it('deleteApp removes the app and its impact vectors; its runs, events and feedback stay; an unknown app is not found', async () => {
    await store.seedScenario(scenario);
    const copy = await store.createCopy({ nodeId: 3, bucket: 'node-3', objectKey: 'd.json', createdAtMs: 1 });
    for (const a of [1, 2, 3]) await store.setAppReference(a, copy.id);
    for (const a of [1, 2]) for (const l of ['M3_1', 'CR2']) await vectorOf(a, l);
    await store.insertRun(run({ appId: 1 }));
    await store.insertRun(run({ appId: 1 }));
    const { event } = await store.commitChangeRef({ appId: 1, toCopyId: copy.id, expectedVersion: copy.version, event: ev({ appId: 1, datasetId: copy.id, actionLabel: 'CR3', actionType: 'changeRef' }) });
    await store.addFeedback({ eventId: event.id, appId: 2, value: 0.5, createdAtMs: 2_000 });
    await store.addFeedback({ eventId: event.id, appId: 1, value: 0.5, createdAtMs: 2_000 });

    const removed = await store.deleteApp(1);
    expect(removed).toEqual({ app: { id: 1, nodeId: 1, goal: scenario.apps[0].goal, datasetId: copy.id }, impacts: 2, runsKept: 2 });
    expect((await store.listApps()).map((a) => a.id)).toEqual([2, 3]);
    expect(await store.listImpacts(1)).toEqual([]);
    expect((await store.listImpacts()).map((r) => `${r.appId}:${r.actionLabel}`)).toEqual(['2:CR2', '2:M3_1']);
    expect(await store.countRuns(1)).toBe(2);
    expect((await store.getEvent(event.id))?.appId).toBe(1);
    expect((await store.listFeedback(event.id)).map((f) => f.appId)).toEqual([1, 2]);
    expect(await store.getNode(1)).toBeDefined(); // the node stays
    await expect(store.deleteApp(1)).rejects.toThrow(NotFoundError);
    await expect(store.deleteApp(1)).rejects.toThrow(/app 1 does not exist/);
  });

  it('deleteNode removes the node with its apps, copies, links, status and bandwidth rows, re-points readers of its copies; history stays', async () => {
    await store.seedScenario(scenario); // 1-2 1000 ms, 1-3 1500 ms, 2-3 1200 ms
    const onThree = await store.createCopy({ nodeId: 3, bucket: 'node-3', objectKey: 'd.json', createdAtMs: 1 });
    const onTwo = await store.createCopy({ familyId: onThree.familyId, nodeId: 2, bucket: 'node-2', objectKey: 'd2.json', createdAtMs: 2 });
    const onOne = await store.createCopy({ familyId: onThree.familyId, nodeId: 1, bucket: 'node-1', objectKey: 'd1.json', createdAtMs: 3 });
    await store.setAppReference(1, onTwo.id);
    await store.setAppReference(2, onThree.id); // on node 2, 1000 ms from node 1: re-pointed to its own node's copy
    await store.setAppReference(3, onThree.id);
    await store.createCopy({ nodeId: 3, bucket: 'node-3', objectKey: 'other.json', createdAtMs: 4 }); // a family nobody reads: goes with the node
    for (const l of ['M3_1', 'M1_2', 'CR3', 'C2_3', 'M13_1']) await vectorOf(1, l);
    await vectorOf(3, 'M1_2');
    await store.adjustCounter('M3_1', 2);
    await store.adjustCounter('M1_2', 1);
    await store.setBandwidth(1, 3, 100);
    await store.setBandwidth(1, 2, 200);
    await store.setNodeDown(3, true, 1);
    await store.insertRun(run({ appId: 3 }));
    const { event } = await store.commitChangeRef({ appId: 3, toCopyId: onThree.id, expectedVersion: onThree.version, event: ev({ appId: 3, datasetId: onThree.id, actionLabel: 'CR3', actionType: 'changeRef' }) });

    const removed = await store.deleteNode(3);
    expect(removed.node).toEqual({ id: 3, name: 'node3', storage: true, availability: 85 });
    expect(removed.apps).toEqual([3]);
    expect(removed.copies.map((c) => c.id)).toEqual([onThree.id, onOne.id + 1]);
    expect(removed.links).toEqual(expect.arrayContaining([
      { from: 1, to: 3, latencyMs: 1500 },
      { from: 3, to: 1, latencyMs: 1500 },
      { from: 2, to: 3, latencyMs: 1200 },
      { from: 3, to: 2, latencyMs: 1200 },
    ]));
    expect(removed.links).toHaveLength(4);
    expect(removed.repointed).toEqual([{ app: 2, from: { copy: onThree.id, node: 3 }, to: { copy: onTwo.id, node: 2 } }]);
    expect(removed.impacts).toBe(4); // app 3's M1_2; app 1's M3_1, CR3, C2_3 (M13_1 names node 13, not 3)
    expect(removed.counters).toEqual(['M3_1']);

    expect((await store.listNodes()).map((n) => n.id)).toEqual([1, 2]);
    expect(await store.listLinks()).toEqual([
      { from: 1, to: 2, latencyMs: 1000 },
      { from: 2, to: 1, latencyMs: 1000 },
    ]);
    expect(await store.listBandwidths()).toEqual([
      { from: 1, to: 2, rateKBps: 200 },
      { from: 2, to: 1, rateKBps: 200 },
    ]);
    expect(await store.listDownNodes()).toEqual([]);
    expect((await store.listApps()).map((a) => [a.id, a.datasetId])).toEqual([
      [1, onTwo.id],
      [2, onTwo.id],
    ]);
    expect((await store.listCopies()).map((c) => c.id)).toEqual([onTwo.id, onOne.id]);
    expect((await store.listImpacts()).map((r) => `${r.appId}:${r.actionLabel}`)).toEqual(['1:M13_1', '1:M1_2']);
    expect(await store.getCounters()).toEqual({ M1_2: 1 });
    expect(await store.countRuns(3)).toBe(1);
    expect((await store.getEvent(event.id))?.datasetId).toBe(onThree.id);
    await expect(store.deleteNode(3)).rejects.toThrow(NotFoundError);
  });

  it('deleteNode refuses the last copy of a data set an app of another node reads, naming both; nothing changes', async () => {
    await store.seedScenario(scenario);
    const only = await store.createCopy({ nodeId: 3, bucket: 'node-3', objectKey: 'd.json', createdAtMs: 1 });
    for (const a of [1, 2, 3]) await store.setAppReference(a, only.id);
    await store.setBandwidth(1, 3, 100);
    const err = await store.deleteNode(3).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as ConflictError).details.join('; ')).toMatch(new RegExp(`node 3 holds the last copy of data set ${only.familyId} \\(copy ${only.id}\\), read by app\\(s\\) 1, 2`));
    expect((await store.listNodes()).map((n) => n.id)).toEqual([1, 2, 3]);
    expect(await store.listLinks()).toHaveLength(6);
    expect(await store.listBandwidths()).toHaveLength(2);
    expect((await store.listApps()).map((a) => a.datasetId)).toEqual([only.id, only.id, only.id]);
    expect(await store.listCopies()).toHaveLength(1);
    expect(await store.listRemovals()).toEqual([]); // a refused delete records no removal
  });

  it('timeline steps are recorded with their args, oldest first, and tail by afterId', async () => {
    const big = 1_700_000_000_000;
    const a = await store.recordStep({ atMs: big, kind: 'setLatency', args: { from: 1, to: 2, latencyMs: 200.5 }, source: 'timeline', error: null });
    const b = await store.recordStep({ atMs: big + 1, kind: 'addNode', args: { id: 4, availability: 90, storage: true, latency: { 1: 300 }, goal: { all: [{ metric: 'latency', max: 5 }] } }, source: 'admin', error: null });
    const c = await store.recordStep({ atMs: big + 2, kind: 'nodeUp', args: { node: 2 }, source: 'timeline', error: 'node 2: its app could not start' });
    expect(a).toEqual({ id: a.id, atMs: big, kind: 'setLatency', args: { from: 1, to: 2, latencyMs: 200.5 }, source: 'timeline', error: null });
    expect(b.id).toBeGreaterThan(a.id);
    expect(await store.listTimeline()).toEqual([a, b, c]);
    expect(await store.listTimeline({ afterId: a.id })).toEqual([b, c]);
    expect(await store.listTimeline({ limit: 1, offset: 1 })).toEqual([b]);
    await expect(store.recordStep({ atMs: 1.5, kind: 'nodeUp', args: {}, source: 'admin', error: null })).rejects.toThrow(/atMs: expected an integer/);
  });
});

// CI always starts MariaDB (.ci/run): there a missing URL is a failure, not a skip
if (!mysqlFactory && process.env.CI) throw new Error('CI: FOGSIM_MYSQL_URL is not set; .ci/run starts MariaDB with scripts/real/up.sh');
if (!mysqlFactory) {
  describe.skip('Store contract: mysql (skipped: FOGSIM_MYSQL_URL not set (CI sets it))', () => {
    it('runs the same contract against MySQL/MariaDB', () => {});
  });
}

describe('openStore', () => {
  it('a MySQL server that is down gives a retriable UnavailableError naming FOGSIM_MYSQL_URL', async () => {
    // a port that was free a moment ago: nothing listens there
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const port = (srv.address() as { port: number }).port;
    await new Promise<void>((r) => srv.close(() => r()));
    const err = await openStore({ mysqlUrl: `mysql://u:secret@127.0.0.1:${port}/fogsim`, sqlitePath: '' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect(err).toMatchObject({ code: 'UNAVAILABLE', retriable: true });
    expect((err as Error).message).toMatch(/FOGSIM_MYSQL_URL/);
    expect((err as Error).message).toMatch(/connection refused; check the server is running/);
    expect((err as Error).message).not.toMatch(/secret/);
  });

  it('a malformed FOGSIM_MYSQL_URL is a UserError that shows the expected form', async () => {
    await expect(openStore({ mysqlUrl: 'postgres://x@y/z', sqlitePath: '' })).rejects.toThrow(/FOGSIM_MYSQL_URL: scheme must be mysql:\/\//);
    await expect(openStore({ mysqlUrl: 'mysql://u:p@127.0.0.1:3306/', sqlitePath: '' })).rejects.toThrow(/no database name/);
  });

  it('an unusable SQLite path is a UserError naming the path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fogsim-db-'));
    tmpDirs.push(dir);
    // a folder where the file should be
    await expect(openStore({ sqlitePath: dir })).rejects.toThrow(UserError);
  });
});
