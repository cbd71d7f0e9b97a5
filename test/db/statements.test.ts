/*
 * db/statements.ts: every statement is valid SQL in both dialects (prepared against a migrated
 * schema: SQLite always, MySQL/MariaDB when FOGSIM_MYSQL_URL is set), and the two dialects'
 * texts differ only in the statements that use the dialect table (upserts, insert-or-skip, locks).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../db/open.js';
import { parseMySqlUrl } from '../../db/mysql-store.js';
import { MYSQL, SQLITE, statements, type Query, type Statements } from '../../db/statements.js';
import type { NewRun } from '../../model/types.js';

const run: NewRun = { appId: 1, datasetId: 1, dataNode: 1, startedAtMs: 1, rtMs: 1, etMs: 1, throughput: 1, latencyMs: 1, availability: 1, consistency: 1, goalMet: true, actionLabel: null, error: null, decision: null };
const event = { appId: 1, datasetId: 1, actionLabel: 'M3_1', actionType: 'move' as const, createdAtMs: 1, closesAtMs: 2, explored: false };

/** One call of every statement (the type makes a new statement fail to compile until it is listed here). */
const CALLS: { [K in keyof Statements]: (s: Statements) => Query | Query[] } = {
  appliedMigrations: (s) => s.appliedMigrations(),
  recordMigration: (s) => s.recordMigration({ version: 1, name: 'x' }, 1),
  listNodes: (s) => s.listNodes(),
  getNode: (s) => s.getNode(1),
  upsertNode: (s) => s.upsertNode({ id: 1, name: 'n', storage: true, availability: 90 }),
  insertNodeIfMissing: (s) => s.insertNodeIfMissing({ id: 1, name: 'n', storage: true, availability: 90 }),
  updateNode: (s) => s.updateNode(1, { name: 'm' }),
  lockNode: (s) => s.lockNode(1),
  deleteNode: (s) => s.deleteNode(1),
  deleteNodeLinks: (s) => s.deleteNodeLinks(1),
  lockApps: (s) => s.lockApps(),
  deleteApp: (s) => s.deleteApp(1),
  lockCopies: (s) => s.lockCopies(),
  deleteNodeCopies: (s) => s.deleteNodeCopies(1),
  deleteCounter: (s) => s.deleteCounter('M3_1'),
  deleteAppImpacts: (s) => s.deleteAppImpacts(1),
  deleteImpact: (s) => s.deleteImpact(1, 'M3_1'),
  deleteNodeStatus: (s) => s.deleteNodeStatus(1),
  deleteNodeBandwidths: (s) => s.deleteNodeBandwidths(1),
  listLinks: (s) => s.listLinks(),
  setLink: (s) => s.setLink(1, 2, 10),
  insertLinkIfMissing: (s) => s.insertLinkIfMissing(1, 2, 10),
  getLatency: (s) => s.getLatency(1, 2),
  listApps: (s) => s.listApps(),
  upsertApp: (s) => s.upsertApp({ id: 1, nodeId: 1, goal: { all: [] } as never }),
  insertAppIfMissing: (s) => s.insertAppIfMissing({ id: 1, nodeId: 1, goal: { all: [] } as never }),
  getAppReference: (s) => s.getAppReference(1),
  setAppReference: (s) => s.setAppReference(1, 1),
  lockApp: (s) => s.lockApp(1),
  listCopies: (s) => [s.listCopies(), s.listCopies(1)],
  getCopy: (s) => s.getCopy(1),
  lockCopy: (s) => s.lockCopy(1),
  shareCopy: (s) => s.shareCopy(1),
  insertCopy: (s) => s.insertCopy({ nodeId: 1, bucket: 'b', objectKey: 'k', createdAtMs: 1 }),
  foundFamily: (s) => s.foundFamily(1),
  moveCopy: (s) => s.moveCopy({ copyId: 1, expectedVersion: 1, toNode: 2, bucket: 'b' }),
  referenceCounts: (s) => s.referenceCounts(),
  insertEvent: (s) => s.insertEvent(event),
  listEvents: (s) => s.listEvents({ appId: 1, active: true, limit: 5 }),
  getEvent: (s) => s.getEvent(1),
  listOpenEvents: (s) => [s.listOpenEvents(1, { copyId: 1 }, 2), s.listOpenEvents(1, { familyId: 1 }, 2)],
  eventStats: (s) => s.eventStats(),
  lockEventState: (s) => s.lockEventState(1),
  dueEventIds: (s) => s.dueEventIds(1),
  lockOpenEvent: (s) => s.lockOpenEvent(1),
  closeEvent: (s) => s.closeEvent(1, 0.5),
  insertFeedback: (s) => s.insertFeedback({ eventId: 1, appId: 2, value: 0.5, createdAtMs: 1 }),
  addToFeedbackSum: (s) => s.addToFeedbackSum(1, 0.5),
  listFeedback: (s) => [s.listFeedback(), s.listFeedback(1)],
  listCounters: (s) => s.listCounters(),
  adjustCounter: (s) => s.adjustCounter('M3_1', -1),
  getCounter: (s) => s.getCounter('M3_1'),
  listImpacts: (s) => [s.listImpacts(), s.listImpacts(1)],
  upsertImpact: (s) =>
    s.upsertImpact({ appId: 1, actionLabel: 'M3_1', vector: { responseTime: 0, executionTime: 0, throughput: 0, latency: 0, availability: 0, consistency: 0 }, source: 'training', updatedAtMs: 1 }),
  insertRun: (s) => s.insertRun(run),
  insertDecision: (s) => s.insertDecision(1, { ...run, decision: { kind: 'failed', violated: [], chosen: 'NA', explored: false, candidates: [], repair: 0, feedbackGiven: 0, dataNode: null } as never })!,
  listDecisions: (s) => s.listDecisions({ appId: 1 }),
  listRuns: (s) => s.listRuns({ afterId: 3 }),
  countRuns: (s) => s.countRuns(),
  setNodeDown: (s) => s.setNodeDown(1, true, 1),
  getNodeDown: (s) => s.getNodeDown(1),
  listDownNodes: (s) => s.listDownNodes(),
  clearNodeStatus: (s) => s.clearNodeStatus(),
  setBandwidth: (s) => s.setBandwidth(1, 2, 500),
  clearBandwidth: (s) => s.clearBandwidth(1, 2),
  clearBandwidths: (s) => s.clearBandwidths(),
  getBandwidth: (s) => s.getBandwidth(1, 2),
  listBandwidths: (s) => s.listBandwidths(),
  insertStep: (s) => s.insertStep({ atMs: 1, kind: 'nodeDown', args: { node: 1 }, source: 'timeline', error: null }),
  getStep: (s) => s.getStep(1),
  listTimeline: (s) => s.listTimeline({ afterId: 2, limit: 10 }),
  recordRemoval: (s) => [s.recordRemoval('node', 3, 1), s.recordRemoval('app', 3, 1)],
  clearRemoval: (s) => s.clearRemoval('app', 3),
  clearRemovals: (s) => s.clearRemovals(),
  listRemovals: (s) => s.listRemovals(),
};

function all(s: Statements): [string, Query][] {
  return Object.entries(CALLS).flatMap(([name, call]) => {
    const out = call(s);
    return (Array.isArray(out) ? out : [out]).map((q): [string, Query] => [name, q]);
  });
}

/** the statements whose text depends on the dialect table; every other text is the same in both */
const DIALECT_SPECIFIC = ['recordMigration', 'upsertNode', 'setLink', 'upsertApp', 'insertNodeIfMissing', 'insertLinkIfMissing', 'insertAppIfMissing', 'lockNode', 'lockApp', 'lockApps', 'lockCopy', 'lockCopies', 'shareCopy', 'lockEventState', 'lockOpenEvent', 'insertFeedback', 'adjustCounter', 'upsertImpact', 'setNodeDown', 'setBandwidth', 'recordRemoval'];

describe('db/statements', () => {
  const sqlite = all(statements(SQLITE));
  const my = all(statements(MYSQL));

  it('gives each placeholder a parameter', () => {
    for (const [name, q] of [...sqlite, ...my]) expect(q.params.length, name).toBe(q.sql.split('?').length - 1);
  });

  it('differs between the dialects only where the dialect table is used', () => {
    const differ = sqlite.filter(([, q], i) => q.sql !== my[i][1].sql).map(([name]) => name);
    expect([...new Set(differ)].sort()).toEqual([...DIALECT_SPECIFIC].sort());
  });

  it('returns the same SQL string on every call (prepared statements are cached by text)', () => {
    const s = statements(SQLITE);
    expect(s.insertRun(run).sql).toBe(s.insertRun({ ...run, appId: 2 }).sql);
  });

  it('validates arguments before any SQL runs', () => {
    const s = statements(MYSQL);
    expect(() => s.insertFeedback({ eventId: 1, appId: 2, value: Number.NaN, createdAtMs: 1 })).toThrow(/finite/);
    expect(() => s.setLink(1, 1, 5)).toThrow(/two different nodes/);
    expect(() => s.adjustCounter('x', 0.5)).toThrow(/integer/);
    expect(() => s.listRuns({ limit: -1 })).toThrow(/limit/);
    expect(() => s.setBandwidth(1, 2, 0)).toThrow(/rateKBps/);
    expect(() => s.setBandwidth(2, 2, 10)).toThrow(/two different nodes/);
    expect(() => s.recordRemoval('link' as never, 1, 1)).toThrow(/removal kind must be node or app/);
    expect(() => s.clearRemoval('node', 1.5)).toThrow(/node id/);
  });

  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('every SQLite statement prepares against the migrated schema', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fogsim-stmts-'));
    dirs.push(dir);
    const path = join(dir, 'fogsim.db');
    await (await openStore({ sqlitePath: path })).close();
    const db = new Database(path);
    try {
      for (const [name, q] of sqlite) expect(() => db.prepare(q.sql), name).not.toThrow();
    } finally {
      db.close();
    }
  });

  const url = process.env.FOGSIM_MYSQL_URL;
  it.skipIf(!url)('every MySQL statement prepares against the migrated schema', async () => {
    // in a scratch database beside the configured one when the user may create it (scripts/real/mariadb.sh grants fogsim_*)
    const t = parseMySqlUrl(url!);
    const connect = (database: string) => mysql.createConnection({ host: t.host, port: t.port, user: t.user, password: t.password, database });
    const scratch = `${t.database}_statements`;
    const admin = await connect(t.database);
    const created = await admin.query(`CREATE DATABASE IF NOT EXISTS \`${scratch}\``).then(() => true, () => false);
    const u = new URL(url!);
    if (created) u.pathname = `/${scratch}`;
    try {
      await (await openStore({ mysqlUrl: u.toString(), sqlitePath: ':memory:' })).close();
      const c = await connect(created ? scratch : t.database);
      try {
        for (const [name, q] of my) {
          const p = await c.prepare(q.sql).catch((e: Error) => {
            throw new Error(`${name}: ${e.message}`);
          });
          await p.close();
        }
      } finally {
        await c.end();
      }
    } finally {
      if (created) await admin.query(`DROP DATABASE IF EXISTS \`${scratch}\``).catch(() => undefined);
      await admin.end();
    }
  });
});
