import { join } from 'node:path';
import { stat } from 'node:fs/promises';
import type { MetricValues } from '../model/metrics.js';
import type { Scenario, ScenarioApp } from '../model/scenario.js';
import type { Store } from '../db/store.js';
import { openStore } from '../db/open.js';
import { bucketForNode } from '../objectstore/object-store.js';
import { openObjectStore } from '../objectstore/open.js';
import type { S3ObjectStore } from '../objectstore/s3-object-store.js';
import { startEmbeddedS3 } from '../objectstore/embedded-s3/index.js';
import { startProxyServer } from '../proxies/server/index.js';
import { proxyNameForApp, type LatencyControl } from '../proxies/latency-control.js';
import { openLatencyControl } from '../proxies/toxiproxy-control.js';
import { proxiedJob } from '../nodes/deps.js';
import { dataConsistency } from '../decision/consistency.js';
import { ensureDatasetFile } from '../dataset/generate.js';
import type { InfraConfig } from '../util/config.js';
import type { DatasetCopy } from '../model/types.js';
import { storageNodes } from './labels.js';
import type { AppMeasurer, TrainingInfra } from './train.js';

/*
 * The infrastructure training runs on: the roles from the environment (util/config.ts), or
 * embedded servers started for the duration of the training and stopped after it (embedded S3
 * under <dataDir>/s3, an embedded Toxiproxy-compatible server on an ephemeral port; SQLite at
 * the default path).
 */

/** The key of the training copy in every storage node's bucket: beside, never instead of, the real copies. */
export function trainingObjectKey(s: Pick<Scenario, 'dataset'>): string {
  return `training/${s.dataset.objectKey}`;
}

export async function openTrainingStore(cfg: InfraConfig): Promise<Store> {
  return openStore(cfg);
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
 * A measurer over real parts: the node's own proxied job (nodes/deps.ts proxiedJob: the app's
 * proxy in front of the object store, the job streaming through it), the proxy API for NL.
 */
export async function openAppMeasurer(s: Scenario, app: ScenarioApp, objects: S3ObjectStore, latency: LatencyControl, cfg: InfraConfig): Promise<AppMeasurer> {
  const name = proxyNameForApp(app.id);
  const runJob = await proxiedJob(app.id, objects, latency, cfg, s.job);
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
      // leave no latency behind on a proxy the node loop will reuse
      await latency.setLatency(name, 0).catch(() => undefined);
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

/** `datasetFile`: the JSON data set to train with; default scenario dataset.file, else the generated one under <dataDir>/datasets. */
export async function openTrainingInfra(s: Scenario, cfg: InfraConfig, datasetFile?: string): Promise<TrainingInfra> {
  const closers: (() => Promise<unknown>)[] = [];
  const closeAll = async () => {
    for (const c of closers.reverse()) await c().catch(() => undefined);
    closers.length = 0;
  };
  const describe: string[] = [];
  try {
    const store = await openTrainingStore(cfg);
    closers.push(() => store.close());
    describe.push(`store: ${cfg.mysqlUrl ? 'MySQL (FOGSIM_MYSQL_URL)' : `SQLite ${cfg.sqlitePath}`}`);

    let objects: S3ObjectStore;
    if (cfg.s3Endpoint) {
      objects = openObjectStore(cfg);
      describe.push(`object store: ${cfg.s3Endpoint} (FOGSIM_S3_ENDPOINT)`);
    } else {
      const s3 = await startEmbeddedS3({ host: '127.0.0.1', port: 0, dir: join(cfg.dataDir, 's3'), credentials: { accessKey: cfg.s3AccessKey, secretKey: cfg.s3SecretKey } });
      closers.push(() => s3.close());
      objects = openObjectStore(cfg, s3.endpoint);
      describe.push(`object store: embedded S3 at ${s3.url} (data in ${join(cfg.dataDir, 's3')}), stopped after training`);
    }

    let embeddedProxy: string | undefined;
    if (!cfg.toxiproxyUrl) {
      const proxy = await startProxyServer({ host: '127.0.0.1', port: 0 });
      closers.push(() => proxy.close());
      embeddedProxy = proxy.url;
      describe.push(`latency proxy: embedded Toxiproxy-compatible server at ${proxy.url}, stopped after training`);
    } else {
      describe.push(`latency proxy: ${cfg.toxiproxyUrl} (FOGSIM_TOXIPROXY_URL)`);
    }
    const latency = await openLatencyControl(cfg, embeddedProxy);

    const file = datasetFile ?? s.dataset.file ?? (await ensureDatasetFile(s, cfg));
    const uploaded = await uploadTrainingCopies(s, objects, file);
    describe.push(`data set: ${file}; training copy ${trainingObjectKey(s)} ${uploaded ? `uploaded to ${uploaded} bucket(s)` : 'already in every storage bucket'}`);

    return {
      store,
      describe,
      openMeasurer: (app) => openAppMeasurer(s, app, objects, latency, cfg),
      close: closeAll,
    };
  } catch (e) {
    await closeAll();
    throw e;
  }
}
