/*
 * The real-server store: MySQL 8 / MariaDB through a mysql2/promise pool.
 * Parameterised queries only (server-side prepared statements through execute(); query() with
 * placeholders where MySQL 8 refuses prepared LIMIT arguments). Read-then-write steps run in
 * InnoDB transactions that lock the rows they read (SELECT ... FOR UPDATE) or write conditionally
 * (UPDATE ... WHERE id = ? AND version = ?, checking affectedRows); deadlocks are retried.
 */
import mysql from 'mysql2/promise';
import { ConflictError, UserError } from '../model/errors.js';
import type { AppRow, DatasetCopy, DecisionRow, EventRow, FeedbackRow, ImpactRow, LinkRow, NewRun, NodeRow, RunRow } from '../model/types.js';
import type { Scenario } from '../model/scenario.js';
import type { EventClosure, EventScope, NewEvent, Page, Store } from './store.js';
import { MIGRATIONS, SCHEMA_MIGRATIONS_MYSQL } from './migrations.js';
import { checkClosure, checkDelta, checkInt, checkLink, pageBounds, staleError, toApp, toCopy, toEvent, toFeedback, toImpact, toNode, toRun, toDecision, type Row } from './rows.js';

type Conn = mysql.Pool | mysql.PoolConnection;
type Param = string | number | null;

const b = (v: boolean) => (v ? 1 : 0);

/** InnoDB gave up on one of two transactions waiting for each other: retrying it is the documented remedy. */
const RETRYABLE = new Set(['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT']);
const MIGRATE_LOCK = 'fogsim_migrate';

export interface MySqlTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  connectionLimit: number;
}

/** Parses FOGSIM_MYSQL_URL (mysql://user:pass@host:port/db[?connectionLimit=N]). */
export function parseMySqlUrl(url: string): MySqlTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UserError(`FOGSIM_MYSQL_URL: not a URL (${redact(url)}); expected mysql://user:password@host:3306/database`);
  }
  if (u.protocol !== 'mysql:' && u.protocol !== 'mariadb:') {
    throw new UserError(`FOGSIM_MYSQL_URL: scheme must be mysql://, got ${u.protocol}//; expected mysql://user:password@host:3306/database`);
  }
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (!database) throw new UserError(`FOGSIM_MYSQL_URL: no database name in ${redact(url)}; expected mysql://user:password@host:3306/database`);
  const limit = Number(u.searchParams.get('connectionLimit') ?? 10);
  if (!Number.isInteger(limit) || limit < 1) throw new UserError(`FOGSIM_MYSQL_URL: connectionLimit must be an integer >= 1, got ${u.searchParams.get('connectionLimit')}`);
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 3306,
    user: decodeURIComponent(u.username || 'root'),
    password: decodeURIComponent(u.password),
    database,
    connectionLimit: limit,
  };
}

/** The URL without its password, for messages. */
export function redact(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@');
}

export class MySqlStore implements Store {
  readonly kind = 'mysql' as const;
  private readonly pool: mysql.Pool;

  constructor(readonly target: MySqlTarget) {
    this.pool = mysql.createPool({
      host: target.host,
      port: target.port,
      user: target.user,
      password: target.password,
      database: target.database,
      connectionLimit: target.connectionLimit,
      connectTimeout: 5_000,
      // DOUBLE and BIGINT (epoch ms < 2^53) come back as JS numbers; SUM() of ints as number, not string
      decimalNumbers: true,
      charset: 'utf8mb4',
    });
  }

  static fromUrl(url: string): MySqlStore {
    return new MySqlStore(parseMySqlUrl(url));
  }

  /** One round trip, with a user-facing message when the server is unreachable or refuses us. */
  async ping(): Promise<void> {
    try {
      await this.pool.query('SELECT 1');
    } catch (e) {
      throw connectionError(e, this.target);
    }
  }

  private async rows(c: Conn, sql: string, params: Param[] = []): Promise<Row[]> {
    const [r] = await c.execute(sql, params);
    return r as Row[];
  }
  private async one(c: Conn, sql: string, params: Param[] = []): Promise<Row | undefined> {
    return (await this.rows(c, sql, params))[0];
  }
  private async exec(c: Conn, sql: string, params: Param[] = []): Promise<mysql.ResultSetHeader> {
    const [r] = await c.execute(sql, params);
    return r as mysql.ResultSetHeader;
  }

  /** Runs fn in a transaction on one pooled connection; retried from the start on deadlock. */
  private async tx<T>(fn: (c: mysql.PoolConnection) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const c = await this.pool.getConnection();
      try {
        await c.beginTransaction();
        const out = await fn(c);
        await c.commit();
        return out;
      } catch (e) {
        await c.rollback().catch(() => undefined);
        if (attempt < 8 && RETRYABLE.has((e as { code?: string }).code ?? '')) {
          await new Promise((r) => setTimeout(r, 5 + Math.random() * 20 * attempt));
          continue;
        }
        throw e;
      } finally {
        c.release();
      }
    }
  }

  async migrate(): Promise<void> {
    const c = await this.pool.getConnection().catch((e: unknown) => {
      throw connectionError(e, this.target);
    });
    try {
      // DDL commits implicitly, so a transaction cannot serialise concurrent migrators: a named lock does.
      const [lock] = (await c.query('SELECT GET_LOCK(?, 60) AS ok', [MIGRATE_LOCK])) as unknown as [Row[]];
      if (Number(lock[0]?.ok) !== 1) throw new Error('could not take the schema migration lock within 60 s (another process is migrating?)');
      try {
        await c.query(SCHEMA_MIGRATIONS_MYSQL);
        const [rows] = (await c.query('SELECT version FROM schema_migrations')) as unknown as [Row[]];
        const done = new Set(rows.map((r) => Number(r.version)));
        for (const m of MIGRATIONS) {
          if (done.has(m.version)) continue;
          for (const sql of m.mysql) await c.query(sql);
          await c.query('INSERT IGNORE INTO schema_migrations (version, name, applied_at_ms) VALUES (?, ?, ?)', [m.version, m.name, Date.now()]);
        }
      } finally {
        await c.query('SELECT RELEASE_LOCK(?)', [MIGRATE_LOCK]).catch(() => undefined);
      }
    } finally {
      c.release();
    }
  }

  async appliedMigrations(): Promise<number[]> {
    return (await this.rows(this.pool, 'SELECT version FROM schema_migrations ORDER BY version')).map((r) => Number(r.version));
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  async seedScenario(s: Scenario): Promise<void> {
    await this.tx(async (c) => {
      for (const n of s.nodes) await this.upsertNodeOn(c, { id: n.id, name: n.name, storage: n.storage, availability: n.availability });
      for (const l of s.links) await this.setLinkOn(c, l.from, l.to, l.latencyMs);
      for (const a of s.apps) await this.upsertAppOn(c, { id: a.id, nodeId: a.node, goal: a.goal });
    });
  }

  // ---- nodes ----
  async listNodes(): Promise<NodeRow[]> {
    return (await this.rows(this.pool, 'SELECT * FROM nodes ORDER BY id')).map(toNode);
  }
  async getNode(id: number): Promise<NodeRow | undefined> {
    const r = await this.one(this.pool, 'SELECT * FROM nodes WHERE id = ?', [id]);
    return r ? toNode(r) : undefined;
  }
  private async upsertNodeOn(c: Conn, n: NodeRow): Promise<void> {
    await this.exec(
      c,
      'INSERT INTO nodes (id, name, storage, availability) VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE name = VALUES(name), storage = VALUES(storage), availability = VALUES(availability)',
      [checkInt('node id', n.id), n.name, b(n.storage), n.availability],
    );
  }
  async upsertNode(n: NodeRow): Promise<void> {
    await this.upsertNodeOn(this.pool, n);
  }
  async updateNode(id: number, patch: Partial<Pick<NodeRow, 'availability' | 'storage' | 'name'>>): Promise<NodeRow | undefined> {
    await this.exec(this.pool, 'UPDATE nodes SET name = COALESCE(?, name), storage = COALESCE(?, storage), availability = COALESCE(?, availability) WHERE id = ?', [
      patch.name ?? null,
      patch.storage === undefined ? null : b(patch.storage),
      patch.availability ?? null,
      id,
    ]);
    return this.getNode(id);
  }

  // ---- links ----
  async listLinks(): Promise<LinkRow[]> {
    return (await this.rows(this.pool, 'SELECT from_node, to_node, latency_ms FROM links ORDER BY from_node, to_node')).map((r) => ({
      from: Number(r.from_node),
      to: Number(r.to_node),
      latencyMs: Number(r.latency_ms),
    }));
  }
  private async setLinkOn(c: Conn, from: number, to: number, latencyMs: number): Promise<void> {
    checkLink(from, to, latencyMs);
    await this.exec(c, 'INSERT INTO links (from_node, to_node, latency_ms) VALUES (?, ?, ?), (?, ?, ?) ON DUPLICATE KEY UPDATE latency_ms = VALUES(latency_ms)', [
      from,
      to,
      latencyMs,
      to,
      from,
      latencyMs,
    ]);
  }
  async setLink(from: number, to: number, latencyMs: number): Promise<void> {
    // one statement writes both directions, so it is atomic on its own
    await this.setLinkOn(this.pool, from, to, latencyMs);
  }
  async getLatency(a: number, b: number): Promise<number | undefined> {
    if (a === b) return 0;
    const r = await this.one(this.pool, 'SELECT latency_ms FROM links WHERE (from_node = ? AND to_node = ?) OR (from_node = ? AND to_node = ?) ORDER BY from_node = ? DESC LIMIT 1', [a, b, b, a, a]);
    return r ? Number(r.latency_ms) : undefined;
  }

  // ---- apps ----
  async listApps(): Promise<(AppRow & { datasetId: number | null })[]> {
    return (await this.rows(this.pool, 'SELECT * FROM apps ORDER BY id')).map(toApp);
  }
  private async upsertAppOn(c: Conn, a: AppRow): Promise<void> {
    await this.exec(c, 'INSERT INTO apps (id, node_id, goal) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE node_id = VALUES(node_id), goal = VALUES(goal)', [
      checkInt('app id', a.id),
      checkInt('node id', a.nodeId),
      JSON.stringify(a.goal),
    ]);
  }
  async upsertApp(a: AppRow): Promise<void> {
    await this.upsertAppOn(this.pool, a);
  }
  async getAppReference(appId: number): Promise<DatasetCopy | undefined> {
    const r = await this.one(this.pool, 'SELECT d.* FROM apps a JOIN datasets d ON d.id = a.dataset_id WHERE a.id = ?', [appId]);
    return r ? toCopy(r) : undefined;
  }
  async setAppReference(appId: number, datasetId: number): Promise<void> {
    await this.tx(async (c) => {
      if (!(await this.one(c, 'SELECT id FROM datasets WHERE id = ? LOCK IN SHARE MODE', [datasetId]))) throw new UserError(`data set copy ${datasetId} does not exist`);
      const r = await this.exec(c, 'UPDATE apps SET dataset_id = ? WHERE id = ?', [datasetId, appId]);
      if (r.affectedRows === 0) throw new UserError(`app ${appId} does not exist`);
    });
  }

  // ---- copies ----
  async listCopies(familyId?: number): Promise<DatasetCopy[]> {
    const rows =
      familyId === undefined ? await this.rows(this.pool, 'SELECT * FROM datasets ORDER BY id') : await this.rows(this.pool, 'SELECT * FROM datasets WHERE family_id = ? ORDER BY id', [familyId]);
    return rows.map(toCopy);
  }
  async getCopy(id: number): Promise<DatasetCopy | undefined> {
    const r = await this.one(this.pool, 'SELECT * FROM datasets WHERE id = ?', [id]);
    return r ? toCopy(r) : undefined;
  }
  async createCopy(c: { familyId?: number; nodeId: number; bucket: string; objectKey: string; createdAtMs: number }): Promise<DatasetCopy> {
    return this.tx((conn) => this.insertCopy(conn, c.familyId, c.nodeId, c.bucket, c.objectKey, c.createdAtMs));
  }
  private async insertCopy(c: Conn, familyId: number | undefined, nodeId: number, bucket: string, objectKey: string, createdAtMs: number): Promise<DatasetCopy> {
    const r = await this.exec(c, 'INSERT INTO datasets (family_id, node_id, bucket, object_key, version, created_at_ms) VALUES (?, ?, ?, ?, 1, ?)', [
      familyId ?? 0,
      nodeId,
      bucket,
      objectKey,
      checkInt('createdAtMs', createdAtMs),
    ]);
    const id = Number(r.insertId);
    // A first copy founds its own family, named after its id.
    if (familyId === undefined) await this.exec(c, 'UPDATE datasets SET family_id = id WHERE id = ?', [id]);
    return toCopy((await this.one(c, 'SELECT * FROM datasets WHERE id = ?', [id]))!);
  }
  async referenceCounts(): Promise<Map<number, number>> {
    const rows = await this.rows(this.pool, 'SELECT dataset_id, COUNT(*) AS n FROM apps WHERE dataset_id IS NOT NULL GROUP BY dataset_id');
    return new Map(rows.map((r) => [Number(r.dataset_id), Number(r.n)]));
  }

  // ---- placement commits ----
  private async insertEvent(c: Conn, e: NewEvent): Promise<EventRow> {
    const r = await this.exec(
      c,
      'INSERT INTO events (app_id, dataset_id, action_label, action_type, created_at_ms, closes_at_ms, active, explored, sum_feedback, global_feedback) VALUES (?, ?, ?, ?, ?, ?, 1, ?, 0, NULL)',
      [e.appId, e.datasetId, e.actionLabel, e.actionType, checkInt('event.createdAtMs', e.createdAtMs), checkInt('event.closesAtMs', e.closesAtMs), b(e.explored)],
    );
    // every column is known: no read-back round trip
    return { id: Number(r.insertId), appId: e.appId, datasetId: e.datasetId, actionLabel: e.actionLabel, actionType: e.actionType, createdAtMs: e.createdAtMs, closesAtMs: e.closesAtMs, active: true, explored: e.explored, sumFeedback: 0, globalFeedback: null };
  }

  /** Locks the copy row for the rest of the transaction and checks it is still the version the caller read. */
  private async lockVersion(c: Conn, copyId: number, expectedVersion: number): Promise<DatasetCopy> {
    const r = await this.one(c, 'SELECT * FROM datasets WHERE id = ? FOR UPDATE', [copyId]);
    if (!r) throw new ConflictError(`data set copy ${copyId} no longer exists; re-read the placement and decide again`);
    const copy = toCopy(r);
    if (copy.version !== expectedVersion) throw staleError(copyId, expectedVersion, copy.version);
    return copy;
  }

  private async requireApp(c: Conn, appId: number): Promise<void> {
    if (!(await this.one(c, 'SELECT id FROM apps WHERE id = ? FOR UPDATE', [appId]))) throw new UserError(`app ${appId} does not exist; seed the scenario first`);
  }

  async commitMove(a: { copyId: number; expectedVersion: number; toNode: number; bucket: string; event: NewEvent }): Promise<{ copy: DatasetCopy; event: EventRow }> {
    return this.tx(async (c) => {
      // InnoDB re-evaluates the WHERE on the latest committed row after waiting for its lock,
      // so of several concurrent movers with the same version exactly one sees affectedRows = 1.
      const r = await this.exec(c, 'UPDATE datasets SET node_id = ?, bucket = ?, version = version + 1 WHERE id = ? AND version = ?', [a.toNode, a.bucket, a.copyId, a.expectedVersion]);
      if (r.affectedRows === 0) {
        const now = await this.lockVersion(c, a.copyId, a.expectedVersion); // throws the precise conflict
        throw staleError(a.copyId, a.expectedVersion, now.version);
      }
      const event = await this.insertEvent(c, a.event);
      return { copy: toCopy((await this.one(c, 'SELECT * FROM datasets WHERE id = ?', [a.copyId]))!), event };
    });
  }

  async commitCopy(a: { sourceCopyId: number; expectedVersion: number; toNode: number; bucket: string; objectKey: string; appId: number; event: NewEvent }): Promise<{ copy: DatasetCopy; event: EventRow }> {
    return this.tx(async (c) => {
      const source = await this.lockVersion(c, a.sourceCopyId, a.expectedVersion);
      await this.requireApp(c, a.appId);
      const copy = await this.insertCopy(c, source.familyId, a.toNode, a.bucket, a.objectKey, a.event.createdAtMs);
      await this.exec(c, 'UPDATE apps SET dataset_id = ? WHERE id = ?', [copy.id, a.appId]);
      return { copy, event: await this.insertEvent(c, a.event) };
    });
  }

  async commitChangeRef(a: { appId: number; toCopyId: number; expectedVersion: number; event: NewEvent }): Promise<{ copy: DatasetCopy; event: EventRow }> {
    return this.tx(async (c) => {
      const copy = await this.lockVersion(c, a.toCopyId, a.expectedVersion);
      await this.requireApp(c, a.appId);
      await this.exec(c, 'UPDATE apps SET dataset_id = ? WHERE id = ?', [copy.id, a.appId]);
      return { copy, event: await this.insertEvent(c, a.event) };
    });
  }

  // ---- events and feedback ----
  async listEvents(q: Page & { appId?: number; active?: boolean } = {}): Promise<EventRow[]> {
    const { limit, offset } = pageBounds(q);
    const active = q.active === undefined ? null : b(q.active);
    // query(), not execute(): MySQL 8 rejects LIMIT placeholders in server-side prepared statements
    const [rows] = await this.pool.query('SELECT * FROM events WHERE (? IS NULL OR app_id = ?) AND (? IS NULL OR active = ?) ORDER BY id LIMIT ? OFFSET ?', [
      q.appId ?? null,
      q.appId ?? null,
      active,
      active,
      limit,
      offset,
    ]);
    return (rows as Row[]).map(toEvent);
  }
  async getEvent(id: number): Promise<EventRow | undefined> {
    const r = await this.one(this.pool, 'SELECT * FROM events WHERE id = ?', [id]);
    return r ? toEvent(r) : undefined;
  }
  async listOpenEvents(nowMs: number, scope: EventScope, excludeAppId: number): Promise<EventRow[]> {
    const sql =
      'copyId' in scope
        ? 'SELECT e.* FROM events e WHERE e.active = 1 AND e.closes_at_ms > ? AND e.dataset_id = ? AND e.app_id <> ? ORDER BY e.id'
        : 'SELECT e.* FROM events e JOIN datasets d ON d.id = e.dataset_id WHERE e.active = 1 AND e.closes_at_ms > ? AND d.family_id = ? AND e.app_id <> ? ORDER BY e.id';
    return (await this.rows(this.pool, sql, [nowMs, 'copyId' in scope ? scope.copyId : scope.familyId, excludeAppId])).map(toEvent);
  }
  async eventStats(): Promise<{ open: number; lastCreatedAtMs: number | null }> {
    const r = await this.one(this.pool, 'SELECT SUM(CASE WHEN active = 1 THEN 1 ELSE 0 END) AS open, MAX(created_at_ms) AS last FROM events');
    return { open: Number(r?.open ?? 0), lastCreatedAtMs: r?.last === null || r?.last === undefined ? null : Number(r.last) };
  }
  async addFeedback(f: FeedbackRow): Promise<boolean> {
    return this.tx(async (c) => {
      // Locking the event row serialises feedback with closing: a closed event's sum never changes.
      const ev = await this.one(c, 'SELECT active FROM events WHERE id = ? FOR UPDATE', [f.eventId]);
      if (!ev) throw new UserError(`event ${f.eventId} does not exist`);
      if (Number(ev.active) === 0) return false;
      try {
        await this.exec(c, 'INSERT INTO feedback (event_id, app_id, value, created_at_ms) VALUES (?, ?, ?, ?)', [f.eventId, f.appId, f.value, checkInt('createdAtMs', f.createdAtMs)]);
      } catch (e) {
        if ((e as { code?: string }).code === 'ER_DUP_ENTRY') return false;
        throw e;
      }
      await this.exec(c, 'UPDATE events SET sum_feedback = sum_feedback + ? WHERE id = ?', [f.value, f.eventId]);
      return true;
    });
  }
  async listFeedback(eventId?: number): Promise<FeedbackRow[]> {
    const rows =
      eventId === undefined
        ? await this.rows(this.pool, 'SELECT * FROM feedback ORDER BY event_id, app_id')
        : await this.rows(this.pool, 'SELECT * FROM feedback WHERE event_id = ? ORDER BY app_id', [eventId]);
    return rows.map(toFeedback);
  }
  async closeDueEvents(nowMs: number, close: (e: EventRow) => EventClosure): Promise<EventRow[]> {
    const due = (await this.rows(this.pool, 'SELECT id FROM events WHERE active = 1 AND closes_at_ms <= ? ORDER BY id', [nowMs])).map((r) => Number(r.id));
    const closed: EventRow[] = [];
    for (const id of due) {
      const ev = await this.tx(async (c) => {
        // The row lock decides which closer wins; the others find it inactive and skip it.
        const r = await this.one(c, 'SELECT * FROM events WHERE id = ? AND active = 1 FOR UPDATE', [id]);
        if (!r) return undefined;
        const cl = close(toEvent(r));
        checkClosure(cl);
        await this.exec(c, 'UPDATE events SET active = 0, global_feedback = ? WHERE id = ?', [cl.globalFeedback, id]);
        if (cl.counterDelta !== 0) await this.adjustCounterOn(c, String(r.action_label), cl.counterDelta);
        return toEvent((await this.one(c, 'SELECT * FROM events WHERE id = ?', [id]))!);
      });
      if (ev) closed.push(ev);
    }
    return closed;
  }

  // ---- counters ----
  async getCounters(): Promise<Record<string, number>> {
    const rows = await this.rows(this.pool, 'SELECT action_label, value FROM action_counters ORDER BY action_label');
    return Object.fromEntries(rows.map((r) => [String(r.action_label), Number(r.value)]));
  }
  private async adjustCounterOn(c: mysql.PoolConnection, label: string, delta: number): Promise<number> {
    checkDelta(delta);
    await this.exec(c, 'INSERT INTO action_counters (action_label, value) VALUES (?, GREATEST(0, ?)) ON DUPLICATE KEY UPDATE value = GREATEST(0, value + ?)', [label, delta, delta]);
    return Number((await this.one(c, 'SELECT value FROM action_counters WHERE action_label = ?', [label]))!.value);
  }
  async adjustCounter(label: string, delta: number): Promise<number> {
    return this.tx((c) => this.adjustCounterOn(c, label, delta));
  }

  // ---- impact vectors ----
  async listImpacts(appId?: number): Promise<ImpactRow[]> {
    const rows =
      appId === undefined
        ? await this.rows(this.pool, 'SELECT * FROM impact_vectors ORDER BY app_id, action_label')
        : await this.rows(this.pool, 'SELECT * FROM impact_vectors WHERE app_id = ? ORDER BY action_label', [appId]);
    return rows.map(toImpact);
  }
  async upsertImpact(r: ImpactRow): Promise<void> {
    const v = r.vector;
    await this.exec(
      this.pool,
      `INSERT INTO impact_vectors (app_id, action_label, rt, et, x, nl, av, dc, source, updated_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE rt = VALUES(rt), et = VALUES(et), x = VALUES(x), nl = VALUES(nl), av = VALUES(av), dc = VALUES(dc),
       source = VALUES(source), updated_at_ms = VALUES(updated_at_ms)`,
      [r.appId, r.actionLabel, v.responseTime, v.executionTime, v.throughput, v.latency, v.availability, v.consistency, r.source, checkInt('updatedAtMs', r.updatedAtMs)],
    );
  }

  // ---- runs ----
  async insertRun(r: NewRun): Promise<number> {
    if (!r.decision) return this.insertRunRow(this.pool, r);
    return this.tx(async (c) => {
      const id = await this.insertRunRow(c, r);
      await this.exec(c, 'INSERT INTO decisions (run_id, app_id, created_at_ms, trace) VALUES (?, ?, ?, ?)', [id, r.appId, checkInt('startedAtMs', r.startedAtMs), JSON.stringify(r.decision)]);
      return id;
    });
  }
  async listDecisions(q: Page & { appId?: number } = {}): Promise<DecisionRow[]> {
    const { limit, offset } = pageBounds(q);
    const [rows] = await this.pool.query('SELECT * FROM decisions WHERE (? IS NULL OR app_id = ?) ORDER BY run_id LIMIT ? OFFSET ?', [q.appId ?? null, q.appId ?? null, limit, offset]);
    return (rows as Row[]).map(toDecision);
  }
  private async insertRunRow(c: Conn, r: NewRun): Promise<number> {
    const res = await this.exec(
      c,
      `INSERT INTO runs (app_id, dataset_id, data_node, started_at_ms, rt_ms, et_ms, throughput, latency_ms, availability, consistency, goal_met, action_label, error)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
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
        b(r.goalMet),
        r.actionLabel,
        r.error,
      ],
    );
    return Number(res.insertId);
  }
  async listRuns(q: Page & { appId?: number; afterId?: number } = {}): Promise<RunRow[]> {
    const { limit, offset } = pageBounds(q);
    const [rows] = await this.pool.query('SELECT * FROM runs WHERE (? IS NULL OR app_id = ?) AND id > ? ORDER BY id LIMIT ? OFFSET ?', [
      q.appId ?? null,
      q.appId ?? null,
      q.afterId ?? 0,
      limit,
      offset,
    ]);
    return (rows as Row[]).map(toRun);
  }
  async countRuns(appId?: number): Promise<number> {
    return Number((await this.one(this.pool, 'SELECT COUNT(*) AS n FROM runs WHERE (? IS NULL OR app_id = ?)', [appId ?? null, appId ?? null]))!.n);
  }
}

/** Turns a driver error at connect time into a UserError that says what to check. */
export function connectionError(e: unknown, t: MySqlTarget): Error {
  const code = (e as { code?: string }).code ?? '';
  const where = `MySQL at ${t.host}:${t.port} (FOGSIM_MYSQL_URL)`;
  switch (code) {
    case 'ECONNREFUSED':
      return new UserError(`cannot connect to ${where}: connection refused; check the server is running (scripts/real/mariadb.sh start) and the host and port in FOGSIM_MYSQL_URL`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new UserError(`cannot connect to ${where}: unknown host ${t.host}; check the host in FOGSIM_MYSQL_URL`);
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new UserError(`cannot connect to ${where}: ${code}; check the server is reachable from here (firewall, host, port in FOGSIM_MYSQL_URL)`);
    case 'ER_ACCESS_DENIED_ERROR':
    case 'ER_DBACCESS_DENIED_ERROR':
      return new UserError(`${where} refused user "${t.user}": ${(e as Error).message}; check the user and password in FOGSIM_MYSQL_URL and the user's grants on database ${t.database}`);
    case 'ER_BAD_DB_ERROR':
      return new UserError(`${where} has no database "${t.database}"; create it (CREATE DATABASE ${t.database}) or fix the database name in FOGSIM_MYSQL_URL`);
    default:
      return code ? new UserError(`cannot use ${where}: ${code}: ${(e as Error).message}; check FOGSIM_MYSQL_URL and the server`) : (e as Error);
  }
}
