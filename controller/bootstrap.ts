/*
 * Initial data placement (docs/architecture.md): one bucket per storage node, the data set uploaded to the
 * dataset node's bucket as the first copy of its family, and every app pointed at a copy.
 * Idempotent: the controller calls it at every start, on a fresh or an existing store.
 */
import { existsSync } from 'node:fs';
import type { Store } from '../db/store.js';
import { UserError } from '../model/errors.js';
import type { Scenario } from '../model/scenario.js';
import type { DatasetCopy } from '../model/types.js';
import { bucketForNode, type ObjectStore } from '../objectstore/object-store.js';

export interface BootstrapResult {
  /** the copy created by this call (undefined when the store already had copies) */
  created?: DatasetCopy;
  /** objects re-uploaded because a copy row pointed at a missing object (object store wiped) */
  restored: number[];
  /** apps whose reference was set by this call */
  referencesSet: number[];
  copies: DatasetCopy[];
}

/**
 * Expects the scenario seeded in the store (store.seedScenario). `datasetFile` is the JSON
 * data set to upload (the controller generates it or takes scenario.dataset.file).
 */
export async function bootstrapPlacement(store: Store, objects: ObjectStore, scenario: Scenario, datasetFile: string, nowMs = Date.now()): Promise<BootstrapResult> {
  const nodes = await store.listNodes();
  if (nodes.length === 0) throw new UserError('the store has no nodes; seed the scenario first (store.seedScenario)');
  for (const n of nodes.filter((x) => x.storage)) await objects.ensureBucket(bucketForNode(n.id));

  const upload = async (bucket: string, key: string) => {
    if (!existsSync(datasetFile)) throw new UserError(`data set file not found: ${datasetFile}; generate one with: fogsim dataset generate --records N --out ${datasetFile}`);
    await objects.ensureBucket(bucket);
    await objects.putFile(bucket, key, datasetFile);
  };

  const result: BootstrapResult = { restored: [], referencesSet: [], copies: [] };
  let copies = await store.listCopies();
  if (copies.length === 0) {
    const node = scenario.dataset.node;
    const host = nodes.find((n) => n.id === node);
    if (!host) throw new UserError(`dataset.node: node ${node} is not in the store; known nodes: ${nodes.map((n) => n.id).join(', ')}`);
    if (!host.storage) throw new UserError(`dataset.node: node ${node} has storage: false and cannot host the data set`);
    const bucket = bucketForNode(node);
    await upload(bucket, scenario.dataset.objectKey);
    result.created = await store.createCopy({ nodeId: node, bucket, objectKey: scenario.dataset.objectKey, createdAtMs: Math.round(nowMs) });
    copies = await store.listCopies();
  } else {
    // the SQL store may outlive the object store (embedded S3 data deleted): put the bytes back
    for (const c of copies) {
      if (!(await objects.statObject(c.bucket, c.objectKey))) {
        await upload(c.bucket, c.objectKey);
        result.restored.push(c.id);
      }
    }
  }

  const first = [...copies].sort((a, b) => a.id - b.id)[0];
  for (const app of await store.listApps()) {
    if (app.datasetId !== null && copies.some((c) => c.id === app.datasetId)) continue;
    // prefer the family's copy on the app's own node, else the oldest copy
    const local = copies.find((c) => c.familyId === first.familyId && c.nodeId === app.nodeId);
    await store.setAppReference(app.id, (local ?? first).id);
    result.referencesSet.push(app.id);
  }
  result.copies = copies;
  return result;
}
