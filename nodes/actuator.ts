/*
 * The actuator: executes a chosen action on the object store and the store (docs/architecture.md,
 * step 6). The physical change comes first, then the optimistic row update with its event in one
 * transaction; a lost race is a ConflictError and leaves neither a row change nor an orphan object.
 *
 * A node can die anywhere in a move or copy (kill -9, a crash, the machine). So that no death
 * leaves an object nobody references (the copy made before the commit, or a move's source after
 * it), the app first writes an intent record naming both objects; `reconcileIntent` (at node start
 * and before each action) reads the row to see whether the commit happened and deletes whichever
 * object is then unreferenced. Every action writes a fresh key, so the objects an intent names
 * belong to that action alone and deleting them can never hit another app's copy in flight.
 */
import { formatAction } from '../decision/actions.js';
import type { NewEvent, Store } from '../db/store.js';
import { ConflictError } from '../model/errors.js';
import type { DatasetCopy, EventRow } from '../model/types.js';
import { bucketForNode, type ObjectStore } from '../objectstore/object-store.js';
import type { Logger } from '../util/logger.js';
import type { Candidate } from '../decision/candidates.js';
import { noFailpoint, type Failpoint } from './failpoint.js';

export interface ActuatorDeps {
  store: Store;
  objects: ObjectStore;
  appId: number;
  log: Logger;
  /** the fault suite's kill points (nodes/failpoint.ts); default none */
  failpoint?: Failpoint;
}

/** Where intents live: beside the node buckets, never one of them (bucketForNode is `node-N`). */
export const INTENT_BUCKET = 'fogsim-intents';
export const intentKey = (appId: number) => `app-${appId}.json`;

/** A move or copy under way: the object it writes and, for a move, the one it deletes after the commit. */
export interface Intent {
  action: 'move' | 'copy';
  copyId: number;
  src: { bucket: string; key: string };
  dst: { bucket: string; key: string };
}

/**
 * Executes `chosen` on the placement `ref` the app measured (version included, so a copy that
 * moved since is a conflict, never an action on a placement nobody measured). `event` is the
 * event to write; its dataset is the app's reference before the action, as the original's
 * events table records it. A move deletes the source object only after its row update won: a
 * lost race would otherwise leave the row pointing at a deleted object.
 */
export async function executeAction(d: ActuatorDeps, ref: DatasetCopy, chosen: Candidate, family: readonly DatasetCopy[], event: NewEvent, nowMs: number): Promise<EventRow> {
  const { store, objects, appId } = d;
  const failpoint = d.failpoint ?? noFailpoint;
  const a = chosen.action;
  if (a.type === 'changeRef') {
    const target = family.find((c) => c.id === chosen.targetCopyId);
    if (!target) throw new ConflictError(`copy ${chosen.targetCopyId} is gone`);
    const current = await store.getCopy(ref.id);
    if (!current || current.version !== ref.version) throw new ConflictError(`copy ${ref.id} changed since it was measured`);
    return (await store.commitChangeRef({ appId, toCopyId: target.id, expectedVersion: target.version, event })).event;
  }
  if (a.type === 'none') throw new Error('NA is not executed');
  // a batch app's candidates never hold S{n}: stream apps scale their own consumer group (stream/app/)
  if (a.type === 'scale') throw new Error(`${formatAction(a)} is a stream app's action; a batch app cannot execute it`);
  // an earlier action of ours that did not finish (object store down mid-way) is settled first:
  // there is one intent per app
  await reconcileIntent(d);
  const bucket = bucketForNode(a.to);
  const key = actionKey(ref.objectKey, appId, nowMs);
  const intent: Intent = { action: a.type, copyId: ref.id, src: { bucket: ref.bucket, key: ref.objectKey }, dst: { bucket, key } };
  await writeIntent(d, intent);
  await objects.ensureBucket(bucket);
  try {
    await objects.copyObject(ref.bucket, ref.objectKey, bucket, key);
  } catch (e) {
    // the source may have been moved away since we measured: that is a conflict
    const now = await store.getCopy(ref.id);
    if (!now || now.version !== ref.version) {
      await dropIntent(d);
      throw new ConflictError(`copy ${ref.id} changed while copying its object: ${(e as Error).message}`);
    }
    throw e;
  }
  await failpoint('actuator.after-copy');
  let written: EventRow;
  try {
    if (a.type === 'move') written = (await store.commitMove({ copyId: ref.id, expectedVersion: ref.version, toNode: a.to, bucket, objectKey: key, event })).event;
    else written = (await store.commitCopy({ sourceCopyId: ref.id, expectedVersion: ref.version, toNode: a.to, bucket, objectKey: key, appId, event })).event;
  } catch (e) {
    if (e instanceof ConflictError) {
      await dropOrphan(d, bucket, key);
      await dropIntent(d);
    }
    throw e;
  }
  await failpoint('actuator.after-commit');
  if (a.type === 'move') await objects.deleteObject(ref.bucket, ref.objectKey);
  await dropIntent(d);
  return written;
}

/**
 * Settles this app's unfinished action, if any: when the row was updated (the commit happened) a
 * move's source is deleted, else the copied object is; either only when no row references it.
 * Returns what it did, for the log and the tests.
 */
export async function reconcileIntent(d: ActuatorDeps): Promise<{ intent: Intent; committed: boolean; deleted: string[] } | undefined> {
  const intent = await readIntent(d);
  if (!intent) return undefined;
  const copies = await d.store.listCopies();
  const referenced = (o: { bucket: string; key: string }) => copies.some((c) => c.bucket === o.bucket && c.objectKey === o.key);
  const committed = referenced(intent.dst);
  const drop = committed ? (intent.action === 'move' ? intent.src : undefined) : intent.dst;
  const deleted: string[] = [];
  if (drop && !referenced(drop)) {
    await d.objects.deleteObject(drop.bucket, drop.key);
    deleted.push(`${drop.bucket}/${drop.key}`);
  }
  await dropIntent(d);
  d.log.info({ intent, committed, deleted }, 'reconciled an unfinished action');
  return { intent, committed, deleted };
}

async function readIntent(d: ActuatorDeps): Promise<Intent | undefined> {
  if (!(await d.objects.statObject(INTENT_BUCKET, intentKey(d.appId)).catch(() => undefined))) return undefined;
  const chunks: Buffer[] = [];
  for await (const c of await d.objects.getObject(INTENT_BUCKET, intentKey(d.appId))) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Intent;
}

async function writeIntent(d: ActuatorDeps, intent: Intent): Promise<void> {
  await d.objects.ensureBucket(INTENT_BUCKET);
  await d.objects.putObject(INTENT_BUCKET, intentKey(d.appId), Buffer.from(JSON.stringify(intent)));
}

async function dropIntent(d: ActuatorDeps): Promise<void> {
  await d.objects.deleteObject(INTENT_BUCKET, intentKey(d.appId));
}

/** Deletes an object we copied for a commit that lost, unless a row references it. */
async function dropOrphan(d: ActuatorDeps, bucket: string, key: string): Promise<void> {
  const used = (await d.store.listCopies()).some((c) => c.bucket === bucket && c.objectKey === key);
  if (used) return;
  try {
    await d.objects.deleteObject(bucket, key);
  } catch (e) {
    d.log.warn({ err: e, bucket, key }, 'could not delete the copy of a lost race');
  }
}

/** A key of this action alone (app and time), so two copies never share an object and an intent's objects are its own. */
function actionKey(objectKey: string, appId: number, nowMs: number): string {
  const base = objectKey.replace(/^copies\/[^/]+\//, '');
  return `copies/a${appId}-${nowMs}/${base}`;
}
