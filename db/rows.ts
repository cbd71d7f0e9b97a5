/*
 * Row <-> model mapping shared by both stores. Both drivers return plain objects keyed by column;
 * numbers come back as JS numbers (BIGINT epoch ms fits in 2^53), booleans as 0/1.
 */
import { ConflictError, NotFoundError, UserError } from '../model/errors.js';
import type { EventClosure, NewEvent } from './store.js';
import type { StepKind, StepSource, TimelineRow } from '../model/steps.js';
import type { Removal } from '../model/removal.js';
import type { ActionType, AppRow, DatasetCopy, DecisionRow, DecisionTrace, EventRow, FeedbackRow, Goal, ImpactRow, ImpactSource, LinkRow, NodeRow, RunRow } from '../model/types.js';

export type Row = Record<string, unknown>;

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : num(v));
const bool = (v: unknown): boolean => num(v) !== 0;

export function toNode(r: Row): NodeRow {
  return { id: num(r.id), name: String(r.name), storage: bool(r.storage), availability: num(r.availability) };
}

export function toLink(r: Row): LinkRow {
  return { from: num(r.from_node), to: num(r.to_node), latencyMs: num(r.latency_ms) };
}

export function toApp(r: Row): AppRow & { datasetId: number | null } {
  return { id: num(r.id), nodeId: num(r.node_id), goal: JSON.parse(String(r.goal)) as Goal, datasetId: numOrNull(r.dataset_id) };
}

export function toRemoval(r: Row): Removal {
  return { kind: String(r.kind) as Removal['kind'], id: num(r.id), removedAtMs: num(r.removed_at_ms) };
}

export function toCopy(r: Row): DatasetCopy {
  return {
    id: num(r.id),
    familyId: num(r.family_id),
    nodeId: num(r.node_id),
    bucket: String(r.bucket),
    objectKey: String(r.object_key),
    version: num(r.version),
    createdAtMs: num(r.created_at_ms),
  };
}

export function toEvent(r: Row): EventRow {
  return {
    id: num(r.id),
    appId: num(r.app_id),
    datasetId: num(r.dataset_id),
    actionLabel: String(r.action_label),
    actionType: String(r.action_type) as ActionType,
    createdAtMs: num(r.created_at_ms),
    closesAtMs: num(r.closes_at_ms),
    active: bool(r.active),
    explored: bool(r.explored),
    sumFeedback: num(r.sum_feedback),
    globalFeedback: numOrNull(r.global_feedback),
  };
}

/** The row insertEvent wrote: every column is known, no read-back needed. */
export function insertedEvent(id: number, e: NewEvent): EventRow {
  return { id, appId: e.appId, datasetId: e.datasetId, actionLabel: e.actionLabel, actionType: e.actionType, createdAtMs: e.createdAtMs, closesAtMs: e.closesAtMs, active: true, explored: e.explored, sumFeedback: 0, globalFeedback: null };
}

export function toEventStats(r: Row | undefined): { open: number; lastCreatedAtMs: number | null } {
  return { open: num(r?.open ?? 0), lastCreatedAtMs: numOrNull(r?.last) };
}

export function toFeedback(r: Row): FeedbackRow {
  return { eventId: num(r.event_id), appId: num(r.app_id), value: num(r.value), createdAtMs: num(r.created_at_ms) };
}

export function toCounters(rows: Row[]): Record<string, number> {
  return Object.fromEntries(rows.map((r) => [String(r.action_label), num(r.value)]));
}

/** apps per copy id, from statements' referenceCounts */
export function toReferenceCounts(rows: Row[]): Map<number, number> {
  return new Map(rows.map((r) => [num(r.dataset_id), num(r.n)]));
}

export function toImpact(r: Row): ImpactRow {
  return {
    appId: num(r.app_id),
    actionLabel: String(r.action_label),
    vector: {
      responseTime: num(r.rt),
      executionTime: num(r.et),
      throughput: num(r.x),
      latency: num(r.nl),
      availability: num(r.av),
      consistency: num(r.dc),
    },
    source: String(r.source) as ImpactSource,
    updatedAtMs: num(r.updated_at_ms),
  };
}

export function toDecision(r: Row): DecisionRow {
  return { runId: num(r.run_id), appId: num(r.app_id), createdAtMs: num(r.created_at_ms), trace: JSON.parse(String(r.trace)) as DecisionTrace };
}

export function toRun(r: Row): RunRow {
  return {
    id: num(r.id),
    appId: num(r.app_id),
    datasetId: numOrNull(r.dataset_id),
    dataNode: numOrNull(r.data_node),
    startedAtMs: num(r.started_at_ms),
    rtMs: num(r.rt_ms),
    etMs: num(r.et_ms),
    throughput: num(r.throughput),
    latencyMs: num(r.latency_ms),
    availability: num(r.availability),
    consistency: num(r.consistency),
    goalMet: bool(r.goal_met),
    actionLabel: r.action_label === null || r.action_label === undefined ? null : String(r.action_label),
    error: r.error === null || r.error === undefined ? null : String(r.error),
  };
}

/** Paging bounds, validated: a bad limit/offset is the caller's input (REST query, CLI flag). */
export function pageBounds(q: { limit?: number; offset?: number } | undefined): { limit: number; offset: number } {
  const limit = q?.limit ?? 1_000_000_000;
  const offset = q?.offset ?? 0;
  if (!Number.isInteger(limit) || limit < 0) throw new UserError(`limit: expected an integer >= 0, got ${String(q?.limit)}`);
  if (!Number.isInteger(offset) || offset < 0) throw new UserError(`offset: expected an integer >= 0, got ${String(q?.offset)}`);
  return { limit, offset };
}

/** Timestamps and ids must be integers to round-trip through BIGINT columns. */
export function checkInt(name: string, v: number): number {
  if (!Number.isSafeInteger(v)) throw new UserError(`${name}: expected an integer (epoch ms or id), got ${String(v)}`);
  return v;
}

export function staleError(copyId: number, expected: number, actual: number): ConflictError {
  return new ConflictError(`data set copy ${copyId} changed (read version ${expected}, now ${actual}): another app changed the placement first; re-read and decide again`);
}

/** The copy read (and locked) in a placement commit, when it is still the version the caller read; else the ConflictError that says what changed. */
export function checkedCopy(copyId: number, expectedVersion: number, r: Row | undefined): DatasetCopy {
  if (!r) throw new ConflictError(`data set copy ${copyId} no longer exists; re-read the placement and decide again`);
  const copy = toCopy(r);
  if (copy.version !== expectedVersion) throw staleError(copyId, expectedVersion, copy.version);
  return copy;
}

/** The error for a row the caller named that is not there (both stores throw it): the API answers 404. */
export function missing(what: string, hint = ''): Error {
  return new NotFoundError(`${what} does not exist${hint}`);
}

export function checkAppExists(appId: number, r: Row | undefined): void {
  if (!r) throw missing(`app ${appId}`, '; seed the scenario first');
}

export function checkLink(from: number, to: number, latencyMs: number): void {
  if (from === to) throw new UserError(`link ${from} -> ${to}: a link joins two different nodes (latency to itself is 0)`);
  if (!Number.isFinite(latencyMs) || latencyMs < 0) throw new UserError(`link ${from} -> ${to}: latencyMs must be a number >= 0, got ${String(latencyMs)}`);
}

export function checkBandwidth(from: number, to: number, rateKBps: number): void {
  if (from === to) throw new UserError(`link ${from} -> ${to}: a link joins two different nodes`);
  if (!Number.isSafeInteger(rateKBps) || rateKBps <= 0) throw new UserError(`link ${from} -> ${to}: rateKBps must be a whole number of KB/s > 0 (0 lifts the limit: clearBandwidth), got ${String(rateKBps)}`);
}

export function toBandwidth(r: Row): { from: number; to: number; rateKBps: number } {
  return { from: num(r.from_node), to: num(r.to_node), rateKBps: num(r.rate_kbps) };
}

export function toStep(r: Row): TimelineRow {
  return {
    id: num(r.id),
    atMs: num(r.at_ms),
    kind: String(r.kind) as StepKind,
    args: JSON.parse(String(r.args)) as Record<string, unknown>,
    source: String(r.source) as StepSource,
    error: r.error === null || r.error === undefined ? null : String(r.error),
  };
}

export function checkDelta(delta: number): void {
  if (!Number.isInteger(delta)) throw new Error(`counter delta must be an integer, got ${String(delta)}`);
}

export function checkClosure(c: EventClosure): void {
  if (!Number.isFinite(c.globalFeedback)) throw new Error(`event closure: globalFeedback must be a finite number, got ${String(c.globalFeedback)}`);
  checkDelta(c.counterDelta);
}
