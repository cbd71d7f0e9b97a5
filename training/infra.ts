import { stat } from 'node:fs/promises';
import type { MetricValues } from '../model/metrics.js';
import type { Scenario, ScenarioApp } from '../model/scenario.js';
import { bucketForNode } from '../objectstore/object-store.js';
import type { S3ObjectStore } from '../objectstore/s3-object-store.js';
import { proxyNameForTraining, type LatencyControl } from '../proxies/latency-control.js';
import type { Infra } from '../infra/infra.js';
import { proxiedJob } from '../nodes/deps.js';
import { dataConsistency } from '../decision/consistency.js';
import { ensureDatasetFile } from '../dataset/generate.js';
import type { InfraConfig } from '../util/config.js';
import type { DatasetCopy } from '../model/types.js';
import { storageNodes } from './labels.js';
import type { AppMeasurer, TrainingInfra } from './train.js';

/*
 * What training measures on, built from the infrastructure its caller started (infra/infra.ts):
 * a training copy of the data set in every storage bucket and, per app, a measurer running the
 * node's own proxied job. Training never starts servers of its own.
 */

/** The key of the training copy in every storage node's bucket: beside, never instead of, the real copies. */
export function trainingObjectKey(s: Pick<Scenario, 'dataset'>): string {
  return `training/${s.dataset.objectKey}`;
}

/**
 * One run, measured as the node loop measures it (nodes/node.ts measure): RT, ET, X from the
 * job; NL read back from the proxy; A the availability of the data node; DC from the copy count
 * of the family (training reads a family of one copy: its own training copy).
 */
export function metricsOf(job: { rtMs: number; etMs: number; throughput: number }, nl: number, availability: number, copies: number, maxCopies: number): MetricValues {
  return { responseTime: job.rtMs, executionTime: job.etMs, throughput: job.throughput, latency: nl, availability, consistency: dataConsistency(copies, maxCopies) };
}

/**
 * A measurer over real parts: the node's proxied job (nodes/deps.ts proxiedJob) on a proxy of
 * training's own in front of the object store (proxyNameForTraining), the proxy API for NL.
 */
export async function openAppMeasurer(s: Scenario, app: ScenarioApp, objects: S3ObjectStore, latency: LatencyControl, cfg: InfraConfig): Promise<AppMeasurer> {
  const name = proxyNameForTraining(cfg.session, app.id);
  const { runJob } = await proxiedJob(app.id, objects, latency, cfg, s.job, name);
  const key = trainingObjectKey(s);
  const availability = new Map(s.nodes.map((n) => [n.id, n.availability]));
  const copyOn = (node: number): DatasetCopy => ({ id: 0, familyId: 0, nodeId: node, bucket: bucketForNode(node), objectKey: key, version: 0, createdAtMs: 0 });
  // One unmeasured run first: the first run of a process pays for connection set-up and JIT
  // warm-up (measured: ~1 s against ~0.4 s after), which would bias the first pair's delta.
  const warmNode = storageNodes(s).includes(app.node) ? app.node : storageNodes(s)[0];
  await latency.setLatency(name, 0);
  await runJob(copyOn(warmNode));
  return {
    async measure(node, latencyMs, signal) {
      await latency.setLatency(name, latencyMs);
      // a family of one copy: the training copy on `node` (ids are not used by the job)
      const job = await runJob(copyOn(node), signal);
      const nl = await latency.getLatency(name);
      return metricsOf(job, nl, availability.get(node) ?? 0, 1, s.decision.maxCopies);
    },
    async close() {
      // training's own proxy: gone with it (its port back to the range)
      await latency.removeProxy(name).catch(() => undefined);
    },
  };
}

/** Puts the training copy into every storage node's bucket, unless an object of the same size is there. */
export async function uploadTrainingCopies(s: Scenario, objects: S3ObjectStore, file: string): Promise<number> {
  const size = (await stat(file)).size;
  const key = trainingObjectKey(s);
  let uploaded = 0;
  for (const node of storageNodes(s)) {
    const bucket = bucketForNode(node);
    await objects.ensureBucket(bucket);
    const have = await objects.statObject(bucket, key);
    if (have?.size === size) continue;
    await objects.putFile(bucket, key, file);
    uploaded++;
  }
  return uploaded;
}

/**
 * Training's view of the command's infrastructure (infra/infra.ts, started once by the caller):
 * the same store, object store and proxies as the nodes, with the training copy in every storage
 * bucket. `datasetFile`: the JSON data set to train with; default the scenario's dataset.file,
 * else the generated one under <dataDir>/datasets. Whoever started the infrastructure stops it.
 */
export async function trainingInfraFrom(infra: Infra, s: Scenario, datasetFile?: string): Promise<TrainingInfra> {
  const file = datasetFile ?? s.dataset.file ?? (await ensureDatasetFile(s, infra.cfg));
  const uploaded = await uploadTrainingCopies(s, infra.objects, file);
  return {
    cfg: infra.cfg,
    store: infra.store,
    describe: [...infra.describe, `data set: ${file}; training copy ${trainingObjectKey(s)} ${uploaded ? `uploaded to ${uploaded} bucket(s)` : 'already in every storage bucket'}`],
    openMeasurer: (app) => openAppMeasurer(s, app, infra.objects, infra.latency, infra.cfg),
  };
}
