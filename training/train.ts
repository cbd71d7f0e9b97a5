import { join } from 'node:path';
import type { ImpactVector, MetricValues } from '../model/metrics.js';
import { linkLatency, rhoFor, type Scenario, type ScenarioApp } from '../model/scenario.js';
import { UserError } from '../model/errors.js';
import type { Store } from '../db/store.js';
import type { ImpactRow } from '../model/types.js';
import { appSeed, createRng } from '../util/rng.js';
import type { InfraConfig } from '../util/config.js';
import { changeRefLabel, copyLabel, moveLabel, orderedPairs, storageNodes, type Pair } from './labels.js';
import { changeRefVector, copyVector, moveVector, roundVector } from './vectors.js';
import { appDir, writeVectorFile } from './files.js';
import { ProgressCache, trainingFingerprint } from './progress.js';
import { vectorsDirFor } from './dirs.js';

/*
 * Offline training (docs/architecture.md).
 *
 * For every app and ordered pair (x, y) of storage nodes, N iterations of: one run of the job with
 * the data on x, one with the data on y, through the app's proxy with the latency of the link
 * (app node, data node) drawn per run; f of the per-metric deltas averaged into M{x}_{y}.
 *
 * Two shortcuts keep it quick without changing what is measured:
 * - A training copy of the data set sits in every storage node's bucket (its own object key), so
 *   "the data on x" means reading node x's bucket: nothing moves between runs.
 * - Each (app, node) placement is measured once per iteration and reused by every pair of that
 *   iteration. A pair's delta is the difference of two measurements taken under the same
 *   conditions (same app, proxy, data, latency draw for that placement and iteration), which is
 *   exactly what running the pair on its own would measure; measuring x again for (x, y) and
 *   (x, z) would only add noise and time.
 *
 * Apps train concurrently (a pool of `concurrency` workers): each app has its own proxy, so their
 * injected latencies do not interfere. Inside an app runs are sequential (one proxy, one latency).
 */

export interface AppMeasurer {
  /** One run of the app's job with the data on `node`, with `latencyMs` injected on the app's proxy. */
  measure(node: number, latencyMs: number, signal?: AbortSignal): Promise<MetricValues>;
  close(): Promise<void>;
}

/**
 * What training runs on: built by training/infra.ts trainingInfraFrom from the infrastructure the
 * caller started (infra/infra.ts); training neither starts nor stops it.
 */
export interface TrainingInfra {
  /** the settings the infrastructure was started with (dataDir: default folders) */
  cfg: InfraConfig;
  store: Store;
  /** Makes the app's proxy ready; returns the app's measurer. */
  openMeasurer(app: ScenarioApp): Promise<AppMeasurer>;
  /** one line per role, e.g. "object store: embedded S3 http://127.0.0.1:41234" */
  describe: string[];
}

export type TrainingEvent =
  | { kind: 'start'; totalMeasurements: number; totalPairs: number; skippedPairs: number; apps: number[] }
  | { kind: 'measured'; appId: number; node: number; iteration: number; latencyMs: number; metrics: MetricValues; done: number; total: number }
  | { kind: 'pair'; appId: number; pair: Pair; move: ImpactVector; pairsDone: number; totalPairs: number }
  | { kind: 'app'; appId: number; vectors: number }
  | { kind: 'info'; message: string };

export interface TrainOptions {
  scenario: Scenario;
  /** N; default: the scenario's training.iterations */
  iterations?: number;
  /** only these apps (default: every app of the scenario) */
  appIds?: number[];
  /** where per-app vector files go; default <dataDir>/training/<scenario name> (training/dirs.ts, where run and up read); null writes no files */
  outDir?: string | null;
  /** apps trained at once; default: number of apps */
  concurrency?: number;
  /** retrain everything, ignoring finished pairs and cached measurements */
  fresh?: boolean;
  signal?: AbortSignal;
  onEvent?: (e: TrainingEvent) => void;
  /** measurement cache for resuming; default <dataDir>/training-progress.json; null keeps it in memory */
  progressFile?: string | null;
  /** the infrastructure to train on (training/infra.ts trainingInfraFrom), started by the caller */
  infra: TrainingInfra;
}

export interface AppSummary {
  appId: number;
  node: number;
  pairsTrained: number;
  pairsSkipped: number;
  measurements: number;
  /** mean response time per data node over this run's measurements (ms) */
  meanRtMs: Record<number, number>;
  vectors: Record<string, ImpactVector>;
  wallMs: number;
  finished: boolean;
}

export interface TrainResult {
  apps: AppSummary[];
  interrupted: boolean;
  wallMs: number;
  measurements: number;
  pairsTrained: number;
  pairsSkipped: number;
  outDir: string | null;
  iterations: number;
}

/**
 * The latency of every run of one app, drawn up front in a fixed order from the app's seeded Rng,
 * so a resumed or reordered training injects exactly the latencies a straight one would. As in the
 * node loop (nodes/node.ts measure): normal(link, sd) floored at 0 and rounded; 0 to its own node.
 */
export function drawLatencies(s: Scenario, app: ScenarioApp, iterations: number): Map<string, number> {
  const rng = createRng(appSeed(s.seed, app.id));
  const out = new Map<string, number>();
  for (let i = 0; i < iterations; i++) {
    for (const node of storageNodes(s)) {
      const mean = linkLatency(s, app.node, node);
      out.set(`${i}:${node}`, mean === 0 ? 0 : Math.round(Math.max(0, rng.normal(mean, s.timing.latencySdMs))));
    }
  }
  return out;
}

function validateOptions(s: Scenario, o: Omit<TrainOptions, 'infra'>): { apps: ScenarioApp[]; iterations: number; concurrency: number } {
  const iterations = o.iterations ?? s.training.iterations;
  if (!Number.isInteger(iterations) || iterations < 1) throw new UserError(`--iterations: must be a whole number >= 1, got ${iterations}`);
  const apps = o.appIds?.length ? o.appIds.map((id) => {
    const a = s.apps.find((x) => x.id === id);
    if (!a) throw new UserError(`--app: app ${id} is not in scenario ${s.name}; its apps are ${s.apps.map((x) => x.id).join(', ')}`);
    return a;
  }) : s.apps;
  const concurrency = o.concurrency ?? apps.length;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new UserError(`--concurrency: must be a whole number >= 1, got ${concurrency}`);
  if (storageNodes(s).length < 2) throw new UserError(`scenario ${s.name}: training needs at least two nodes with storage: true (there is nothing to move between)`);
  return { apps, iterations, concurrency };
}

/**
 * Checks the options against the scenario (apps, iterations, concurrency, two storage nodes);
 * a ValidationError naming the flag. trainScenario calls it first; callers may call it before
 * starting the infrastructure.
 */
export function checkTrainOptions(o: Omit<TrainOptions, 'infra'>): void {
  validateOptions(o.scenario, o);
}

/** Trains the impact vectors of a scenario; see the comment at the top of this file. */
export async function trainScenario(opts: TrainOptions): Promise<TrainResult> {
  const started = Date.now();
  const s = opts.scenario;
  const { apps, iterations, concurrency } = validateOptions(s, opts);
  const { infra } = opts;
  const cfg = infra.cfg;
  const outDir = opts.outDir === undefined ? vectorsDirFor(cfg.dataDir, s.name) : opts.outDir;
  const progressFile = opts.progressFile === undefined ? join(cfg.dataDir, 'training-progress.json') : opts.progressFile;
  const emit = (e: TrainingEvent) => opts.onEvent?.(e);
  // the caller's Ctrl-C, or the first failing app stopping the others
  const inner = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, inner.signal]) : inner.signal;

  {
    const store = infra.store;
    await store.seedScenario(s);
    const cache = await ProgressCache.open(progressFile, trainingFingerprint(s, iterations));
    // --fresh forgets the cached runs of the apps being retrained only
    if (opts.fresh) for (const app of apps) await cache.dropApp(app.id);

    // what is left to do, per app
    const pairs = orderedPairs(s);
    interface Plan {
      app: ScenarioApp;
      todo: Pair[];
      skipped: number;
      crMissing: boolean;
      latencies: Map<string, number>;
      needed: number;
    }
    const plans: Plan[] = [];
    for (const app of apps) {
      const rows: ImpactRow[] = opts.fresh ? [] : (await store.listImpacts(app.id)).filter((r) => r.source === 'training');
      const have = new Set(rows.map((r) => r.actionLabel));
      const todo = pairs.filter((p) => !(have.has(moveLabel(p.x, p.y)) && have.has(copyLabel(p.x, p.y))));
      const crMissing = storageNodes(s).some((y) => !have.has(changeRefLabel(y)));
      const latencies = drawLatencies(s, app, iterations);
      const needed = new Set<string>();
      for (const p of todo) for (let i = 0; i < iterations; i++) for (const n of [p.x, p.y]) if (!cache.get(app.id, i, n)) needed.add(`${i}:${n}`);
      plans.push({ app, todo, skipped: pairs.length - todo.length, crMissing, latencies, needed: needed.size });
    }
    const totalMeasurements = plans.reduce((a, p) => a + p.needed, 0);
    const totalPairs = plans.reduce((a, p) => a + p.todo.length, 0);
    emit({ kind: 'start', totalMeasurements, totalPairs, skippedPairs: plans.reduce((a, p) => a + p.skipped, 0), apps: apps.map((a) => a.id) });

    let done = 0;
    let pairsDone = 0;
    const summaries: AppSummary[] = [];

    const trainApp = async (plan: Plan): Promise<AppSummary> => {
      const t0 = Date.now();
      const { app } = plan;
      const summary: AppSummary = { appId: app.id, node: app.node, pairsTrained: 0, pairsSkipped: plan.skipped, measurements: 0, meanRtMs: {}, vectors: {}, wallMs: 0, finished: false };
      const rts = new Map<number, number[]>();
      if (plan.todo.length === 0 && !plan.crMissing) {
        summary.finished = true;
        await writeAllFiles(store, app.id, outDir, summary);
        return summary;
      }
      const measurer = plan.todo.length ? await infra.openMeasurer(app) : undefined;
      try {
        const measured = async (i: number, node: number): Promise<MetricValues | undefined> => {
          const cached = cache.get(app.id, i, node);
          if (cached) return cached;
          if (signal.aborted) return undefined;
          const latencyMs = plan.latencies.get(`${i}:${node}`)!;
          let m: MetricValues;
          try {
            m = await measurer!.measure(node, latencyMs, signal);
          } catch (e) {
            // a run cut short by Ctrl-C is abandoned, not an error
            if (signal.aborted) return undefined;
            throw e;
          }
          await cache.put(app.id, i, node, m);
          summary.measurements++;
          (rts.get(node) ?? rts.set(node, []).get(node)!).push(m.responseTime);
          done++;
          emit({ kind: 'measured', appId: app.id, node, iteration: i, latencyMs, metrics: m, done, total: totalMeasurements });
          return m;
        };

        for (const p of plan.todo) {
          const before: MetricValues[] = [];
          const after: MetricValues[] = [];
          for (let i = 0; i < iterations; i++) {
            const b = await measured(i, p.x);
            const a = b && (await measured(i, p.y));
            if (!b || !a) break;
            before.push(b);
            after.push(a);
          }
          // only a pair with all N iterations is stored: nothing half-done reaches the store
          if (after.length < iterations || signal.aborted) break;
          const now = Date.now();
          // the app's own normalisation constants, as the node loop learns with them
          const rho = rhoFor(s, app.id);
          const move = roundVector(moveVector(before, after, rho));
          const copy = roundVector(copyVector(move, 1, s.decision.maxCopies, rho.consistency));
          await store.upsertImpact({ appId: app.id, actionLabel: moveLabel(p.x, p.y), vector: move, source: 'training', updatedAtMs: now });
          await store.upsertImpact({ appId: app.id, actionLabel: copyLabel(p.x, p.y), vector: copy, source: 'training', updatedAtMs: now });
          if (outDir) {
            await writeVectorFile(appDir(outDir, app.id), moveLabel(p.x, p.y), move);
            await writeVectorFile(appDir(outDir, app.id), copyLabel(p.x, p.y), copy);
          }
          summary.pairsTrained++;
          pairsDone++;
          emit({ kind: 'pair', appId: app.id, pair: p, move, pairsDone, totalPairs });
        }
      } finally {
        await measurer?.close();
      }
      for (const [node, list] of rts) summary.meanRtMs[node] = list.reduce((a, b) => a + b, 0) / list.length;

      if (!signal.aborted && summary.pairsTrained === plan.todo.length) {
        // CR{y} from the app's trained moves into y (this run's and earlier runs' alike)
        const moves = new Map((await store.listImpacts(app.id)).filter((r) => r.source === 'training').map((r) => [r.actionLabel, r.vector]));
        const now = Date.now();
        for (const y of storageNodes(s)) {
          const into = storageNodes(s).filter((x) => x !== y).map((x) => moves.get(moveLabel(x, y)));
          if (into.some((v) => !v)) throw new Error(`training app ${app.id}: a move into ${y} is missing after all pairs finished`);
          const cr = roundVector(changeRefVector(into as ImpactVector[]));
          await store.upsertImpact({ appId: app.id, actionLabel: changeRefLabel(y), vector: cr, source: 'training', updatedAtMs: now });
        }
        await cache.dropApp(app.id);
        summary.finished = true;
        await writeAllFiles(store, app.id, outDir, summary);
        emit({ kind: 'app', appId: app.id, vectors: Object.keys(summary.vectors).length });
      }
      summary.wallMs = Date.now() - t0;
      return summary;
    };

    // a pool of `concurrency` workers over the apps; the first failure stops the others
    const queue = [...plans];
    let failure: unknown;
    const workers = Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
      for (let plan = queue.shift(); plan && failure === undefined && !signal.aborted; plan = queue.shift()) {
        try {
          summaries.push(await trainApp(plan));
        } catch (e) {
          failure ??= e;
          inner.abort();
        }
      }
    });
    await Promise.all(workers);
    if (failure !== undefined) throw failure;
    summaries.sort((a, b) => a.appId - b.appId);
    return {
      apps: summaries,
      interrupted: signal.aborted || summaries.length < plans.length || summaries.some((a) => !a.finished),
      wallMs: Date.now() - started,
      measurements: done,
      pairsTrained: pairsDone,
      pairsSkipped: plans.reduce((a, p) => a + p.skipped, 0),
      outDir,
      iterations,
    };
  }
}

/** Writes every training vector of an app to its folder (also those of an earlier, resumed run). */
async function writeAllFiles(store: Store, appId: number, outDir: string | null, summary: AppSummary): Promise<void> {
  const rows = (await store.listImpacts(appId)).filter((r) => r.source === 'training');
  for (const r of rows) {
    summary.vectors[r.actionLabel] = r.vector;
    if (outDir) await writeVectorFile(appDir(outDir, appId), r.actionLabel, r.vector);
  }
}
