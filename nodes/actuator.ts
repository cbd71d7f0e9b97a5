/*
 * The actuator: executes a chosen action on the object store and the store (docs/architecture.md,
 * step 6). The physical change comes first, then the optimistic row update with its event in one
 * transaction; a lost race is a ConflictError and leaves neither a row change nor an orphan object.
 */
import type { NewEvent, Store } from '../db/store.js';
import { ConflictError } from '../model/errors.js';
import type { DatasetCopy, EventRow } from '../model/types.js';
import { bucketForNode, type ObjectStore } from '../objectstore/object-store.js';
import type { Logger } from '../util/logger.js';
import type { Candidate } from '../decision/candidates.js';

export interface ActuatorDeps {
  store: Store;
  objects: ObjectStore;
  appId: number;
  log: Logger;
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
  const a = chosen.action;
  if (a.type === 'changeRef') {
    const target = family.find((c) => c.id === chosen.targetCopyId);
    if (!target) throw new ConflictError(`copy ${chosen.targetCopyId} is gone`);
    const current = await store.getCopy(ref.id);
    if (!current || current.version !== ref.version) throw new ConflictError(`copy ${ref.id} changed since it was measured`);
    return (await store.commitChangeRef({ appId, toCopyId: target.id, expectedVersion: target.version, event })).event;
  }
  if (a.type === 'none') throw new Error('NA is not executed');
  const bucket = bucketForNode(a.to);
  // a copy gets its own key so that deleting one copy's object can never remove another's
  const key = a.type === 'move' ? ref.objectKey : copyKey(ref.objectKey, appId, nowMs);
  await objects.ensureBucket(bucket);
  try {
    await objects.copyObject(ref.bucket, ref.objectKey, bucket, key);
  } catch (e) {
    // the source may have been moved away since we measured: that is a conflict
    const now = await store.getCopy(ref.id);
    if (!now || now.version !== ref.version) throw new ConflictError(`copy ${ref.id} changed while copying its object: ${(e as Error).message}`);
    throw e;
  }
  try {
    if (a.type === 'move') {
      const { event: written } = await store.commitMove({ copyId: ref.id, expectedVersion: ref.version, toNode: a.to, bucket, event });
      await objects.deleteObject(ref.bucket, ref.objectKey);
      return written;
    }
    const { event: written } = await store.commitCopy({ sourceCopyId: ref.id, expectedVersion: ref.version, toNode: a.to, bucket, objectKey: key, appId, event });
    return written;
  } catch (e) {
    if (e instanceof ConflictError) await dropOrphan(d, bucket, key);
    throw e;
  }
}

/** Deletes an object we copied for a commit that lost, unless a row references it (the winner made the same move). */
async function dropOrphan(d: ActuatorDeps, bucket: string, key: string): Promise<void> {
  const used = (await d.store.listCopies()).some((c) => c.bucket === bucket && c.objectKey === key);
  if (used) return;
  try {
    await d.objects.deleteObject(bucket, key);
  } catch (e) {
    d.log.warn({ err: e, bucket, key }, 'could not delete the copy of a lost race');
  }
}

function copyKey(objectKey: string, appId: number, nowMs: number): string {
  const base = objectKey.replace(/^copies\/[^/]+\//, '');
  return `copies/a${appId}-${nowMs}/${base}`;
}
