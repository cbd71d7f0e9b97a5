import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { MetricValues } from '../model/metrics.js';
import { scenarioLinks, type Scenario } from '../model/scenario.js';

/*
 * Resuming. What is finished lives in the store: a pair (x, y) of an app is done when both its
 * M{x}_{y} and C{x}_{y} rows exist with source 'training' (written together, only once all N
 * iterations of the pair were measured). What is half-way lives in this small JSON file: every
 * completed measurement (app, iteration, node) -> metrics, so a rerun does not measure again what
 * an interrupted run already measured. The file is keyed by a fingerprint of everything a
 * measurement depends on (topology, latencies, data set, iterations, seed); a different scenario
 * ignores it. An app's entry is dropped when the app is finished; the file when it is empty.
 */

export interface ProgressFile {
  fingerprint: string;
  /** appId -> "iteration:node" -> metrics */
  measurements: Record<string, Record<string, MetricValues>>;
}

export function trainingFingerprint(s: Scenario, iterations: number): string {
  const relevant = {
    seed: s.seed,
    nodes: s.nodes.map((n) => [n.id, n.availability, n.storage]),
    links: scenarioLinks(s).map((l) => [l.from, l.to, l.latencyMs]),
    apps: s.apps.map((a) => [a.id, a.node]),
    dataset: s.dataset,
    latencySdMs: s.timing.latencySdMs,
    maxCopies: s.decision.maxCopies,
    iterations,
  };
  return createHash('sha256').update(JSON.stringify(relevant)).digest('hex').slice(0, 16);
}

export const measurementKey = (iteration: number, node: number): string => `${iteration}:${node}`;

/** The measurement cache; writes are serialised (apps train concurrently) and atomic. */
export class ProgressCache {
  private data: ProgressFile;
  private writing: Promise<void> = Promise.resolve();

  private constructor(private readonly file: string | null, fingerprint: string, data?: ProgressFile) {
    this.data = data && data.fingerprint === fingerprint ? data : { fingerprint, measurements: {} };
  }

  /** Loads the file (a missing, unreadable or foreign file starts empty); `file` null keeps it in memory. */
  static async open(file: string | null, fingerprint: string): Promise<ProgressCache> {
    if (!file) return new ProgressCache(null, fingerprint);
    try {
      const parsed = JSON.parse(await readFile(file, 'utf8')) as ProgressFile;
      if (parsed && typeof parsed === 'object' && parsed.measurements && typeof parsed.measurements === 'object') return new ProgressCache(file, fingerprint, parsed);
    } catch {
      // no file yet, or a damaged one: measuring again is always safe
    }
    return new ProgressCache(file, fingerprint);
  }

  get(appId: number, iteration: number, node: number): MetricValues | undefined {
    return this.data.measurements[appId]?.[measurementKey(iteration, node)];
  }

  count(appId: number): number {
    return Object.keys(this.data.measurements[appId] ?? {}).length;
  }

  async put(appId: number, iteration: number, node: number, m: MetricValues): Promise<void> {
    (this.data.measurements[appId] ??= {})[measurementKey(iteration, node)] = m;
    await this.flush();
  }

  async dropApp(appId: number): Promise<void> {
    delete this.data.measurements[appId];
    await this.flush();
  }

  async clear(): Promise<void> {
    this.data.measurements = {};
    await this.flush();
  }

  private flush(): Promise<void> {
    const file = this.file;
    if (!file) return Promise.resolve();
    const snapshot = JSON.stringify(this.data);
    const empty = Object.keys(this.data.measurements).length === 0;
    this.writing = this.writing.then(async () => {
      if (empty) {
        await rm(file, { force: true });
        return;
      }
      await mkdir(dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      await writeFile(tmp, snapshot);
      await rename(tmp, file);
    });
    return this.writing;
  }
}
