/*
 * Every SQL statement the stores run, written once for both dialects. Each statement is a small
 * function that validates its arguments and returns { sql, params }; the SQL texts are built once
 * per dialect (statements(SQLITE), statements(MYSQL)), so a store sees the same string object on
 * every call (SqliteStore caches its prepared statements by text).
 *
 * The dialects differ in five places only, all in the table below:
 *   - upserts: SQLite `ON CONFLICT(key) DO UPDATE SET c = excluded.c`,
 *     MySQL `ON DUPLICATE KEY UPDATE c = VALUES(c)`;
 *   - insert-unless-present: SQLite `ON CONFLICT(key) DO NOTHING`, MySQL `INSERT IGNORE`;
 *   - the larger of two numbers: SQLite's scalar MAX(), MySQL's GREATEST();
 *   - row locks: MySQL locks what a transaction reads (`FOR UPDATE`, `LOCK IN SHARE MODE`);
 *     SQLite needs none, its BEGIN IMMEDIATE already holds the whole file's write lock;
 *   - a SELECT of values alone with a WHERE (INSERT ... SELECT ? WHERE NOT EXISTS ...): MySQL
 *     needs `FROM DUAL` before the WHERE, SQLite has no DUAL and needs no FROM.
 * Booleans are 0/1 in both (SQLite INTEGER, MySQL TINYINT(1)): `bool` below, `rows.ts` back.
 * How a new row's id comes back (lastInsertRowid / insertId) and how transactions run are the
 * stores' business: they differ only there.
 *
 * The schema itself (CREATE/ALTER) lives in migrations.ts.
 */
import type { AppRow, FeedbackRow, ImpactRow, NewRun, NodeRow } from '../model/types.js';
import type { NewTimelineRow } from '../model/steps.js';
import { scenarioLinks, type Scenario } from '../model/scenario.js';
import { checkBandwidth, checkDelta, checkInt, checkLink, pageBounds } from './rows.js';
import type { EventScope, NewEvent, Page } from './store.js';
import type { Removal } from '../model/removal.js';

export type Param = string | number | null;

export interface Query {
  readonly sql: string;
  readonly params: Param[];
  /** has LIMIT/OFFSET placeholders, which MySQL 8 refuses in server-side prepared statements */
  readonly paged?: true;
}

/** What a write reports, whichever driver ran it. */
export interface Written {
  /** rows inserted, updated or deleted */
  changes: number;
  /** id of the row an INSERT created (AUTO_INCREMENT / rowid) */
  insertId: number;
}

export interface Dialect {
  readonly name: 'sqlite' | 'mysql';
  /** the clause after INSERT ... VALUES (...) that updates the existing row when `keys` collide; assignments follow it */
  onDuplicate(keys: readonly string[]): string;
  /** inside that clause: the value the INSERT tried to write into column `c` */
  inserted(c: string): string;
  /** INSERT that skips a row whose `keys` exist: the words before the table, and the clause after VALUES (...) */
  insertOrSkip: { head: string; tail(keys: readonly string[]): string };
  /** the larger of two numbers */
  greatest: string;
  /** appended to a SELECT inside a transaction: lock the rows read, for writing / for reading */
  forUpdate: string;
  forShare: string;
  /** what a SELECT of values alone needs before a WHERE */
  fromDual: string;
}

export const SQLITE: Dialect = {
  name: 'sqlite',
  onDuplicate: (keys) => `ON CONFLICT(${keys.join(', ')}) DO UPDATE SET`,
  inserted: (c) => `excluded.${c}`,
  insertOrSkip: { head: 'INSERT INTO', tail: (keys) => ` ON CONFLICT(${keys.join(', ')}) DO NOTHING` },
  greatest: 'MAX',
  forUpdate: '',
  forShare: '',
  fromDual: '',
};

export const MYSQL: Dialect = {
  name: 'mysql',
  onDuplicate: () => 'ON DUPLICATE KEY UPDATE',
  inserted: (c) => `VALUES(${c})`,
  // the statements that use it validate their values first, so IGNORE can only skip the duplicate key
  insertOrSkip: { head: 'INSERT IGNORE INTO', tail: () => '' },
  greatest: 'GREATEST',
  forUpdate: ' FOR UPDATE',
  forShare: ' LOCK IN SHARE MODE',
  fromDual: ' FROM DUAL',
};

export const bool = (v: boolean): number => (v ? 1 : 0);

const q = (sql: string, params: Param[] = []): Query => ({ sql, params });
const paged = (sql: string, params: Param[]): Query => ({ sql, params, paged: true });

function finite(name: string, v: number): number {
  if (!Number.isFinite(v)) throw new Error(`${name} must be a finite number, got ${String(v)}`);
  return v;
}

export function statements(d: Dialect) {
  /** an upsert clause that overwrites `columns` with the new row's values */
  const upsert = (keys: string[], columns: string[]) => `${d.onDuplicate(keys)} ${columns.map((c) => `${c} = ${d.inserted(c)}`).join(', ')}`;
  const max0 = (x: string) => `${d.greatest}(0, ${x})`;
  /** seeding in store mode: true unless the admin removed what `cond` names (the removals table) */
  const notRemoved = (cond: string) => `NOT EXISTS (SELECT 1 FROM removals r WHERE ${cond})`;

  const SQL = {
    appliedMigrations: 'SELECT version FROM schema_migrations ORDER BY version',
    recordMigration: `${d.insertOrSkip.head} schema_migrations (version, name, applied_at_ms) VALUES (?, ?, ?)${d.insertOrSkip.tail(['version'])}`,

    listNodes: 'SELECT * FROM nodes ORDER BY id',
    getNode: 'SELECT * FROM nodes WHERE id = ?',
    upsertNode: `INSERT INTO nodes (id, name, storage, availability) VALUES (?, ?, ?, ?) ${upsert(['id'], ['name', 'storage', 'availability'])}`,
    insertNodeIfMissing: `${d.insertOrSkip.head} nodes (id, name, storage, availability) SELECT ?, ?, ?, ?${d.fromDual} WHERE ${notRemoved("r.kind = 'node' AND r.id = ?")}${d.insertOrSkip.tail(['id'])}`,
    updateNode: 'UPDATE nodes SET name = COALESCE(?, name), storage = COALESCE(?, storage), availability = COALESCE(?, availability) WHERE id = ?',

    lockNode: `SELECT * FROM nodes WHERE id = ?${d.forUpdate}`,
    deleteNode: 'DELETE FROM nodes WHERE id = ?',

    listLinks: 'SELECT from_node, to_node, latency_ms FROM links ORDER BY from_node, to_node',
    deleteNodeLinks: 'DELETE FROM links WHERE from_node = ? OR to_node = ?',
    setLink: `INSERT INTO links (from_node, to_node, latency_ms) VALUES (?, ?, ?), (?, ?, ?) ${upsert(['from_node', 'to_node'], ['latency_ms'])}`,
    // both directions as a derived table, so one condition on the row's two nodes covers both
    insertLinkIfMissing: `${d.insertOrSkip.head} links (from_node, to_node, latency_ms) SELECT p.f, p.t, p.l FROM (SELECT ? AS f, ? AS t, ? AS l UNION ALL SELECT ?, ?, ?) p WHERE ${notRemoved(
      "r.kind = 'node' AND r.id IN (p.f, p.t)",
    )}${d.insertOrSkip.tail(['from_node', 'to_node'])}`,
    getLatency: 'SELECT latency_ms FROM links WHERE (from_node = ? AND to_node = ?) OR (from_node = ? AND to_node = ?) ORDER BY from_node = ? DESC LIMIT 1',

    listApps: 'SELECT * FROM apps ORDER BY id',
    upsertApp: `INSERT INTO apps (id, node_id, goal) VALUES (?, ?, ?) ${upsert(['id'], ['node_id', 'goal'])}`,
    insertAppIfMissing: `${d.insertOrSkip.head} apps (id, node_id, goal) SELECT ?, ?, ?${d.fromDual} WHERE ${notRemoved("(r.kind = 'app' AND r.id = ?) OR (r.kind = 'node' AND r.id = ?)")}${d.insertOrSkip.tail(['id'])}`,
    getAppReference: 'SELECT d.* FROM apps a JOIN datasets d ON d.id = a.dataset_id WHERE a.id = ?',
    setAppReference: 'UPDATE apps SET dataset_id = ? WHERE id = ?',
    lockApp: `SELECT id FROM apps WHERE id = ?${d.forUpdate}`,
    lockApps: `SELECT * FROM apps ORDER BY id${d.forUpdate}`,
    deleteApp: 'DELETE FROM apps WHERE id = ?',

    listCopies: 'SELECT * FROM datasets ORDER BY id',
    lockCopies: `SELECT * FROM datasets ORDER BY id${d.forUpdate}`,
    deleteNodeCopies: 'DELETE FROM datasets WHERE node_id = ?',
    listFamily: 'SELECT * FROM datasets WHERE family_id = ? ORDER BY id',
    getCopy: 'SELECT * FROM datasets WHERE id = ?',
    lockCopy: `SELECT * FROM datasets WHERE id = ?${d.forUpdate}`,
    shareCopy: `SELECT id FROM datasets WHERE id = ?${d.forShare}`,
    insertCopy: 'INSERT INTO datasets (family_id, node_id, bucket, object_key, version, created_at_ms) VALUES (?, ?, ?, ?, 1, ?)',
    foundFamily: 'UPDATE datasets SET family_id = id WHERE id = ?',
    // a move without a key keeps the row's (the actuator gives each move a key of its own)
    moveCopy: 'UPDATE datasets SET node_id = ?, bucket = ?, object_key = COALESCE(?, object_key), version = version + 1 WHERE id = ? AND version = ?',
    referenceCounts: 'SELECT dataset_id, COUNT(*) AS n FROM apps WHERE dataset_id IS NOT NULL GROUP BY dataset_id',

    insertEvent:
      'INSERT INTO events (app_id, dataset_id, action_label, action_type, created_at_ms, closes_at_ms, active, explored, sum_feedback, global_feedback) VALUES (?, ?, ?, ?, ?, ?, 1, ?, 0, NULL)',
    listEvents: 'SELECT * FROM events WHERE (? IS NULL OR app_id = ?) AND (? IS NULL OR active = ?) ORDER BY id LIMIT ? OFFSET ?',
    getEvent: 'SELECT * FROM events WHERE id = ?',
    openEventsOfCopy: 'SELECT e.* FROM events e WHERE e.active = 1 AND e.closes_at_ms > ? AND e.dataset_id = ? AND e.app_id <> ? ORDER BY e.id',
    openEventsOfFamily:
      'SELECT e.* FROM events e JOIN datasets d ON d.id = e.dataset_id WHERE e.active = 1 AND e.closes_at_ms > ? AND d.family_id = ? AND e.app_id <> ? ORDER BY e.id',
    eventStats: 'SELECT SUM(CASE WHEN active = 1 THEN 1 ELSE 0 END) AS open, MAX(created_at_ms) AS last FROM events',
    lockEventState: `SELECT active FROM events WHERE id = ?${d.forUpdate}`,
    dueEventIds: 'SELECT id FROM events WHERE active = 1 AND closes_at_ms <= ? ORDER BY id',
    lockOpenEvent: `SELECT * FROM events WHERE id = ? AND active = 1${d.forUpdate}`,
    closeEvent: 'UPDATE events SET active = 0, global_feedback = ? WHERE id = ?',

    insertFeedback: `${d.insertOrSkip.head} feedback (event_id, app_id, value, created_at_ms) VALUES (?, ?, ?, ?)${d.insertOrSkip.tail(['event_id', 'app_id'])}`,
    addToFeedbackSum: 'UPDATE events SET sum_feedback = sum_feedback + ? WHERE id = ?',
    listFeedback: 'SELECT * FROM feedback ORDER BY event_id, app_id',
    listEventFeedback: 'SELECT * FROM feedback WHERE event_id = ? ORDER BY app_id',

    listCounters: 'SELECT action_label, value FROM action_counters ORDER BY action_label',
    adjustCounter: `INSERT INTO action_counters (action_label, value) VALUES (?, ${max0('?')}) ${d.onDuplicate(['action_label'])} value = ${max0('action_counters.value + ?')}`,
    getCounter: 'SELECT value FROM action_counters WHERE action_label = ?',
    deleteCounter: 'DELETE FROM action_counters WHERE action_label = ?',

    listImpacts: 'SELECT * FROM impact_vectors ORDER BY app_id, action_label',
    listAppImpacts: 'SELECT * FROM impact_vectors WHERE app_id = ? ORDER BY action_label',
    deleteAppImpacts: 'DELETE FROM impact_vectors WHERE app_id = ?',
    deleteImpact: 'DELETE FROM impact_vectors WHERE app_id = ? AND action_label = ?',
    upsertImpact: `INSERT INTO impact_vectors (app_id, action_label, rt, et, x, nl, av, dc, source, updated_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ${upsert(
      ['app_id', 'action_label'],
      ['rt', 'et', 'x', 'nl', 'av', 'dc', 'source', 'updated_at_ms'],
    )}`,

    insertRun:
      'INSERT INTO runs (app_id, dataset_id, data_node, started_at_ms, rt_ms, et_ms, throughput, latency_ms, availability, consistency, goal_met, action_label, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    insertDecision: 'INSERT INTO decisions (run_id, app_id, created_at_ms, trace) VALUES (?, ?, ?, ?)',
    listDecisions: 'SELECT * FROM decisions WHERE (? IS NULL OR app_id = ?) ORDER BY run_id LIMIT ? OFFSET ?',
    listRuns: 'SELECT * FROM runs WHERE (? IS NULL OR app_id = ?) AND id > ? ORDER BY id LIMIT ? OFFSET ?',
    countRuns: 'SELECT COUNT(*) AS n FROM runs WHERE (? IS NULL OR app_id = ?)',

    setNodeDown: `INSERT INTO node_status (node_id, down, changed_at_ms) VALUES (?, ?, ?) ${upsert(['node_id'], ['down', 'changed_at_ms'])}`,
    getNodeDown: 'SELECT down FROM node_status WHERE node_id = ?',
    listDownNodes: 'SELECT node_id FROM node_status WHERE down = 1 ORDER BY node_id',
    clearNodeStatus: 'DELETE FROM node_status',
    deleteNodeStatus: 'DELETE FROM node_status WHERE node_id = ?',
    setBandwidth: `INSERT INTO link_bandwidth (from_node, to_node, rate_kbps) VALUES (?, ?, ?), (?, ?, ?) ${upsert(['from_node', 'to_node'], ['rate_kbps'])}`,
    clearBandwidth: 'DELETE FROM link_bandwidth WHERE (from_node = ? AND to_node = ?) OR (from_node = ? AND to_node = ?)',
    clearBandwidths: 'DELETE FROM link_bandwidth',
    deleteNodeBandwidths: 'DELETE FROM link_bandwidth WHERE from_node = ? OR to_node = ?',
    getBandwidth: 'SELECT rate_kbps FROM link_bandwidth WHERE from_node = ? AND to_node = ?',
    listBandwidths: 'SELECT from_node, to_node, rate_kbps FROM link_bandwidth ORDER BY from_node, to_node',
    insertStep: 'INSERT INTO timeline (at_ms, kind, args, source, error) VALUES (?, ?, ?, ?, ?)',
    getStep: 'SELECT * FROM timeline WHERE id = ?',
    listTimeline: 'SELECT * FROM timeline WHERE id > ? ORDER BY id LIMIT ? OFFSET ?',

    recordRemoval: `INSERT INTO removals (kind, id, removed_at_ms) VALUES (?, ?, ?) ${upsert(['kind', 'id'], ['removed_at_ms'])}`,
    clearRemoval: 'DELETE FROM removals WHERE kind = ? AND id = ?',
    clearRemovals: 'DELETE FROM removals',
    listRemovals: 'SELECT kind, id, removed_at_ms FROM removals ORDER BY kind DESC, id',
  } as const;

  return {
    // ---- schema bookkeeping (the migrations themselves: migrations.ts) ----
    appliedMigrations: () => q(SQL.appliedMigrations),
    recordMigration: (m: { version: number; name: string }, nowMs: number) => q(SQL.recordMigration, [m.version, m.name, nowMs]),

    // ---- nodes ----
    listNodes: () => q(SQL.listNodes),
    getNode: (id: number) => q(SQL.getNode, [id]),
    upsertNode: (n: NodeRow) => q(SQL.upsertNode, [checkInt('node id', n.id), n.name, bool(n.storage), n.availability]),
    /** unless the store has the node, or the admin removed it */
    insertNodeIfMissing: (n: NodeRow) => q(SQL.insertNodeIfMissing, [checkInt('node id', n.id), n.name, bool(n.storage), n.availability, n.id]),
    updateNode: (id: number, patch: Partial<Pick<NodeRow, 'availability' | 'storage' | 'name'>>) =>
      q(SQL.updateNode, [patch.name ?? null, patch.storage === undefined ? null : bool(patch.storage), patch.availability ?? null, id]),
    /** the node, its row locked for the transaction (a delete) */
    lockNode: (id: number) => q(SQL.lockNode, [id]),
    /** the node row only: its links, status, apps and copies have statements of their own */
    deleteNode: (id: number) => q(SQL.deleteNode, [checkInt('node id', id)]),

    // ---- links ----
    listLinks: () => q(SQL.listLinks),
    /** both directions in one statement */
    setLink: (from: number, to: number, latencyMs: number) => {
      checkLink(from, to, latencyMs);
      return q(SQL.setLink, [from, to, latencyMs, to, from, latencyMs]);
    },
    /** each direction unless the store has it; neither when the admin removed one of the two nodes */
    insertLinkIfMissing: (from: number, to: number, latencyMs: number) => {
      checkLink(from, to, latencyMs);
      return q(SQL.insertLinkIfMissing, [from, to, latencyMs, to, from, latencyMs]);
    },
    /** the link a -> b, else b -> a */
    getLatency: (a: number, b: number) => q(SQL.getLatency, [a, b, b, a, a]),
    /** both directions of every link of the node */
    deleteNodeLinks: (nodeId: number) => q(SQL.deleteNodeLinks, [checkInt('node id', nodeId), nodeId]),

    // ---- apps ----
    listApps: () => q(SQL.listApps),
    upsertApp: (a: AppRow) => q(SQL.upsertApp, [checkInt('app id', a.id), checkInt('node id', a.nodeId), JSON.stringify(a.goal)]),
    /** unless the store has the app, or the admin removed it or its node */
    insertAppIfMissing: (a: AppRow) => q(SQL.insertAppIfMissing, [checkInt('app id', a.id), checkInt('node id', a.nodeId), JSON.stringify(a.goal), a.id, a.nodeId]),
    getAppReference: (appId: number) => q(SQL.getAppReference, [appId]),
    setAppReference: (appId: number, datasetId: number) => q(SQL.setAppReference, [datasetId, appId]),
    /** the app's id, its row locked for the transaction */
    lockApp: (appId: number) => q(SQL.lockApp, [appId]),
    /** every app, the rows locked for the transaction (a node's delete re-points some) */
    lockApps: () => q(SQL.lockApps),
    /** the app row only (its impact vectors: deleteAppImpacts; its runs and events stay as history) */
    deleteApp: (appId: number) => q(SQL.deleteApp, [checkInt('app id', appId)]),

    // ---- data set copies ----
    listCopies: (familyId?: number) => (familyId === undefined ? q(SQL.listCopies) : q(SQL.listFamily, [familyId])),
    getCopy: (id: number) => q(SQL.getCopy, [id]),
    /** every copy, locked for the transaction (MySQL: gaps too, so no copy is added meanwhile) */
    lockCopies: () => q(SQL.lockCopies),
    deleteNodeCopies: (nodeId: number) => q(SQL.deleteNodeCopies, [checkInt('node id', nodeId)]),
    /** the copy, its row locked for writing for the transaction */
    lockCopy: (id: number) => q(SQL.lockCopy, [id]),
    /** the copy's id, its row kept from changing for the transaction */
    shareCopy: (id: number) => q(SQL.shareCopy, [id]),
    /** a copy with family 0 when none is given: foundFamily then names the family after the new id */
    insertCopy: (c: { familyId?: number; nodeId: number; bucket: string; objectKey: string; createdAtMs: number }) =>
      q(SQL.insertCopy, [c.familyId ?? 0, c.nodeId, c.bucket, c.objectKey, checkInt('createdAtMs', c.createdAtMs)]),
    foundFamily: (id: number) => q(SQL.foundFamily, [id]),
    /** changes nothing unless the copy still has `expectedVersion` */
    moveCopy: (a: { copyId: number; expectedVersion: number; toNode: number; bucket: string; objectKey?: string }) => q(SQL.moveCopy, [a.toNode, a.bucket, a.objectKey ?? null, a.copyId, a.expectedVersion]),
    referenceCounts: () => q(SQL.referenceCounts),

    // ---- events ----
    insertEvent: (e: NewEvent) =>
      q(SQL.insertEvent, [e.appId, e.datasetId, e.actionLabel, e.actionType, checkInt('event.createdAtMs', e.createdAtMs), checkInt('event.closesAtMs', e.closesAtMs), bool(e.explored)]),
    listEvents: (p: Page & { appId?: number; active?: boolean } = {}) => {
      const { limit, offset } = pageBounds(p);
      const active = p.active === undefined ? null : bool(p.active);
      return paged(SQL.listEvents, [p.appId ?? null, p.appId ?? null, active, active, limit, offset]);
    },
    getEvent: (id: number) => q(SQL.getEvent, [id]),
    listOpenEvents: (nowMs: number, scope: EventScope, excludeAppId: number) =>
      'copyId' in scope ? q(SQL.openEventsOfCopy, [nowMs, scope.copyId, excludeAppId]) : q(SQL.openEventsOfFamily, [nowMs, scope.familyId, excludeAppId]),
    eventStats: () => q(SQL.eventStats),
    /** the event's `active`, its row locked for the transaction (serialises feedback with closing) */
    lockEventState: (id: number) => q(SQL.lockEventState, [id]),
    dueEventIds: (nowMs: number) => q(SQL.dueEventIds, [nowMs]),
    /** the event if still active, its row locked for the transaction (decides which closer wins) */
    lockOpenEvent: (id: number) => q(SQL.lockOpenEvent, [id]),
    closeEvent: (id: number, globalFeedback: number) => q(SQL.closeEvent, [globalFeedback, id]),

    // ---- feedback ----
    /** inserts nothing (0 changes) when that app already gave feedback on that event */
    insertFeedback: (f: FeedbackRow) =>
      q(SQL.insertFeedback, [checkInt('eventId', f.eventId), checkInt('appId', f.appId), finite('feedback value', f.value), checkInt('createdAtMs', f.createdAtMs)]),
    addToFeedbackSum: (eventId: number, value: number) => q(SQL.addToFeedbackSum, [value, eventId]),
    listFeedback: (eventId?: number) => (eventId === undefined ? q(SQL.listFeedback) : q(SQL.listEventFeedback, [eventId])),

    // ---- action counters ----
    listCounters: () => q(SQL.listCounters),
    /** adds delta, never below zero (getCounter reads the result) */
    adjustCounter: (label: string, delta: number) => {
      checkDelta(delta);
      return q(SQL.adjustCounter, [label, delta, delta]);
    },
    getCounter: (label: string) => q(SQL.getCounter, [label]),
    deleteCounter: (label: string) => q(SQL.deleteCounter, [label]),

    // ---- impact vectors ----
    listImpacts: (appId?: number) => (appId === undefined ? q(SQL.listImpacts) : q(SQL.listAppImpacts, [appId])),
    deleteAppImpacts: (appId: number) => q(SQL.deleteAppImpacts, [checkInt('app id', appId)]),
    deleteImpact: (appId: number, label: string) => q(SQL.deleteImpact, [checkInt('app id', appId), label]),
    upsertImpact: (r: ImpactRow) => {
      const v = r.vector;
      return q(SQL.upsertImpact, [r.appId, r.actionLabel, v.responseTime, v.executionTime, v.throughput, v.latency, v.availability, v.consistency, r.source, checkInt('updatedAtMs', r.updatedAtMs)]);
    },

    // ---- runs and decision traces ----
    insertRun: (r: NewRun) =>
      q(SQL.insertRun, [
        r.appId,
        r.datasetId,
        r.dataNode,
        checkInt('startedAtMs', r.startedAtMs),
        r.rtMs,
        r.etMs,
        r.throughput,
        r.latencyMs,
        r.availability,
        r.consistency,
        bool(r.goalMet),
        r.actionLabel,
        r.error,
      ]),
    /** the run's decision trace; undefined when it has none */
    insertDecision: (runId: number, r: NewRun) =>
      r.decision ? q(SQL.insertDecision, [runId, r.appId, checkInt('startedAtMs', r.startedAtMs), JSON.stringify(r.decision)]) : undefined,
    listDecisions: (p: Page & { appId?: number } = {}) => {
      const { limit, offset } = pageBounds(p);
      return paged(SQL.listDecisions, [p.appId ?? null, p.appId ?? null, limit, offset]);
    },
    listRuns: (p: Page & { appId?: number; afterId?: number } = {}) => {
      const { limit, offset } = pageBounds(p);
      return paged(SQL.listRuns, [p.appId ?? null, p.appId ?? null, p.afterId ?? 0, limit, offset]);
    },
    countRuns: (appId?: number) => q(SQL.countRuns, [appId ?? null, appId ?? null]),

    // ---- node state and link bandwidth (timeline steps nodeDown/nodeUp, setBandwidth) ----
    setNodeDown: (id: number, down: boolean, atMs: number) => q(SQL.setNodeDown, [checkInt('node id', id), bool(down), checkInt('atMs', atMs)]),
    getNodeDown: (id: number) => q(SQL.getNodeDown, [id]),
    listDownNodes: () => q(SQL.listDownNodes),
    /** every node up again (seeding starts the story over) */
    clearNodeStatus: () => q(SQL.clearNodeStatus),
    deleteNodeStatus: (nodeId: number) => q(SQL.deleteNodeStatus, [checkInt('node id', nodeId)]),
    /** both directions in one statement; 0 is no limit: clearBandwidth */
    setBandwidth: (from: number, to: number, rateKBps: number) => {
      checkBandwidth(from, to, rateKBps);
      return q(SQL.setBandwidth, [from, to, rateKBps, to, from, rateKBps]);
    },
    clearBandwidth: (from: number, to: number) => q(SQL.clearBandwidth, [from, to, to, from]),
    clearBandwidths: () => q(SQL.clearBandwidths),
    /** both directions of every limited link of the node */
    deleteNodeBandwidths: (nodeId: number) => q(SQL.deleteNodeBandwidths, [checkInt('node id', nodeId), nodeId]),
    getBandwidth: (from: number, to: number) => q(SQL.getBandwidth, [from, to]),
    listBandwidths: () => q(SQL.listBandwidths),

    // ---- the timeline: every step applied ----
    insertStep: (r: NewTimelineRow) => q(SQL.insertStep, [checkInt('atMs', r.atMs), r.kind, JSON.stringify(r.args), r.source, r.error]),
    getStep: (id: number) => q(SQL.getStep, [id]),
    listTimeline: (p: Page & { afterId?: number } = {}) => {
      const { limit, offset } = pageBounds(p);
      return paged(SQL.listTimeline, [p.afterId ?? 0, limit, offset]);
    },

    // ---- removals: what the admin deleted stays deleted over a restart (model/removal.ts) ----
    recordRemoval: (kind: Removal['kind'], id: number, atMs: number) => q(SQL.recordRemoval, [removalKind(kind), checkInt(`${kind} id`, id), checkInt('atMs', atMs)]),
    /** the id is added again: it is no longer removed */
    clearRemoval: (kind: Removal['kind'], id: number) => q(SQL.clearRemoval, [removalKind(kind), checkInt(`${kind} id`, id)]),
    /** seeding in file mode: the file applies in full */
    clearRemovals: () => q(SQL.clearRemovals),
    /** nodes first, then apps, each by id */
    listRemovals: () => q(SQL.listRemovals),
  };
}

function removalKind(kind: string): Removal['kind'] {
  if (kind !== 'node' && kind !== 'app') throw new Error(`removal kind must be node or app, got ${JSON.stringify(kind)}`);
  return kind;
}

export type Statements = ReturnType<typeof statements>;

/**
 * How a scenario is written into a store (Store.seedScenario): `file` makes the store what the
 * file says (fogsim run, up --reset, a first start), its removals forgotten; `store` adds only
 * what the store lacks and the admin did not remove, so a restart keeps what the admin changed
 * (its edits and deletions stay the truth).
 */
export type SeedMode = 'file' | 'store';

/** The statements that seed a scenario, in order, for either store (one transaction). */
export function seedStatements(S: Statements, s: Scenario, mode: SeedMode): Query[] {
  const out: Query[] = mode === 'file' ? [S.clearRemovals()] : [];
  for (const n of s.nodes) {
    const row = { id: n.id, name: n.name, storage: n.storage, availability: n.availability };
    out.push(mode === 'file' ? S.upsertNode(row) : S.insertNodeIfMissing(row));
  }
  for (const l of scenarioLinks(s)) out.push(mode === 'file' ? S.setLink(l.from, l.to, l.latencyMs) : S.insertLinkIfMissing(l.from, l.to, l.latencyMs));
  for (const a of s.apps) {
    const row = { id: a.id, nodeId: a.node, goal: a.goal };
    out.push(mode === 'file' ? S.upsertApp(row) : S.insertAppIfMissing(row));
  }
  out.push(S.clearNodeStatus(), S.clearBandwidths());
  return out;
}
