/*
 * The embedded store: one SQLite file in WAL mode shared by every node process.
 * better-sqlite3 is synchronous; the async methods exist to match the Store interface.
 * Every write that reads-then-writes runs in BEGIN IMMEDIATE, which takes the file's write lock
 * up front, so two processes cannot interleave between the read and the write; busy_timeout makes
 * the loser wait for the lock instead of failing with SQLITE_BUSY.
 */
import Database from 'better-sqlite3';
import { ConflictError, UserError } from '../model/errors.js';
import type { AppRow, DatasetCopy, DecisionRow, EventRow, FeedbackRow, ImpactRow, LinkRow, NewRun, NodeRow, RunRow } from '../model/types.js';
import type { Scenario } from '../model/scenario.js';
import type { EventClosure, EventScope, NewEvent, Page, Store } from './store.js';
import { MIGRATIONS, SCHEMA_MIGRATIONS_SQLITE } from './migrations.js';
import { checkClosure, checkDelta, checkInt, checkLink, pageBounds, staleError, toApp, toCopy, toEvent, toFeedback, toImpact, toNode, toRun, toDecision, type Row } from './rows.js';

type Stmt = Database.Statement<unknown[], Row>;

export interface SqliteStoreOptions {
  /** how long a writer waits for another process's write lock before failing (ms) */
  busyTimeoutMs?: number;
}

const b = (v: boolean) => (v ? 1 : 0);
/** for a synchronous pause (Atomics.wait) in the constructor */
const PAUSE = new Int32Array(new SharedArrayBuffer(4));

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  private readonly db: Database.Database;
  /** prepared statements by SQL text: preparing is the costly part of a small query */
  private readonly stmts = new Map<string, Stmt>();

  constructor(readonly path: string, opts: SqliteStoreOptions = {}) {
    const timeout = Math.floor(opts.busyTimeoutMs ?? 15_000);
    this.db = new Database(path, { timeout });
    this.db.pragma(`busy_timeout = ${timeout}`);
    // Switching a fresh file to WAL while another process does the same can fail at once with
    // SQLITE_BUSY: SQLite does not always wait on the busy handler there. Retry until the timeout.
    const deadline = Date.now() + timeout;
    for (;;) {
      try {
        this.db.pragma('journal_mode = WAL');
        break;
      } catch (e) {
        if (!String((e as { code?: string }).code).startsWith('SQLITE_BUSY') || Date.now() > deadline) throw e;
        Atomics.wait(PAUSE, 0, 0, 10 + Math.floor(Math.random() * 20));
      }
    }
    // NORMAL is durable across process crashes in WAL mode (only an OS crash can lose the last commits).
    this.db.pragma('synchronous = NORMAL');
  }

  private st(sql: string): Stmt {
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql) as Stmt;
      this.stmts.set(sql, s);
    }
    return s;
  }

  /** Runs fn in BEGIN IMMEDIATE ... COMMIT (rolled back when fn throws). */
  private write<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  async migrate(): Promise<void> {
    // SQLite DDL is transactional: the whole upgrade is one immediate transaction, so concurrent
    // processes starting at once apply each migration exactly once.
    this.write(() => {
      this.db.exec(SCHEMA_MIGRATIONS_SQLITE);
      const done = new Set(this.db.prepare('SELECT version FROM schema_migrations').all().map((r) => Number((r as Row).version)));
      for (const m of MIGRATIONS) {
        if (done.has(m.version)) continue;
        for (const sql of m.sqlite) this.db.exec(sql);
        this.db.prepare('INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
      }
    });
  }

  /** Applied migration versions, ascending (for diagnostics and tests). */
  async appliedMigrations(): Promise<number[]> {
    return this.st('SELECT version FROM schema_migrations ORDER BY version').all().map((r) => Number(r.version));
  }

  async close(): Promise<void> {
    this.stmts.clear();
    if (this.db.open) this.db.close();
  }

  async seedScenario(s: Scenario): Promise<void> {
    this.write(() => {
      for (const n of s.nodes) this.upsertNodeSync({ id: n.id, name: n.name, storage: n.storage, availability: n.availability });
      for (const l of s.links) this.setLinkSync(l.from, l.to, l.latencyMs);
      for (const a of s.apps) this.upsertAppSync({ id: a.id, nodeId: a.node, goal: a.goal });
    });
  }

  // ---- nodes ----
  async listNodes(): Promise<NodeRow[]> {
    return this.st('SELECT * FROM nodes ORDER BY id').all().map(toNode);
  }
  async getNode(id: number): Promise<NodeRow | undefined> {
    const r = this.st('SELECT * FROM nodes WHERE id = ?').get(id);
    return r ? toNode(r) : undefined;
  }
  private upsertNodeSync(n: NodeRow): void {
    this.st(
      'INSERT INTO nodes (id, name, storage, availability) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET name = excluded.name, storage = excluded.storage, availability = excluded.availability',
    ).run(checkInt('node id', n.id), n.name, b(n.storage), n.availability);
  }
  async upsertNode(n: NodeRow): Promise<void> {
    this.upsertNodeSync(n);
  }
  async updateNode(id: number, patch: Partial<Pick<NodeRow, 'availability' | 'storage' | 'name'>>): Promise<NodeRow | undefined> {
    this.st('UPDATE nodes SET name = COALESCE(?, name), storage = COALESCE(?, storage), availability = COALESCE(?, availability) WHERE id = ?').run(
      patch.name ?? null,
      patch.storage === undefined ? null : b(patch.storage),
      patch.availability ?? null,
      id,
    );
    return this.getNode(id);
  }

  // ---- links ----
  async listLinks(): Promise<LinkRow[]> {
    return this.st('SELECT from_node, to_node, latency_ms FROM links ORDER BY from_node, to_node')
      .all()
      .map((r) => ({ from: Number(r.from_node), to: Number(r.to_node), latencyMs: Number(r.latency_ms) }));
  }
  private setLinkSync(from: number, to: number, latencyMs: number): void {
    checkLink(from, to, latencyMs);
    const s = this.st('INSERT INTO links (from_node, to_node, latency_ms) VALUES (?, ?, ?) ON CONFLICT(from_node, to_node) DO UPDATE SET latency_ms = excluded.latency_ms');
    s.run(from, to, latencyMs);
    s.run(to, from, latencyMs);
  }
  async setLink(from: number, to: number, latencyMs: number): Promise<void> {
    this.write(() => this.setLinkSync(from, to, latencyMs));
  }
  async getLatency(a: number, b: number): Promise<number | undefined> {
    if (a === b) return 0;
    const r = this.st('SELECT latency_ms FROM links WHERE (from_node = ? AND to_node = ?) OR (from_node = ? AND to_node = ?) ORDER BY from_node = ? DESC LIMIT 1').get(a, b, b, a, a);
    return r ? Number(r.latency_ms) : undefined;
  }

  // ---- apps ----
  async listApps(): Promise<(AppRow & { datasetId: number | null })[]> {
    return this.st('SELECT * FROM apps ORDER BY id').all().map(toApp);
  }
  private upsertAppSync(a: AppRow): void {
    this.st('INSERT INTO apps (id, node_id, goal) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET node_id = excluded.node_id, goal = excluded.goal').run(
      checkInt('app id', a.id),
      checkInt('node id', a.nodeId),
      JSON.stringify(a.goal),
    );
  }
  async upsertApp(a: AppRow): Promise<void> {
    this.upsertAppSync(a);
  }
  async getAppReference(appId: number): Promise<DatasetCopy | undefined> {
    const r = this.st('SELECT d.* FROM apps a JOIN datasets d ON d.id = a.dataset_id WHERE a.id = ?').get(appId);
    return r ? toCopy(r) : undefined;
  }
  async setAppReference(appId: number, datasetId: number): Promise<void> {
    this.write(() => {
      if (!this.st('SELECT id FROM datasets WHERE id = ?').get(datasetId)) throw new UserError(`data set copy ${datasetId} does not exist`);
      if (this.st('UPDATE apps SET dataset_id = ? WHERE id = ?').run(datasetId, appId).changes === 0) throw new UserError(`app ${appId} does not exist`);
    });
  }

  // ---- copies ----
  async listCopies(familyId?: number): Promise<DatasetCopy[]> {
    return (familyId === undefined ? this.st('SELECT * FROM datasets ORDER BY id').all() : this.st('SELECT * FROM datasets WHERE family_id = ? ORDER BY id').all(familyId)).map(toCopy);
  }
  async getCopy(id: number): Promise<DatasetCopy | undefined> {
    const r = this.st('SELECT * FROM datasets WHERE id = ?').get(id);
    return r ? toCopy(r) : undefined;
  }
  async createCopy(c: { familyId?: number; nodeId: number; bucket: string; objectKey: string; createdAtMs: number }): Promise<DatasetCopy> {
    return this.write(() => this.insertCopy(c.familyId, c.nodeId, c.bucket, c.objectKey, c.createdAtMs));
  }
  private insertCopy(familyId: number | undefined, nodeId: number, bucket: string, objectKey: string, createdAtMs: number): DatasetCopy {
    const id = Number(
      this.st('INSERT INTO datasets (family_id, node_id, bucket, object_key, version, created_at_ms) VALUES (?, ?, ?, ?, 1, ?)').run(familyId ?? 0, nodeId, bucket, objectKey, checkInt('createdAtMs', createdAtMs))
        .lastInsertRowid,
    );
    // A first copy founds its own family, named after its id.
    if (familyId === undefined) this.st('UPDATE datasets SET family_id = id WHERE id = ?').run(id);
    return toCopy(this.st('SELECT * FROM datasets WHERE id = ?').get(id)!);
  }
  async referenceCounts(): Promise<Map<number, number>> {
    const rows = this.st('SELECT dataset_id, COUNT(*) AS n FROM apps WHERE dataset_id IS NOT NULL GROUP BY dataset_id').all();
    return new Map(rows.map((r) => [Number(r.dataset_id), Number(r.n)]));
  }

  // ---- placement commits ----
  private insertEvent(e: NewEvent): EventRow {
    const id = Number(
      this.st(
        'INSERT INTO events (app_id, dataset_id, action_label, action_type, created_at_ms, closes_at_ms, active, explored, sum_feedback, global_feedback) VALUES (?, ?, ?, ?, ?, ?, 1, ?, 0, NULL)',
      ).run(e.appId, e.datasetId, e.actionLabel, e.actionType, checkInt('event.createdAtMs', e.createdAtMs), checkInt('event.closesAtMs', e.closesAtMs), b(e.explored))
        .lastInsertRowid,
    );
    return { id, appId: e.appId, datasetId: e.datasetId, actionLabel: e.actionLabel, actionType: e.actionType, createdAtMs: e.createdAtMs, closesAtMs: e.closesAtMs, active: true, explored: e.explored, sumFeedback: 0, globalFeedback: null };
  }

  /** The copy as read inside the transaction, or a ConflictError explaining what changed. */
  private checkVersion(copyId: number, expectedVersion: number): DatasetCopy {
    const r = this.st('SELECT * FROM datasets WHERE id = ?').get(copyId);
    if (!r) throw new ConflictError(`data set copy ${copyId} no longer exists; re-read the placement and decide again`);
    const copy = toCopy(r);
    if (copy.version !== expectedVersion) throw staleError(copyId, expectedVersion, copy.version);
    return copy;
  }

  private requireApp(appId: number): void {
    if (!this.st('SELECT id FROM apps WHERE id = ?').get(appId)) throw new UserError(`app ${appId} does not exist; seed the scenario first`);
  }

  async commitMove(a: { copyId: number; expectedVersion: number; toNode: number; bucket: string; event: NewEvent }): Promise<{ copy: DatasetCopy; event: EventRow }> {
    return this.write(() => {
      const r = this.st('UPDATE datasets SET node_id = ?, bucket = ?, version = version + 1 WHERE id = ? AND version = ?').run(a.toNode, a.bucket, a.copyId, a.expectedVersion);
      if (r.changes === 0) {
        const now = this.checkVersion(a.copyId, a.expectedVersion); // throws the precise conflict
        throw staleError(a.copyId, a.expectedVersion, now.version);
      }
      const event = this.insertEvent(a.event);
      return { copy: toCopy(this.st('SELECT * FROM datasets WHERE id = ?').get(a.copyId)!), event };
    });
  }

  async commitCopy(a: { sourceCopyId: number; expectedVersion: number; toNode: number; bucket: string; objectKey: string; appId: number; event: NewEvent }): Promise<{ copy: DatasetCopy; event: EventRow }> {
    return this.write(() => {
      const source = this.checkVersion(a.sourceCopyId, a.expectedVersion);
      this.requireApp(a.appId);
      const copy = this.insertCopy(source.familyId, a.toNode, a.bucket, a.objectKey, a.event.createdAtMs);
      this.st('UPDATE apps SET dataset_id = ? WHERE id = ?').run(copy.id, a.appId);
      return { copy, event: this.insertEvent(a.event) };
    });
  }

  async commitChangeRef(a: { appId: number; toCopyId: number; expectedVersion: number; event: NewEvent }): Promise<{ copy: DatasetCopy; event: EventRow }> {
    return this.write(() => {
      const copy = this.checkVersion(a.toCopyId, a.expectedVersion);
      this.requireApp(a.appId);
      this.st('UPDATE apps SET dataset_id = ? WHERE id = ?').run(copy.id, a.appId);
      return { copy, event: this.insertEvent(a.event) };
    });
  }

  // ---- events and feedback ----
  async listEvents(q: Page & { appId?: number; active?: boolean } = {}): Promise<EventRow[]> {
    const { limit, offset } = pageBounds(q);
    const active = q.active === undefined ? null : b(q.active);
    return this.st('SELECT * FROM events WHERE (? IS NULL OR app_id = ?) AND (? IS NULL OR active = ?) ORDER BY id LIMIT ? OFFSET ?')
      .all(q.appId ?? null, q.appId ?? null, active, active, limit, offset)
      .map(toEvent);
  }
  async getEvent(id: number): Promise<EventRow | undefined> {
    const r = this.st('SELECT * FROM events WHERE id = ?').get(id);
    return r ? toEvent(r) : undefined;
  }
  async listOpenEvents(nowMs: number, scope: EventScope, excludeAppId: number): Promise<EventRow[]> {
    const sql =
      'copyId' in scope
        ? 'SELECT e.* FROM events e WHERE e.active = 1 AND e.closes_at_ms > ? AND e.dataset_id = ? AND e.app_id <> ? ORDER BY e.id'
        : 'SELECT e.* FROM events e JOIN datasets d ON d.id = e.dataset_id WHERE e.active = 1 AND e.closes_at_ms > ? AND d.family_id = ? AND e.app_id <> ? ORDER BY e.id';
    return this.st(sql)
      .all(nowMs, 'copyId' in scope ? scope.copyId : scope.familyId, excludeAppId)
      .map(toEvent);
  }
  async eventStats(): Promise<{ open: number; lastCreatedAtMs: number | null }> {
    const r = this.st('SELECT SUM(CASE WHEN active = 1 THEN 1 ELSE 0 END) AS open, MAX(created_at_ms) AS last FROM events').get()!;
    return { open: Number(r.open ?? 0), lastCreatedAtMs: r.last === null || r.last === undefined ? null : Number(r.last) };
  }
  async addFeedback(f: FeedbackRow): Promise<boolean> {
    return this.write(() => {
      const ev = this.st('SELECT active FROM events WHERE id = ?').get(f.eventId);
      if (!ev) throw new UserError(`event ${f.eventId} does not exist`);
      if (Number(ev.active) === 0) return false; // closed: its global feedback is final
      const r = this.st('INSERT INTO feedback (event_id, app_id, value, created_at_ms) VALUES (?, ?, ?, ?) ON CONFLICT(event_id, app_id) DO NOTHING').run(
        f.eventId,
        f.appId,
        f.value,
        checkInt('createdAtMs', f.createdAtMs),
      );
      if (r.changes === 0) return false;
      this.st('UPDATE events SET sum_feedback = sum_feedback + ? WHERE id = ?').run(f.value, f.eventId);
      return true;
    });
  }
  async listFeedback(eventId?: number): Promise<FeedbackRow[]> {
    return (eventId === undefined ? this.st('SELECT * FROM feedback ORDER BY event_id, app_id').all() : this.st('SELECT * FROM feedback WHERE event_id = ? ORDER BY app_id').all(eventId)).map(
      toFeedback,
    );
  }
  async closeDueEvents(nowMs: number, close: (e: EventRow) => EventClosure): Promise<EventRow[]> {
    const due = this.st('SELECT id FROM events WHERE active = 1 AND closes_at_ms <= ? ORDER BY id').all(nowMs).map((r) => Number(r.id));
    const closed: EventRow[] = [];
    for (const id of due) {
      const ev = this.write(() => {
        // Re-read under the write lock: another process may have closed it since the scan.
        const r = this.st('SELECT * FROM events WHERE id = ? AND active = 1').get(id);
        if (!r) return undefined;
        const c = close(toEvent(r));
        checkClosure(c);
        this.st('UPDATE events SET active = 0, global_feedback = ? WHERE id = ?').run(c.globalFeedback, id);
        if (c.counterDelta !== 0) this.adjustCounterSync(String(r.action_label), c.counterDelta);
        return toEvent(this.st('SELECT * FROM events WHERE id = ?').get(id)!);
      });
      if (ev) closed.push(ev);
    }
    return closed;
  }

  // ---- counters ----
  async getCounters(): Promise<Record<string, number>> {
    return Object.fromEntries(this.st('SELECT action_label, value FROM action_counters ORDER BY action_label').all().map((r) => [String(r.action_label), Number(r.value)]));
  }
  private adjustCounterSync(label: string, delta: number): number {
    checkDelta(delta);
    const r = this.st(
      'INSERT INTO action_counters (action_label, value) VALUES (?, MAX(0, ?)) ON CONFLICT(action_label) DO UPDATE SET value = MAX(0, action_counters.value + ?) RETURNING value',
    ).get(label, delta, delta);
    return Number(r!.value);
  }
  async adjustCounter(label: string, delta: number): Promise<number> {
    return this.write(() => this.adjustCounterSync(label, delta));
  }

  // ---- impact vectors ----
  async listImpacts(appId?: number): Promise<ImpactRow[]> {
    return (appId === undefined
      ? this.st('SELECT * FROM impact_vectors ORDER BY app_id, action_label').all()
      : this.st('SELECT * FROM impact_vectors WHERE app_id = ? ORDER BY action_label').all(appId)
    ).map(toImpact);
  }
  async upsertImpact(r: ImpactRow): Promise<void> {
    const v = r.vector;
    this.st(
      `INSERT INTO impact_vectors (app_id, action_label, rt, et, x, nl, av, dc, source, updated_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(app_id, action_label) DO UPDATE SET rt = excluded.rt, et = excluded.et, x = excluded.x, nl = excluded.nl, av = excluded.av, dc = excluded.dc,
       source = excluded.source, updated_at_ms = excluded.updated_at_ms`,
    ).run(r.appId, r.actionLabel, v.responseTime, v.executionTime, v.throughput, v.latency, v.availability, v.consistency, r.source, checkInt('updatedAtMs', r.updatedAtMs));
  }

  // ---- runs ----
  async insertRun(r: NewRun): Promise<number> {
    return this.write(() => {
      const id = this.insertRunRow(r);
      if (r.decision) this.st('INSERT INTO decisions (run_id, app_id, created_at_ms, trace) VALUES (?, ?, ?, ?)').run(id, r.appId, checkInt('startedAtMs', r.startedAtMs), JSON.stringify(r.decision));
      return id;
    });
  }
  async listDecisions(q: Page & { appId?: number } = {}): Promise<DecisionRow[]> {
    const { limit, offset } = pageBounds(q);
    return this.st('SELECT * FROM decisions WHERE (? IS NULL OR app_id = ?) ORDER BY run_id LIMIT ? OFFSET ?')
      .all(q.appId ?? null, q.appId ?? null, limit, offset)
      .map(toDecision);
  }
  private insertRunRow(r: NewRun): number {
    return Number(
      this.st(
        `INSERT INTO runs (app_id, dataset_id, data_node, started_at_ms, rt_ms, et_ms, throughput, latency_ms, availability, consistency, goal_met, action_label, error)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
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
      ).lastInsertRowid,
    );
  }
  async listRuns(q: Page & { appId?: number; afterId?: number } = {}): Promise<RunRow[]> {
    const { limit, offset } = pageBounds(q);
    return this.st('SELECT * FROM runs WHERE (? IS NULL OR app_id = ?) AND id > ? ORDER BY id LIMIT ? OFFSET ?')
      .all(q.appId ?? null, q.appId ?? null, q.afterId ?? 0, limit, offset)
      .map(toRun);
  }
  async countRuns(appId?: number): Promise<number> {
    return Number(this.st('SELECT COUNT(*) AS n FROM runs WHERE (? IS NULL OR app_id = ?)').get(appId ?? null, appId ?? null)!.n);
  }
}
