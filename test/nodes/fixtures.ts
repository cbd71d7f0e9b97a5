/*
 * Real embedded infrastructure for node tests: SQLite store, embedded S3 server, embedded
 * Toxiproxy-compatible server, all on 127.0.0.1 with ephemeral ports, in a temp folder.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../db/sqlite-store.js';
import type { Store } from '../../db/store.js';
import { METRICS, type ImpactVector, type MetricValues } from '../../model/metrics.js';
import { linkLatency, parseScenario, type JobParams, type Scenario } from '../../model/scenario.js';
import { startEmbeddedS3 } from '../../objectstore/embedded-s3/index.js';
import { S3ObjectStore } from '../../objectstore/s3-object-store.js';
import { startProxyServer } from '../../proxies/server/index.js';
import { ToxiproxyLatencyControl } from '../../proxies/toxiproxy-control.js';
import { bootstrapPlacement } from '../../controller/bootstrap.js';
import { changeRefAction, copyAction, formatAction, moveAction } from '../../decision/actions.js';
import { impactFromDelta, meanVector } from '../../decision/impact.js';
import { dataConsistency } from '../../decision/consistency.js';
import { proxiedJob } from '../../nodes/deps.js';
import type { RunJobFn } from '../../nodes/node.js';

export interface Infra {
  dir: string;
  store: Store;
  objects: S3ObjectStore;
  latency: ToxiproxyLatencyControl;
  datasetFile: string;
  /** the namespace of the proxies jobFor creates (NodeDeps.session) */
  session: string;
  jobFor(appId: number, job?: Partial<JobParams>): Promise<RunJobFn>;
  close(): Promise<void>;
}

/** A small data set in the job's schema (an array of blood tests). */
export function writeDataset(file: string, records: number): void {
  const rows = Array.from({ length: records }, (_, i) => ({ id: i, gender: i % 2 ? 'F' : 'M', cholesterol: 150 + (i % 100), 'HDL cholesterol': 50, 'LDL cholesterol': 100 }));
  writeFileSync(file, JSON.stringify(rows, null, 2));
}

export async function startInfra(scenario: Scenario, records = 2000): Promise<Infra> {
  const dir = mkdtempSync(join(tmpdir(), 'fogsim-node-'));
  const stops: (() => Promise<void>)[] = [async () => rmSync(dir, { recursive: true, force: true })];
  const close = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
  };
  try {
    const store = new SqliteStore(join(dir, 'fogsim.db'));
    stops.push(() => store.close());
    await store.migrate();
    await store.seedScenario(scenario);
    const s3 = await startEmbeddedS3({ host: '127.0.0.1', port: 0, dir: join(dir, 's3') });
    stops.push(() => s3.close());
    const objects = new S3ObjectStore({ ...s3.endpoint, ...(s3.credentials as { accessKey: string; secretKey: string }) });
    const proxy = await startProxyServer({ host: '127.0.0.1', port: 0 });
    stops.push(() => proxy.close());
    const latency = new ToxiproxyLatencyControl(proxy.url);
    const datasetFile = join(dir, 'bloodtests.json');
    writeDataset(datasetFile, records);
    await bootstrapPlacement(store, objects, scenario, datasetFile, 0);
    const session = 'test';
    const cfg = { proxyHost: '127.0.0.1', proxyListenHost: '127.0.0.1', proxyBasePort: 0, s3Upstream: undefined, session };
    return { dir, store, objects, latency, datasetFile, session, jobFor: async (appId, job) => (await proxiedJob(appId, objects, latency, cfg, job)).runJob, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/**
 * Impact vectors from a model of the metrics (RT ~ base + link latency, NL = link latency,
 * A of the data node, DC from the copy count), through the real impact function: what offline
 * training would learn, without spending the test's time on it.
 */
export async function seedModelVectors(store: Store, s: Scenario, baseRtMs = 10): Promise<void> {
  const avail = new Map(s.nodes.map((n) => [n.id, n.availability]));
  const storage = s.nodes.filter((n) => n.storage).map((n) => n.id);
  for (const app of s.apps) {
    const at = (node: number, copies: number): MetricValues => {
      const lat = linkLatency(s, app.node, node);
      return { responseTime: baseRtMs + lat, executionTime: 5, throughput: 100_000, latency: lat, availability: avail.get(node)!, consistency: dataConsistency(copies, s.decision.maxCopies) };
    };
    const put = (label: string, vector: ImpactVector) => store.upsertImpact({ appId: app.id, actionLabel: label, vector, source: 'training', updatedAtMs: 0 });
    const moves = new Map<number, ImpactVector[]>();
    for (const x of storage) {
      for (const y of storage) {
        if (x === y) continue;
        const m = impactFromDelta(at(x, 1), at(y, 1), s.decision.rho);
        await put(formatAction(moveAction(x, y)), m);
        await put(formatAction(copyAction(x, y)), impactFromDelta(at(x, 1), at(y, 2), s.decision.rho));
        moves.set(y, [...(moves.get(y) ?? []), m]);
      }
    }
    for (const [y, ms] of moves) await put(formatAction(changeRefAction(y)), meanVector(ms));
  }
  void METRICS;
}

/**
 * The thesis scenario scaled down in time: latencies 300 / 450 / 360 ms, T = 8 s of fake
 * time. App 3 keeps only its latency term (NL <= 130 ms) so that app 1's move away from node 3
 * makes it suffer, which is what drives feedback and counters in these tests.
 */
export function scaledThesis(overrides: Record<string, unknown> = {}): Scenario {
  return parseScenario({
    name: 'thesis-scaled',
    seed: 42,
    nodes: [
      { id: 1, availability: 97 },
      { id: 2, availability: 80 },
      { id: 3, availability: 85 },
    ],
    links: [
      { from: 1, to: 2, latencyMs: 300 },
      { from: 1, to: 3, latencyMs: 450 },
      { from: 2, to: 3, latencyMs: 360 },
    ],
    dataset: { records: 2000, node: 3 },
    apps: [
      // 250 ms: below 450 (node 3) and 300 (node 2) + the job, far above the job alone (~10-30 ms, ~150 under heavy load)
      { id: 1, node: 1, goal: { all: [{ metric: 'responseTime', max: 250 }, { metric: 'availability', min: 95 }] } },
      { id: 2, node: 2, goal: { all: [{ metric: 'throughput', min: 1000 }, { metric: 'availability', min: 80 }] } },
      { id: 3, node: 3, goal: { metric: 'latency', max: 390 } },
    ],
    timing: { arrivalMeanMs: 2000, arrivalSdMs: 200, feedbackWindowMs: 8000, maxRepairs: 2, latencySdMs: 2 },
    decision: { rho: { responseTime: 300, executionTime: 20, throughput: 100_000, latency: 300, availability: 10, consistency: 0.5 } },
    convergence: { windowRuns: 3 },
    ...overrides,
  });
}
