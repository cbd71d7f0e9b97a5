/*
 * The embedded store: one SQLite file in WAL mode shared by every node process.
 * better-sqlite3 is synchronous; the async methods exist to match the Store interface.
 * Every write that reads-then-writes runs in BEGIN IMMEDIATE, which takes the file's write lock
 * up front, so two processes cannot interleave between the read and the write; busy_timeout makes
 * the loser wait for the lock instead of failing with SQLITE_BUSY.
 * The SQL is in statements.ts (shared with MySqlStore); this file only runs it.
 */
import Database from 'better-sqlite3';
import type { AppRow, DatasetCopy, DecisionRow, EventRow, FeedbackRow, ImpactRow, LinkRow, NewRun, NodeRow, RunRow } from '../model/types.js';
import type { Scenario } from '../model/scenario.js';
import type { NewTimelineRow, TimelineRow } from '../model/steps.js';
import type { EventClosure, EventScope, NewEvent, Page, Store } from './store.js';
import { labelNamesNode, planNodeRemoval, type AppRemoval, type NodeRemoval, type Removal } from '../model/removal.js';
import { MIGRATIONS, SCHEMA_MIGRATIONS_SQLITE } from './migrations.js';
import { checkAppExists, checkClosure, checkedCopy, insertedEvent, missing, staleError, toApp, toCopy, toCounters, toDecision, toEvent, toEventStats, toFeedback, toImpact, toLink, toNode, toReferenceCounts, toRemoval, toRun, toBandwidth, toStep, type Row } from './rows.js';
import { SQLITE, statements, type Query, type Written, seedStatements, type SeedMode } from './statements.js';

type Stmt = Database.Statement<unknown[], Row>;

const S = statements(SQLITE);

export interface SqliteStoreOptions {
  /** how long a writer waits for another process's write lock before failing (ms) */
  busyTimeoutMs?: number;
}

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

  // ---- executing statements (synchronous: better-sqlite3) ----
  private st(sql: string): Stmt {
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql) as Stmt;
      this.stmts.set(sql, s);
    }
    return s;
  }
  private all(q: Query): Row[] {
    return this.st(q.sql).all(...q.params);
  }
  private get(q: Query): Row | undefined {
    return this.st(q.sql).get(...q.params);
  }
  private run(q: Query): Written {
    const r = this.st(q.sql).run(...q.params);
    return { changes: r.changes, insertId: Number(r.lastInsertRowid) };
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
      const done = new Set(this.all(S.appliedMigrations()).map((r) => Number(r.version)));
      for (const m of MIGRATIONS) {
        if (done.has(m.version)) continue;
        for (const sql of m.sqlite) this.db.exec(sql);
        this.run(S.recordMigration(m, Date.now()));
      }
    });
  }

  /** Applied migration versions, ascending (for diagnostics and tests). */
  async appliedMigrations(): Promise<number[]> {
    return this.all(S.appliedMigrations()).map((r) => Number(r.version));
  }

  async close(): Promise<void> {
    this.stmts.clear();
    if (this.db.open) this.db.close();
  }

  async seedScenario(s: Scenario, mode: SeedMode = 'file'): Promise<void> {
    this.write(() => {
      for (const q of seedStatements(S, s, mode)) this.run(q);
    });
  }

  // ---- nodes ----
  async listNodes(): Promise<NodeRow[]> {
    return this.all(S.listNodes()).map(toNode);
  }
  async getNode(id: number): Promise<NodeRow | undefined> {
    const r = this.get(S.getNode(id));
    return r ? toNode(r) : undefined;
  }
  async upsertNode(n: NodeRow): Promise<void> {
    this.write(() => {
      this.run(S.upsertNode(n));
      this.run(S.clearRemoval('node', n.id));
    });
  }
  async updateNode(id: number, patch: Partial<Pick<NodeRow, 'availability' | 'storage' | 'name'>>): Promise<NodeRow | undefined> {
    this.run(S.updateNode(id, patch));
    return this.getNode(id);
  }

  async deleteNode(id: number, atMs = Date.now()): Promise<NodeRemoval> {
    return this.write(() => {
      const row = this.get(S.lockNode(id));
      if (!row) throw missing(`node ${id}`);
      const copies = this.all(S.lockCopies()).map(toCopy); // copies before apps: the order commitCopy locks in
      const plan = planNodeRemoval(id, this.all(S.lockApps()).map(toApp), copies, this.all(S.listLinks()).map(toLink));
      for (const r of plan.repointed) this.run(S.setAppReference(r.app, r.to.copy));
      let impacts = 0;
      for (const app of plan.apps) impacts += this.removeApp(app, atMs);
      // vectors of the remaining apps for actions to or from the node: a node reusing the id is another node
      for (const v of this.all(S.listImpacts()).map(toImpact)) if (labelNamesNode(v.actionLabel, id)) impacts += this.run(S.deleteImpact(v.appId, v.actionLabel)).changes;
      const counters = Object.keys(toCounters(this.all(S.listCounters()))).filter((l) => labelNamesNode(l, id));
      for (const label of counters) this.run(S.deleteCounter(label));
      this.run(S.deleteNodeCopies(id));
      this.run(S.deleteNodeLinks(id));
      this.run(S.deleteNodeBandwidths(id));
      this.run(S.deleteNodeStatus(id));
      this.run(S.deleteNode(id));
      this.run(S.recordRemoval('node', id, Math.round(atMs)));
      const { node: _id, ...rest } = plan;
      return { ...rest, node: toNode(row), impacts, counters };
    });
  }

  // ---- links ----
  async listLinks(): Promise<LinkRow[]> {
    return this.all(S.listLinks()).map(toLink);
  }
  async setLink(from: number, to: number, latencyMs: number): Promise<void> {
    this.run(S.setLink(from, to, latencyMs)); // one statement writes both directions
  }
  async getLatency(a: number, b: number): Promise<number | undefined> {
    if (a === b) return 0;
    const r = this.get(S.getLatency(a, b));
    return r ? Number(r.latency_ms) : undefined;
  }

  // ---- apps ----
  async listApps(): Promise<(AppRow & { datasetId: number | null })[]> {
    return this.all(S.listApps()).map(toApp);
  }
  async upsertApp(a: AppRow): Promise<void> {
    this.write(() => {
      this.run(S.upsertApp(a));
      this.run(S.clearRemoval('app', a.id));
    });
  }
  async deleteApp(id: number, atMs = Date.now()): Promise<AppRemoval> {
    return this.write(() => {
      const app = this.all(S.lockApps()).map(toApp).find((a) => a.id === id);
      if (!app) throw missing(`app ${id}`);
      const impacts = this.removeApp(id, atMs);
      return { app, impacts, runsKept: Number(this.get(S.countRuns(id))!.n) };
    });
  }
  /** The app row and its impact vectors, its removal recorded (inside a transaction); the number of vectors removed. */
  private removeApp(id: number, atMs: number): number {
    const impacts = this.run(S.deleteAppImpacts(id)).changes;
    this.run(S.deleteApp(id));
    this.run(S.recordRemoval('app', id, Math.round(atMs)));
    return impacts;
  }
  async listRemovals(): Promise<Removal[]> {
    return this.all(S.listRemovals()).map(toRemoval);
  }
  async getAppReference(appId: number): Promise<DatasetCopy | undefined> {
    const r = this.get(S.getAppReference(appId));
    return r ? toCopy(r) : undefined;
  }
  async setAppReference(appId: number, datasetId: number): Promise<void> {
    this.write(() => {
      if (!this.get(S.shareCopy(datasetId))) throw missing(`data set copy ${datasetId}`);
      if (this.run(S.setAppReference(appId, datasetId)).changes === 0) throw missing(`app ${appId}`);
    });
  }

  // ---- copies ----
  async listCopies(familyId?: number): Promise<DatasetCopy[]> {
    return this.all(S.listCopies(familyId)).map(toCopy);
  }
  async getCopy(id: number): Promise<DatasetCopy | undefined> {
    const r = this.get(S.getCopy(id));
    return r ? toCopy(r) : undefined;
  }
  async createCopy(c: { familyId?: number; nodeId: number; bucket: string; objectKey: string; createdAtMs: number }): Promise<DatasetCopy> {
    return this.write(() => this.insertCopy(c));
  }
  private insertCopy(c: { familyId?: number; nodeId: number; bucket: string; objectKey: string; createdAtMs: number }): DatasetCopy {
    const id = this.run(S.insertCopy(c)).insertId;
    // A first copy founds its own family, named after its id.
    if (c.familyId === undefined) this.run(S.foundFamily(id));
    return toCopy(this.get(S.getCopy(id))!);
  }
  async referenceCounts(): Promise<Map<number, number>> {
    return toReferenceCounts(this.all(S.referenceCounts()));
  }

  // ---- placement commits ----
  private insertEvent(e: NewEvent): EventRow {
    return insertedEvent(this.run(S.insertEvent(e)).insertId, e);
  }

  async commitMove(a: { copyId: number; expectedVersion: number; toNode: number; bucket: string; objectKey?: string; event: NewEvent }): Promise<{ copy: DatasetCopy; event: EventRow }> {
    return this.write(() => {
      if (this.run(S.moveCopy(a)).changes === 0) {
        const now = checkedCopy(a.copyId, a.expectedVersion, this.get(S.lockCopy(a.copyId))); // throws the precise conflict
        throw staleError(a.copyId, a.expectedVersion, now.version);
      }
      const event = this.insertEvent(a.event);
      return { copy: toCopy(this.get(S.getCopy(a.copyId))!), event };
    });
  }

  async commitCopy(a: { sourceCopyId: number; expectedVersion: number; toNode: number; bucket: string; objectKey: string; appId: number; event: NewEvent }): Promise<{ copy: DatasetCopy; event: EventRow }> {
    return this.write(() => {
      const source = checkedCopy(a.sourceCopyId, a.expectedVersion, this.get(S.lockCopy(a.sourceCopyId)));
      checkAppExists(a.appId, this.get(S.lockApp(a.appId)));
      const copy = this.insertCopy({ familyId: source.familyId, nodeId: a.toNode, bucket: a.bucket, objectKey: a.objectKey, createdAtMs: a.event.createdAtMs });
      this.run(S.setAppReference(a.appId, copy.id));
      return { copy, event: this.insertEvent(a.event) };
    });
  }

  async commitChangeRef(a: { appId: number; toCopyId: number; expectedVersion: number; event: NewEvent }): Promise<{ copy: DatasetCopy; event: EventRow }> {
    return this.write(() => {
      const copy = checkedCopy(a.toCopyId, a.expectedVersion, this.get(S.lockCopy(a.toCopyId)));
      checkAppExists(a.appId, this.get(S.lockApp(a.appId)));
      this.run(S.setAppReference(a.appId, copy.id));
      return { copy, event: this.insertEvent(a.event) };
    });
  }

  // ---- events and feedback ----
  async recordEvent(e: NewEvent): Promise<EventRow> {
    return this.write(() => this.insertEvent(e));
  }
  async listEvents(q: Page & { appId?: number; active?: boolean } = {}): Promise<EventRow[]> {
    return this.all(S.listEvents(q)).map(toEvent);
  }
  async getEvent(id: number): Promise<EventRow | undefined> {
    const r = this.get(S.getEvent(id));
    return r ? toEvent(r) : undefined;
  }
  async listOpenEvents(nowMs: number, scope: EventScope, excludeAppId: number): Promise<EventRow[]> {
    return this.all(S.listOpenEvents(nowMs, scope, excludeAppId)).map(toEvent);
  }
  async eventStats(): Promise<{ open: number; lastCreatedAtMs: number | null }> {
    return toEventStats(this.get(S.eventStats()));
  }
  async addFeedback(f: FeedbackRow): Promise<boolean> {
    return this.write(() => {
      const ev = this.get(S.lockEventState(f.eventId));
      if (!ev) throw missing(`event ${f.eventId}`);
      if (Number(ev.active) === 0) return false; // closed: its global feedback is final
      if (this.run(S.insertFeedback(f)).changes === 0) return false; // that app gave feedback already
      this.run(S.addToFeedbackSum(f.eventId, f.value));
      return true;
    });
  }
  async listFeedback(eventId?: number): Promise<FeedbackRow[]> {
    return this.all(S.listFeedback(eventId)).map(toFeedback);
  }
  async closeDueEvents(nowMs: number, close: (e: EventRow) => EventClosure): Promise<EventRow[]> {
    const due = this.all(S.dueEventIds(nowMs)).map((r) => Number(r.id));
    const closed: EventRow[] = [];
    for (const id of due) {
      const ev = this.write(() => {
        // Re-read under the write lock: another process may have closed it since the scan.
        const r = this.get(S.lockOpenEvent(id));
        if (!r) return undefined;
        const c = close(toEvent(r));
        checkClosure(c);
        this.run(S.closeEvent(id, c.globalFeedback));
        if (c.counterDelta !== 0) this.adjustCounterSync(String(r.action_label), c.counterDelta);
        return toEvent(this.get(S.getEvent(id))!);
      });
      if (ev) closed.push(ev);
    }
    return closed;
  }

  // ---- counters ----
  async getCounters(): Promise<Record<string, number>> {
    return toCounters(this.all(S.listCounters()));
  }
  private adjustCounterSync(label: string, delta: number): number {
    this.run(S.adjustCounter(label, delta));
    return Number(this.get(S.getCounter(label))!.value);
  }
  async adjustCounter(label: string, delta: number): Promise<number> {
    return this.write(() => this.adjustCounterSync(label, delta));
  }

  // ---- impact vectors ----
  async listImpacts(appId?: number): Promise<ImpactRow[]> {
    return this.all(S.listImpacts(appId)).map(toImpact);
  }
  async upsertImpact(r: ImpactRow): Promise<void> {
    this.run(S.upsertImpact(r));
  }

  // ---- runs ----
  async insertRun(r: NewRun): Promise<number> {
    return this.write(() => {
      const id = this.run(S.insertRun(r)).insertId;
      const decision = S.insertDecision(id, r);
      if (decision) this.run(decision);
      return id;
    });
  }
  async listDecisions(q: Page & { appId?: number } = {}): Promise<DecisionRow[]> {
    return this.all(S.listDecisions(q)).map(toDecision);
  }
  async listRuns(q: Page & { appId?: number; afterId?: number } = {}): Promise<RunRow[]> {
    return this.all(S.listRuns(q)).map(toRun);
  }
  async countRuns(appId?: number): Promise<number> {
    return Number(this.get(S.countRuns(appId))!.n);
  }

  // ---- node state, link bandwidth ----
  async setNodeDown(id: number, down: boolean, atMs: number): Promise<void> {
    this.write(() => {
      if (!this.get(S.getNode(id))) throw missing(`node ${id}`);
      this.run(S.setNodeDown(id, down, atMs));
    });
  }
  async isNodeDown(id: number): Promise<boolean> {
    return Number(this.get(S.getNodeDown(id))?.down ?? 0) === 1;
  }
  async listDownNodes(): Promise<number[]> {
    return this.all(S.listDownNodes()).map((r) => Number(r.node_id));
  }
  async setBandwidth(from: number, to: number, rateKBps: number): Promise<void> {
    this.run(rateKBps === 0 ? S.clearBandwidth(from, to) : S.setBandwidth(from, to, rateKBps));
  }
  async getBandwidth(a: number, b: number): Promise<number | undefined> {
    if (a === b) return undefined;
    const r = this.get(S.getBandwidth(a, b));
    return r ? Number(r.rate_kbps) : undefined;
  }
  async listBandwidths(): Promise<{ from: number; to: number; rateKBps: number }[]> {
    return this.all(S.listBandwidths()).map(toBandwidth);
  }

  // ---- timeline ----
  async recordStep(r: NewTimelineRow): Promise<TimelineRow> {
    const id = this.run(S.insertStep(r)).insertId;
    return toStep(this.get(S.getStep(id))!);
  }
  async listTimeline(q: Page & { afterId?: number } = {}): Promise<TimelineRow[]> {
    return this.all(S.listTimeline(q)).map(toStep);
  }
}
