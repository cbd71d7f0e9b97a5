import type { ActionType, AppRow, DatasetCopy, DecisionRow, EventRow, FeedbackRow, ImpactRow, LinkRow, NewRun, NodeRow, RunRow } from '../model/types.js';
import type { Scenario } from '../model/scenario.js';
import type { SeedMode } from './statements.js';
import type { NewTimelineRow, TimelineRow } from '../model/steps.js';
import type { AppRemoval, NodeRemoval, Removal } from '../model/removal.js';

/** An event as written by the app that acted; the store fills id, active, sums. */
export interface NewEvent {
  appId: number;
  datasetId: number;
  actionLabel: string;
  actionType: ActionType;
  createdAtMs: number;
  closesAtMs: number;
  explored: boolean;
}

/** What closing an overdue event yields; computed by pure logic (decision) and applied atomically. */
export interface EventClosure {
  globalFeedback: number;
  /** +1, -1 or 0; the counter never goes below zero */
  counterDelta: number;
}

/** dataset_id of an event that names no copy (a stream app's S{n}): copy ids start at 1. */
export const NO_COPY = 0;

export type EventScope = { copyId: number } | { familyId: number };

export interface Page {
  limit?: number;
  offset?: number;
}

/**
 * Every read and write the system makes on the shared SQL store.
 * Two implementations: SqliteStore (embedded, one WAL file shared by the node processes)
 * and MySqlStore (MySQL 8 / MariaDB). test/db/store.contract.test.ts runs against both.
 *
 * Placement changes are optimistic: each commit* call names the version it read and throws
 * ConflictError (model/errors.ts) when another app changed that copy first; the placement
 * change and its event are written in one transaction, so every action leaves exactly one event.
 */
export interface Store {
  readonly kind: 'sqlite' | 'mysql';
  /** Creates or upgrades the schema (versioned migrations; applying twice is harmless). */
  migrate(): Promise<void>;
  close(): Promise<void>;
  /**
   * Seeds nodes, links, apps (idempotent: nothing duplicated; with mode `file`, the default,
   * existing rows take the file's values and every removal is forgotten; with `store` they are
   * kept as they are, and removed nodes, removed apps, apps on removed nodes and links touching
   * a removed node stay out), and starts the network over: every node up, no bandwidth limit.
   * Does not create data set copies.
   */
  seedScenario(s: Scenario, mode?: SeedMode): Promise<void>;

  listNodes(): Promise<NodeRow[]>;
  getNode(id: number): Promise<NodeRow | undefined>;
  /** Writes the node; a removal of its id is forgotten (it exists again). */
  upsertNode(n: NodeRow): Promise<void>;
  updateNode(id: number, patch: Partial<Pick<NodeRow, 'availability' | 'storage' | 'name'>>): Promise<NodeRow | undefined>;

  /**
   * Deletes a node in one transaction, as model/removal.ts planNodeRemoval decides: its apps (as
   * deleteApp), its copies, both directions of its links, its status and bandwidth rows, the
   * impact vectors and counters of actions naming it; apps of other nodes reading a copy on it
   * re-pointed. Runs, events and feedback stay. NotFoundError for an unknown node; ConflictError
   * (nothing changed) when it holds the last copy of a data set an app of another node reads.
   * The objects of its copies are the caller's to delete (controller/operations.ts). The node
   * and its apps are recorded as removed at `atMs` (default now), so a restart does not seed them back.
   */
  deleteNode(id: number, atMs?: number): Promise<NodeRemoval>;

  listLinks(): Promise<LinkRow[]>;
  /** Sets the latency both ways (from->to and to->from). */
  setLink(from: number, to: number, latencyMs: number): Promise<void>;
  /** Latency between two nodes; 0 to itself; undefined when no link is known. */
  getLatency(a: number, b: number): Promise<number | undefined>;

  listApps(): Promise<(AppRow & { datasetId: number | null })[]>;
  /** Writes the app; a removal of its id is forgotten (it exists again). */
  upsertApp(a: AppRow): Promise<void>;
  /**
   * Deletes an app and its impact vectors in one transaction, recording it as removed at `atMs`
   * (default now); its runs and events stay. NotFoundError for an unknown app.
   */
  deleteApp(id: number, atMs?: number): Promise<AppRemoval>;
  /** The nodes and apps deleted and not added again since (nodes first, each by id). */
  listRemovals(): Promise<Removal[]>;
  /** The copy an app reads, or undefined when it has none yet. */
  getAppReference(appId: number): Promise<DatasetCopy | undefined>;
  setAppReference(appId: number, datasetId: number): Promise<void>;

  /** Copies of one family, or every copy. */
  listCopies(familyId?: number): Promise<DatasetCopy[]>;
  getCopy(id: number): Promise<DatasetCopy | undefined>;
  /** A first copy starts a new family (familyId = its id) unless a family is named. */
  createCopy(c: { familyId?: number; nodeId: number; bucket: string; objectKey: string; createdAtMs: number }): Promise<DatasetCopy>;
  /** Number of apps referencing each copy id. */
  referenceCounts(): Promise<Map<number, number>>;

  /** Move: the copy row now points at the target node's bucket (and `objectKey`, when given); version+1. Throws ConflictError on a stale version. */
  commitMove(a: { copyId: number; expectedVersion: number; toNode: number; bucket: string; objectKey?: string; event: NewEvent }): Promise<{ copy: DatasetCopy; event: EventRow }>;
  /** Copy: a new row in the source's family, referenced by the app. Throws ConflictError when the source changed since it was read. The event is written as given (its datasetId is the caller's choice, e.g. the source). */
  commitCopy(a: { sourceCopyId: number; expectedVersion: number; toNode: number; bucket: string; objectKey: string; appId: number; event: NewEvent }): Promise<{ copy: DatasetCopy; event: EventRow }>;
  /** Change reference: the app now reads another existing copy. Throws ConflictError when that copy changed since it was read. */
  commitChangeRef(a: { appId: number; toCopyId: number; expectedVersion: number; event: NewEvent }): Promise<{ copy: DatasetCopy; event: EventRow }>;

  /**
   * An event of an action that changes no placement: a stream app's S{n} (stream/app/). Stream
   * apps read a topic, not a copy: their events have dataset_id 0 (NO_COPY), which no copy has.
   */
  recordEvent(e: NewEvent): Promise<EventRow>;

  /** Oldest first (ascending id). */
  listEvents(q?: Page & { appId?: number; active?: boolean }): Promise<EventRow[]>;
  getEvent(id: number): Promise<EventRow | undefined>;
  /**
   * Open events (active, closesAtMs > now) of apps other than `excludeAppId` written on one copy
   * (`copyId`: the event's dataset_id, the original's scope) or on any copy of a family.
   */
  listOpenEvents(nowMs: number, scope: EventScope, excludeAppId: number): Promise<EventRow[]>;
  /** Events not closed yet, and the creation time of the newest event (for the convergence rule). */
  eventStats(): Promise<{ open: number; lastCreatedAtMs: number | null }>;
  /** Adds feedback once per (event, app) and adds it to the event's sum. False when that app already gave feedback, or the event has closed (its global feedback is final). */
  addFeedback(f: FeedbackRow): Promise<boolean>;
  listFeedback(eventId?: number): Promise<FeedbackRow[]>;
  /**
   * Closes every active event with closesAtMs <= now, in one transaction each: sets global
   * feedback, applies the counter change (floored at zero), marks it inactive. Safe to call
   * from any node or the controller at once: each event closes exactly once.
   */
  closeDueEvents(nowMs: number, close: (e: EventRow) => EventClosure): Promise<EventRow[]>;

  getCounters(): Promise<Record<string, number>>;
  /** Adds delta to the counter of a label, never below zero; returns the new value. */
  adjustCounter(label: string, delta: number): Promise<number>;

  listImpacts(appId?: number): Promise<ImpactRow[]>;
  upsertImpact(r: ImpactRow): Promise<void>;

  /** Writes a run and, when it has one, its decision trace (one transaction). */
  insertRun(r: NewRun): Promise<number>;
  /** Decision traces, oldest first. */
  listDecisions(q?: Page & { appId?: number }): Promise<DecisionRow[]>;
  /** Oldest first (ascending id); afterId returns only runs with a larger id (for tailing). */
  listRuns(q?: Page & { appId?: number; afterId?: number }): Promise<RunRow[]>;
  countRuns(appId?: number): Promise<number>;

  /**
   * Takes a node down (true) or brings it up (false): reads of its copies fail, its apps are
   * stopped (controller/operations.ts does that). Throws NotFoundError for an unknown node.
   */
  setNodeDown(id: number, down: boolean, atMs: number): Promise<void>;
  /** False for a node never taken down. */
  isNodeDown(id: number): Promise<boolean>;
  /** The nodes that are down, ascending. */
  listDownNodes(): Promise<number[]>;
  /** Limits a link's bandwidth both ways, in KB/s (Toxiproxy's unit); 0 lifts the limit. */
  setBandwidth(from: number, to: number, rateKBps: number): Promise<void>;
  /** The link's limit in KB/s; undefined when it has none (and to itself). */
  getBandwidth(a: number, b: number): Promise<number | undefined>;
  /** Every limit, one row per direction. */
  listBandwidths(): Promise<{ from: number; to: number; rateKBps: number }[]>;

  /** Records one timeline step as applied (or failed); returns it with its id. */
  recordStep(r: NewTimelineRow): Promise<TimelineRow>;
  /** The steps applied, oldest first; afterId returns only later ones (for tailing). */
  listTimeline(q?: Page & { afterId?: number }): Promise<TimelineRow[]>;
}
