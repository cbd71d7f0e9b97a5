/*
 * The real-server store: MySQL 8 / MariaDB through a mysql2/promise pool.
 * The SQL is in statements.ts (shared with SqliteStore); this file only runs it. Parameterised
 * queries only (server-side prepared statements through execute(); query() with placeholders
 * for the paged statements, whose LIMIT arguments MySQL 8 refuses in prepared statements).
 * Read-then-write steps run in InnoDB transactions that lock the rows they read (the dialect's
 * SELECT ... FOR UPDATE) or write conditionally (UPDATE ... WHERE id = ? AND version = ?,
 * checking affectedRows); deadlocks are retried.
 */
import mysql from 'mysql2/promise';
import { UnavailableError, UserError } from '../model/errors.js';
import type { AppRow, DatasetCopy, DecisionRow, EventRow, FeedbackRow, ImpactRow, LinkRow, NewRun, NodeRow, RunRow } from '../model/types.js';
import type { Scenario } from '../model/scenario.js';
import type { NewTimelineRow, TimelineRow } from '../model/steps.js';
import type { EventClosure, EventScope, NewEvent, Page, Store } from './store.js';
import { labelNamesNode, planNodeRemoval, type AppRemoval, type NodeRemoval, type Removal } from '../model/removal.js';
import { MIGRATIONS, SCHEMA_MIGRATIONS_MYSQL } from './migrations.js';
import { checkAppExists, checkClosure, checkedCopy, insertedEvent, missing, staleError, toApp, toCopy, toCounters, toDecision, toEvent, toEventStats, toFeedback, toImpact, toLink, toNode, toReferenceCounts, toRemoval, toRun, toBandwidth, toStep, type Row } from './rows.js';
import { MYSQL, statements, type Query, type Written, seedStatements, type SeedMode } from './statements.js';

type Conn = mysql.Pool | mysql.PoolConnection;

const S = statements(MYSQL);

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

  // ---- executing statements ----
  private async all(c: Conn, q: Query): Promise<Row[]> {
    // query(), not execute(), for LIMIT placeholders (see the header)
    const [r] = q.paged ? await c.query(q.sql, q.params) : await c.execute(q.sql, q.params);
    return r as Row[];
  }
  private async get(c: Conn, q: Query): Promise<Row | undefined> {
    return (await this.all(c, q))[0];
  }
  private async run(c: Conn, q: Query): Promise<Written> {
    const [r] = await c.execute(q.sql, q.params);
    const h = r as mysql.ResultSetHeader;
    return { changes: h.affectedRows, insertId: Number(h.insertId) };
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
        const applied = S.appliedMigrations();
        const [rows] = (await c.query(applied.sql, applied.params)) as unknown as [Row[]];
        const done = new Set(rows.map((r) => Number(r.version)));
        for (const m of MIGRATIONS) {
          if (done.has(m.version)) continue;
          for (const sql of m.mysql) await c.query(sql);
          const record = S.recordMigration(m, Date.now());
          await c.query(record.sql, record.params);
        }
      } finally {
        await c.query('SELECT RELEASE_LOCK(?)', [MIGRATE_LOCK]).catch(() => undefined);
      }
    } finally {
      c.release();
    }
  }

  /** Applied migration versions, ascending (for diagnostics and tests). */
  async appliedMigrations(): Promise<number[]> {
    return (await this.all(this.pool, S.appliedMigrations())).map((r) => Number(r.version));
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  async seedScenario(s: Scenario, mode: SeedMode = 'file'): Promise<void> {
    await this.tx(async (c) => {
      for (const q of seedStatements(S, s, mode)) await this.run(c, q);
    });
  }

  // ---- nodes ----
  async listNodes(): Promise<NodeRow[]> {
    return (await this.all(this.pool, S.listNodes())).map(toNode);
  }
  async getNode(id: number): Promise<NodeRow | undefined> {
    const r = await this.get(this.pool, S.getNode(id));
    return r ? toNode(r) : undefined;
  }
  async upsertNode(n: NodeRow): Promise<void> {
    await this.tx(async (c) => {
      await this.run(c, S.upsertNode(n));
      await this.run(c, S.clearRemoval('node', n.id));
    });
  }
  async updateNode(id: number, patch: Partial<Pick<NodeRow, 'availability' | 'storage' | 'name'>>): Promise<NodeRow | undefined> {
    await this.run(this.pool, S.updateNode(id, patch));
    return this.getNode(id);
  }

  async deleteNode(id: number, atMs = Date.now()): Promise<NodeRemoval> {
    return this.tx(async (c) => {
      const row = await this.get(c, S.lockNode(id));
      if (!row) throw missing(`node ${id}`);
      // copies before apps: the order commitCopy locks in, so the two cannot deadlock
      const copies = (await this.all(c, S.lockCopies())).map(toCopy);
      const apps = (await this.all(c, S.lockApps())).map(toApp);
      const plan = planNodeRemoval(id, apps, copies, (await this.all(c, S.listLinks())).map(toLink));
      for (const r of plan.repointed) await this.run(c, S.setAppReference(r.app, r.to.copy));
      let impacts = 0;
      for (const app of plan.apps) impacts += await this.removeApp(c, app, atMs);
      // vectors of the remaining apps for actions to or from the node: a node reusing the id is another node
      for (const v of (await this.all(c, S.listImpacts())).map(toImpact)) if (labelNamesNode(v.actionLabel, id)) impacts += (await this.run(c, S.deleteImpact(v.appId, v.actionLabel))).changes;
      const counters = Object.keys(toCounters(await this.all(c, S.listCounters()))).filter((l) => labelNamesNode(l, id));
      for (const label of counters) await this.run(c, S.deleteCounter(label));
      await this.run(c, S.deleteNodeCopies(id));
      await this.run(c, S.deleteNodeLinks(id));
      await this.run(c, S.deleteNodeBandwidths(id));
      await this.run(c, S.deleteNodeStatus(id));
      await this.run(c, S.deleteNode(id));
      await this.run(c, S.recordRemoval('node', id, Math.round(atMs)));
      const { node: _id, ...rest } = plan;
      return { ...rest, node: toNode(row), impacts, counters };
    });
  }

  // ---- links ----
  async listLinks(): Promise<LinkRow[]> {
    return (await this.all(this.pool, S.listLinks())).map(toLink);
  }
  async setLink(from: number, to: number, latencyMs: number): Promise<void> {
    await this.run(this.pool, S.setLink(from, to, latencyMs)); // one statement writes both directions
  }
  async getLatency(a: number, b: number): Promise<number | undefined> {
    if (a === b) return 0;
    const r = await this.get(this.pool, S.getLatency(a, b));
    return r ? Number(r.latency_ms) : undefined;
  }

  // ---- apps ----
  async listApps(): Promise<(AppRow & { datasetId: number | null })[]> {
    return (await this.all(this.pool, S.listApps())).map(toApp);
  }
  async upsertApp(a: AppRow): Promise<void> {
    await this.tx(async (c) => {
      await this.run(c, S.upsertApp(a));
      await this.run(c, S.clearRemoval('app', a.id));
    });
  }
  async deleteApp(id: number, atMs = Date.now()): Promise<AppRemoval> {
    return this.tx(async (c) => {
      const app = (await this.all(c, S.lockApps())).map(toApp).find((a) => a.id === id);
      if (!app) throw missing(`app ${id}`);
      const impacts = await this.removeApp(c, id, atMs);
      return { app, impacts, runsKept: Number((await this.get(c, S.countRuns(id)))!.n) };
    });
  }
  /** The app row and its impact vectors, its removal recorded (inside a transaction); the number of vectors removed. */
  private async removeApp(c: Conn, id: number, atMs: number): Promise<number> {
    const impacts = (await this.run(c, S.deleteAppImpacts(id))).changes;
    await this.run(c, S.deleteApp(id));
    await this.run(c, S.recordRemoval('app', id, Math.round(atMs)));
    return impacts;
  }
  async listRemovals(): Promise<Removal[]> {
    return (await this.all(this.pool, S.listRemovals())).map(toRemoval);
  }
  async getAppReference(appId: number): Promise<DatasetCopy | undefined> {
    const r = await this.get(this.pool, S.getAppReference(appId));
    return r ? toCopy(r) : undefined;
  }
  async setAppReference(appId: number, datasetId: number): Promise<void> {
    await this.tx(async (c) => {
      if (!(await this.get(c, S.shareCopy(datasetId)))) throw missing(`data set copy ${datasetId}`);
      if ((await this.run(c, S.setAppReference(appId, datasetId))).changes === 0) throw missing(`app ${appId}`);
    });
  }

  // ---- copies ----
  async listCopies(familyId?: number): Promise<DatasetCopy[]> {
    return (await this.all(this.pool, S.listCopies(familyId))).map(toCopy);
  }
  async getCopy(id: number): Promise<DatasetCopy | undefined> {
    const r = await this.get(this.pool, S.getCopy(id));
    return r ? toCopy(r) : undefined;
  }
  async createCopy(c: { familyId?: number; nodeId: number; bucket: string; objectKey: string; createdAtMs: number }): Promise<DatasetCopy> {
    return this.tx((conn) => this.insertCopy(conn, c));
  }
  private async insertCopy(conn: Conn, c: { familyId?: number; nodeId: number; bucket: string; objectKey: string; createdAtMs: number }): Promise<DatasetCopy> {
    const id = (await this.run(conn, S.insertCopy(c))).insertId;
    // A first copy founds its own family, named after its id.
    if (c.familyId === undefined) await this.run(conn, S.foundFamily(id));
    return toCopy((await this.get(conn, S.getCopy(id)))!);
  }
  async referenceCounts(): Promise<Map<number, number>> {
    return toReferenceCounts(await this.all(this.pool, S.referenceCounts()));
  }

  // ---- placement commits ----
  private async insertEvent(c: Conn, e: NewEvent): Promise<EventRow> {
    return insertedEvent((await this.run(c, S.insertEvent(e))).insertId, e);
  }

  async commitMove(a: { copyId: number; expectedVersion: number; toNode: number; bucket: string; objectKey?: string; event: NewEvent }): Promise<{ copy: DatasetCopy; event: EventRow }> {
    return this.tx(async (c) => {
      // InnoDB re-evaluates the WHERE on the latest committed row after waiting for its lock,
      // so of several concurrent movers with the same version exactly one sees affectedRows = 1.
      if ((await this.run(c, S.moveCopy(a))).changes === 0) {
        const now = checkedCopy(a.copyId, a.expectedVersion, await this.get(c, S.lockCopy(a.copyId))); // throws the precise conflict
        throw staleError(a.copyId, a.expectedVersion, now.version);
      }
      const event = await this.insertEvent(c, a.event);
      return { copy: toCopy((await this.get(c, S.getCopy(a.copyId)))!), event };
    });
  }

  async commitCopy(a: { sourceCopyId: number; expectedVersion: number; toNode: number; bucket: string; objectKey: string; appId: number; event: NewEvent }): Promise<{ copy: DatasetCopy; event: EventRow }> {
    return this.tx(async (c) => {
      const source = checkedCopy(a.sourceCopyId, a.expectedVersion, await this.get(c, S.lockCopy(a.sourceCopyId)));
      checkAppExists(a.appId, await this.get(c, S.lockApp(a.appId)));
      const copy = await this.insertCopy(c, { familyId: source.familyId, nodeId: a.toNode, bucket: a.bucket, objectKey: a.objectKey, createdAtMs: a.event.createdAtMs });
      await this.run(c, S.setAppReference(a.appId, copy.id));
      return { copy, event: await this.insertEvent(c, a.event) };
    });
  }

  async commitChangeRef(a: { appId: number; toCopyId: number; expectedVersion: number; event: NewEvent }): Promise<{ copy: DatasetCopy; event: EventRow }> {
    return this.tx(async (c) => {
      const copy = checkedCopy(a.toCopyId, a.expectedVersion, await this.get(c, S.lockCopy(a.toCopyId)));
      checkAppExists(a.appId, await this.get(c, S.lockApp(a.appId)));
      await this.run(c, S.setAppReference(a.appId, copy.id));
      return { copy, event: await this.insertEvent(c, a.event) };
    });
  }

  // ---- events and feedback ----
  async recordEvent(e: NewEvent): Promise<EventRow> {
    return this.tx((c) => this.insertEvent(c, e));
  }
  async listEvents(q: Page & { appId?: number; active?: boolean } = {}): Promise<EventRow[]> {
    return (await this.all(this.pool, S.listEvents(q))).map(toEvent);
  }
  async getEvent(id: number): Promise<EventRow | undefined> {
    const r = await this.get(this.pool, S.getEvent(id));
    return r ? toEvent(r) : undefined;
  }
  async listOpenEvents(nowMs: number, scope: EventScope, excludeAppId: number): Promise<EventRow[]> {
    return (await this.all(this.pool, S.listOpenEvents(nowMs, scope, excludeAppId))).map(toEvent);
  }
  async eventStats(): Promise<{ open: number; lastCreatedAtMs: number | null }> {
    return toEventStats(await this.get(this.pool, S.eventStats()));
  }
  async addFeedback(f: FeedbackRow): Promise<boolean> {
    return this.tx(async (c) => {
      // Locking the event row serialises feedback with closing: a closed event's sum never changes.
      const ev = await this.get(c, S.lockEventState(f.eventId));
      if (!ev) throw missing(`event ${f.eventId}`);
      if (Number(ev.active) === 0) return false;
      if ((await this.run(c, S.insertFeedback(f))).changes === 0) return false; // that app gave feedback already
      await this.run(c, S.addToFeedbackSum(f.eventId, f.value));
      return true;
    });
  }
  async listFeedback(eventId?: number): Promise<FeedbackRow[]> {
    return (await this.all(this.pool, S.listFeedback(eventId))).map(toFeedback);
  }
  async closeDueEvents(nowMs: number, close: (e: EventRow) => EventClosure): Promise<EventRow[]> {
    const due = (await this.all(this.pool, S.dueEventIds(nowMs))).map((r) => Number(r.id));
    const closed: EventRow[] = [];
    for (const id of due) {
      const ev = await this.tx(async (c) => {
        // The row lock decides which closer wins; the others find it inactive and skip it.
        const r = await this.get(c, S.lockOpenEvent(id));
        if (!r) return undefined;
        const cl = close(toEvent(r));
        checkClosure(cl);
        await this.run(c, S.closeEvent(id, cl.globalFeedback));
        if (cl.counterDelta !== 0) await this.adjustCounterOn(c, String(r.action_label), cl.counterDelta);
        return toEvent((await this.get(c, S.getEvent(id)))!);
      });
      if (ev) closed.push(ev);
    }
    return closed;
  }

  // ---- counters ----
  async getCounters(): Promise<Record<string, number>> {
    return toCounters(await this.all(this.pool, S.listCounters()));
  }
  private async adjustCounterOn(c: mysql.PoolConnection, label: string, delta: number): Promise<number> {
    await this.run(c, S.adjustCounter(label, delta));
    return Number((await this.get(c, S.getCounter(label)))!.value);
  }
  async adjustCounter(label: string, delta: number): Promise<number> {
    return this.tx((c) => this.adjustCounterOn(c, label, delta));
  }

  // ---- impact vectors ----
  async listImpacts(appId?: number): Promise<ImpactRow[]> {
    return (await this.all(this.pool, S.listImpacts(appId))).map(toImpact);
  }
  async upsertImpact(r: ImpactRow): Promise<void> {
    await this.run(this.pool, S.upsertImpact(r));
  }

  // ---- runs ----
  async insertRun(r: NewRun): Promise<number> {
    // without a decision trace the run is one statement, atomic on its own: no transaction
    if (!r.decision) return (await this.run(this.pool, S.insertRun(r))).insertId;
    return this.tx(async (c) => {
      const id = (await this.run(c, S.insertRun(r))).insertId;
      await this.run(c, S.insertDecision(id, r)!);
      return id;
    });
  }
  async listDecisions(q: Page & { appId?: number } = {}): Promise<DecisionRow[]> {
    return (await this.all(this.pool, S.listDecisions(q))).map(toDecision);
  }
  async listRuns(q: Page & { appId?: number; afterId?: number } = {}): Promise<RunRow[]> {
    return (await this.all(this.pool, S.listRuns(q))).map(toRun);
  }
  async countRuns(appId?: number): Promise<number> {
    return Number((await this.get(this.pool, S.countRuns(appId)))!.n);
  }

  // ---- node state, link bandwidth ----
  async setNodeDown(id: number, down: boolean, atMs: number): Promise<void> {
    await this.tx(async (c) => {
      if (!(await this.get(c, S.getNode(id)))) throw missing(`node ${id}`);
      await this.run(c, S.setNodeDown(id, down, atMs));
    });
  }
  async isNodeDown(id: number): Promise<boolean> {
    return Number((await this.get(this.pool, S.getNodeDown(id)))?.down ?? 0) === 1;
  }
  async listDownNodes(): Promise<number[]> {
    return (await this.all(this.pool, S.listDownNodes())).map((r) => Number(r.node_id));
  }
  async setBandwidth(from: number, to: number, rateKBps: number): Promise<void> {
    await this.run(this.pool, rateKBps === 0 ? S.clearBandwidth(from, to) : S.setBandwidth(from, to, rateKBps));
  }
  async getBandwidth(a: number, b: number): Promise<number | undefined> {
    if (a === b) return undefined;
    const r = await this.get(this.pool, S.getBandwidth(a, b));
    return r ? Number(r.rate_kbps) : undefined;
  }
  async listBandwidths(): Promise<{ from: number; to: number; rateKBps: number }[]> {
    return (await this.all(this.pool, S.listBandwidths())).map(toBandwidth);
  }

  // ---- timeline ----
  async recordStep(r: NewTimelineRow): Promise<TimelineRow> {
    const id = (await this.run(this.pool, S.insertStep(r))).insertId;
    return toStep((await this.get(this.pool, S.getStep(id)))!);
  }
  async listTimeline(q: Page & { afterId?: number } = {}): Promise<TimelineRow[]> {
    return (await this.all(this.pool, S.listTimeline(q))).map(toStep);
  }
}

/** Turns a driver error at connect time into an error that says what to check (UnavailableError: the server does not answer). */
export function connectionError(e: unknown, t: MySqlTarget): Error {
  const code = (e as { code?: string }).code ?? '';
  const where = `MySQL at ${t.host}:${t.port} (FOGSIM_MYSQL_URL)`;
  switch (code) {
    case 'ECONNREFUSED':
      return new UnavailableError(`cannot connect to ${where}: connection refused; check the server is running (scripts/real/mariadb.sh start) and the host and port in FOGSIM_MYSQL_URL`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new UserError(`cannot connect to ${where}: unknown host ${t.host}; check the host in FOGSIM_MYSQL_URL`);
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new UnavailableError(`cannot connect to ${where}: ${code}; check the server is reachable from here (firewall, host, port in FOGSIM_MYSQL_URL)`);
    case 'ER_ACCESS_DENIED_ERROR':
    case 'ER_DBACCESS_DENIED_ERROR':
      return new UserError(`${where} refused user "${t.user}": ${(e as Error).message}; check the user and password in FOGSIM_MYSQL_URL and the user's grants on database ${t.database}`);
    case 'ER_BAD_DB_ERROR':
      return new UserError(`${where} has no database "${t.database}"; create it (CREATE DATABASE ${t.database}) or fix the database name in FOGSIM_MYSQL_URL`);
    default:
      return code ? new UserError(`cannot use ${where}: ${code}: ${(e as Error).message}; check FOGSIM_MYSQL_URL and the server`) : (e as Error);
  }
}
