import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { arrayToVector } from '../../model/metrics.js';
import { S3ObjectStore } from '../../objectstore/s3-object-store.js';
import { vectorsDirFor } from '../../training/dirs.js';
import { appDir, writeVectorFile } from '../../training/files.js';
import { startCli, waitUntil, type CliProcess } from '../helpers/cli.js';
import { closedPort } from '../helpers/ports.js';

/*
 * The fault suite's scenarios and sessions, shared by test/faults/ (embedded stack and twin
 * servers) and test/real/faults-real.test.ts (private MinIO and Toxiproxy). Two nodes, the data
 * set on node 2, app 1 on node 1 wanting it local (its RT goal cannot be met across the 400 ms
 * link): a story whose first action is known. The impact vectors are written, not trained
 * (training costs a minute), and epsilon is 0, so the action a test kills is the one it expects.
 */

export type FaultStory = 'move' | 'copy' | 'tug';

// RT, ET, X, NL, A, DC
const BEST = [1, 1, 1, 1, 0, 0];
const GOOD = [0.9, 0.9, 0.9, 0.9, 0, 0];
const FAIR = [0.5, 0.5, 0.5, 0.5, 0, 0];
const BAD = [-0.9, -0.9, -0.9, -0.9, 0, 0];

function vectorsOf(story: FaultStory): Record<number, Record<string, number[]>> {
  const app1 = { M2_1: story === 'copy' ? FAIR : GOOD, C2_1: story === 'copy' ? BEST : FAIR, M1_2: BAD, C1_2: BAD, CR1: GOOD, CR2: BAD };
  const app2 = story === 'tug' ? { M1_2: GOOD, C1_2: FAIR, M2_1: BAD, C2_1: BAD, CR2: GOOD, CR1: BAD } : { M1_2: BAD, C1_2: BAD, M2_1: BAD, C2_1: BAD, CR1: BAD, CR2: BAD };
  return { 1: app1, 2: app2 };
}

/**
 * Writes the scenario and its impact vectors into `dataDir` (where `fogsim up` reads them);
 * returns the scenario file. `move` / `copy`: app 1 takes M2_1 / C2_1 once and app 2 never acts
 * (its goal holds anywhere), so the system is quiet after it. `tug`: app 2 wants the data local
 * too; they move it back and forth, leaving feedback on each other's open events, until the
 * counters make them copy.
 */
export async function writeFaultScenario(dataDir: string, story: FaultStory, feedbackWindowMs = 3000): Promise<string> {
  const name = `faults-${story}`;
  const app2Goal = story === 'tug' ? '{ all: [ { metric: responseTime, max: 300 } ] }' : '{ all: [ { metric: availability, min: 50 } ] }';
  const yaml = `name: ${name}
seed: 1
nodes:
  - { id: 1, availability: 97 }
  - { id: 2, availability: 80 }
links:
  - { from: 1, to: 2, latencyMs: 400 }
dataset: { records: 2000, seed: 7, node: 2 }
apps:
  - { id: 1, node: 1, goal: { all: [ { metric: responseTime, max: 300 } ] } }
  - { id: 2, node: 2, goal: ${app2Goal} }
timing: { arrivalMeanMs: 300, arrivalSdMs: 20, feedbackWindowMs: ${feedbackWindowMs}, maxRepairs: 1, latencySdMs: 2 }
decision: { epsilon: 0, maxCopies: 2 }
training: { iterations: 1 }
convergence: { windowRuns: 3 }
`;
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, `${name}.yaml`);
  writeFileSync(file, yaml);
  const dir = vectorsDirFor(dataDir, name);
  for (const [app, labels] of Object.entries(vectorsOf(story))) {
    for (const [label, values] of Object.entries(labels)) await writeVectorFile(appDir(dir, Number(app)), label, arrayToVector(values));
  }
  return file;
}

/** Fixed keys for the object store, so a test can read the buckets the session writes. */
export const S3_KEYS = { FOGSIM_S3_ACCESS_KEY: 'faults-access', FOGSIM_S3_SECRET_KEY: 'faults-secret-key-0123' };

export interface Session {
  proc: CliProcess;
  port: number;
  api<T = unknown>(path: string, init?: RequestInit): Promise<T>;
}

/** `fogsim up --no-train` on `dataDir` with `scenario`; resolves once its API answers. */
export async function upSession(dataDir: string, scenario: string, env: Record<string, string | undefined> = {}, args: string[] = []): Promise<Session> {
  const port = await closedPort();
  const proc = startCli(['up', '--scenario', scenario, '--port', String(port), '--no-train', ...args], { FOGSIM_DATA_DIR: dataDir, ...S3_KEYS, ...env });
  const api = async <T>(path: string, init?: RequestInit): Promise<T> => {
    const r = await fetch(`http://127.0.0.1:${port}/api${path}`, init);
    if (!r.ok) throw new Error(`${init?.method ?? 'GET'} /api${path}: ${r.status} ${await r.text()}`);
    return (await r.json()) as T;
  };
  await proc.waitFor('press Ctrl-C to stop');
  return { proc, port, api };
}

export interface RunRow {
  id: number;
  appId: number;
  startedAtMs: number;
  error: string | null;
  goalMet: boolean;
}

/** The newest runs (up to 200), newest first. */
export async function newestRuns(s: Session): Promise<RunRow[]> {
  return (await s.api<{ items: RunRow[] }>('/runs?order=desc&limit=200')).items;
}

/** Resolves once `count` runs of app 1 started after `afterMs` and succeeded. */
export function waitForGoodRuns(s: Session, afterMs: number, count: number, ms = 45_000): Promise<RunRow[]> {
  return waitUntil(`${count} successful runs of app 1 after ${new Date(afterMs).toISOString()}`, async () => {
    const ok = (await newestRuns(s)).filter((r) => r.appId === 1 && r.startedAtMs > afterMs && !r.error);
    return ok.length >= count ? ok : undefined;
  }, ms);
}

export interface Placement {
  id: number;
  nodeId: number;
  bucket: string;
  objectKey: string;
  referencedBy: number[];
}

/** Every object of the node buckets as `bucket/key`, sorted. */
export async function nodeObjects(objects: S3ObjectStore, nodes: number[]): Promise<string[]> {
  const out: string[] = [];
  for (const n of nodes) {
    const bucket = `node-${n}`;
    const list = await objects.listObjects(bucket).catch(() => []);
    for (const o of list) out.push(`${bucket}/${o.key}`);
  }
  return out.sort();
}

/** A server the outage case stops and starts again on the same port (and data folder). */
export interface Restartable {
  start(): Promise<void>;
  /** stops it the hard way (SIGKILL): a crash, not a shutdown */
  kill(): Promise<void>;
}

export const OUTAGE_MS = 10_000;

/**
 * The object store or the proxy down for OUTAGE_MS under a running session: the runs of that
 * time fail with an error, and once the server is back the runs succeed again, without a restart
 * of the session. Returns what it saw, for the caller's assertions.
 */
export async function outage(s: Session, server: Restartable): Promise<{ failed: RunRow[]; recovered: RunRow[] }> {
  await waitForGoodRuns(s, 0, 3);
  const downAt = Date.now();
  await server.kill();
  // the outage lasts as long as it lasts; only what the runs recorded meanwhile is asserted
  await new Promise((r) => setTimeout(r, OUTAGE_MS));
  const failed = (await newestRuns(s)).filter((r) => r.appId === 1 && r.startedAtMs >= downAt && r.error);
  const upAt = Date.now();
  await server.start();
  const recovered = await waitForGoodRuns(s, upAt, 3);
  return { failed, recovered };
}
