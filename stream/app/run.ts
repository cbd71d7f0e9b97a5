/**
 * Runs a scenario's stream part: creates the workloads' topics, starts the stream apps, then the
 * producers; stop() stops the producers, lets the apps drain what was acknowledged (so the
 * counts can be compared: produced-and-acked = consumed) and stops them. In the controller's
 * process for now (fogsim run); the report takes `summary()`.
 */
import type { MessageBus } from '../bus.js';
import type { Store } from '../../db/store.js';
import type { Scenario, WorkloadSpec } from '../../model/scenario.js';
import { formatGoal } from '../../decision/goal.js';
import { openSource } from '../workload/sources.js';
import type { MessageSource } from '../workload/source.js';
import { strategyBaseDir } from '../../decision/strategies/spec.js';
import { loadAppStrategy } from '../../decision/strategies/load.js';
import { StrategyError } from '../../decision/strategies/types.js';
import { directPath, type DataPath } from '../data-path.js';
import { startWorkload, type RunningWorkload, type WorkloadStats } from '../workload/producer.js';
import { StreamApp, type StreamScaleAction, type StreamWindow } from './app.js';
import type { GroupResult } from './aggregate.js';
import { busAvailability, lastRateStepS, streamAppConverged } from './window.js';

export interface StreamAppReport {
  id: number;
  node: number;
  topic: string;
  goal: string;
  windowS: number;
  costMs: number;
  rule: string;
  /** what chose its actions once the rule's trigger fired (docs/strategies.md, Stream apps) */
  strategy: string;
  workers: { initial: number; final: number; max: number };
  /** every window, each with its aggregates (a few groups: gender x age band) */
  windows: StreamWindow[];
  actions: StreamScaleAction[];
  /** the rate steps of the workloads on its topic, `atS` on the clock of its windows and actions (appRateSteps) */
  rateSteps: StreamRateStep[];
  /** every record handled; equals the workloads' acked count on its topic once drained */
  consumed: number;
  /** messages left uncommitted when the run stopped (0 once drained) */
  lagAtEnd: number;
  /** whether the goal held in the last `windowRuns` windows with no action among them */
  converged: boolean;
}

export interface StreamReport {
  /** where it ran: the controller's process (fogsim run), or the virtual-time engine's fluid model (fogsim simulate, sim/stream.ts) */
  runtime: 'controller' | 'virtual';
  /** epoch ms when the stream apps started: their windows' startS / endS and actions' atS count from it (absent in older reports) */
  startedAtMs: number;
  /** the bus it ran on; `model` in virtual time, where no bus runs */
  bus: MessageBus['kind'] | 'model';
  /** the node the bus is on, how the link latency reaches the stream (stream/data-path.ts; `modelled` in virtual time), the proxies made for it */
  dataPath: { busNode: number; latency: DataPath['latency'] | 'modelled'; proxies: ReturnType<DataPath['proxies']> };
  workloads: (WorkloadStats & { rate: number; rateSteps: { at: number; rate: number }[]; partitions: number; nodes: number[] })[];
  /** what stopped during the run and let it go on: a workload that failed (its module threw, its sends failed) */
  degradations: string[];
  apps: StreamAppReport[];
}

/** One closed window of one stream app, as the live feed sends it (SSE event `stream-window`). */
export interface StreamWindowEvent {
  appId: number;
  topic: string;
  goal: string;
  /** ms since the epoch: when the stream apps started (a window's startS and endS count from it) */
  startedAtMs: number;
  window: StreamWindow;
  /** the window's aggregates: count and average cholesterol by gender and age band (its `groups`) */
  groups: GroupResult[];
  /** the S{n} taken at the end of this window, if one was */
  action: StreamScaleAction | null;
}

/** A rate step of a workload on a stream app's topic, placed on the app's clock. */
export interface StreamRateStep {
  workload: string;
  /** as the scenario gives it: seconds from the workloads' start */
  at: number;
  /** the same instant in seconds from the app's start, the clock of its windows' startS and endS and its actions' atS */
  atS: number;
  /** the workload's rate from then on, msgs/s */
  rate: number;
}

/** What GET /api/stream-apps answers: per app its latest windows, its actions and its latest aggregates. */
export interface StreamAppsSnapshot {
  startedAtMs: number;
  bus: MessageBus['kind'];
  apps: {
    id: number;
    topic: string;
    goal: string;
    windowS: number;
    workers: number;
    maxWorkers: number;
    rule: string;
    strategy: string;
    /** the latest windows, oldest first (at most `limit`), each with its aggregates (`groups`) */
    windows: StreamWindow[];
    /** every window closed so far */
    windowCount: number;
    actions: StreamScaleAction[];
    /** every rate step of the workloads on its topic, the coming ones too (the schedule is the scenario's), by atS */
    rateSteps: StreamRateStep[];
    /** the latest window's aggregates (its `groups`) */
    groups: GroupResult[];
    consumed: number;
  }[];
}

/** What a snapshot is taken of: the apps as they are now and the workloads feeding them. */
export interface StreamSnapshotSource {
  /** when the stream apps started (StreamWindowEvent.startedAtMs) */
  startedAtMs: number;
  bus: MessageBus['kind'];
  apps: readonly (Pick<StreamApp, 'spec' | 'startedAtMs' | 'workerCount' | 'windows' | 'windowCount' | 'actions' | 'consumed'> & { strategy: Pick<StreamApp['strategy'], 'name'> })[];
  workloads: readonly Pick<WorkloadSpec, 'id' | 'topic' | 'rateSteps'>[];
  /** ms since the epoch when the producers started: the steps' `at` count from it */
  workloadsStartedAtMs: number;
}

/**
 * The rate steps of the workloads on an app's topic, on the app's clock, by atS. The producers
 * start after the apps have started (startStreams), so a step's `at` is moved by the time between
 * the app's start and theirs: the one conversion, for the live snapshot and the report alike.
 */
export function appRateSteps(app: { spec: { topic: string }; startedAtMs: number }, workloads: readonly Pick<WorkloadSpec, 'id' | 'topic' | 'rateSteps'>[], workloadsStartedAtMs: number): StreamRateStep[] {
  const offsetS = (workloadsStartedAtMs - app.startedAtMs) / 1000;
  return workloads
    .filter((w) => w.topic === app.spec.topic)
    .flatMap((w) => w.rateSteps.map((st) => ({ workload: w.id, at: st.at, atS: Math.round((st.at + offsetS) * 100) / 100, rate: st.rate })))
    .sort((x, y) => x.atS - y.atS);
}

/** The latest `limit` windows of each app (each with its aggregates), its actions, the rate steps on its topic (appRateSteps) and its latest aggregates. */
export function streamSnapshot(src: StreamSnapshotSource, limit = 120): StreamAppsSnapshot {
  return {
    startedAtMs: src.startedAtMs,
    bus: src.bus,
    apps: src.apps.map((a) => ({
      id: a.spec.id,
      topic: a.spec.topic,
      goal: formatGoal(a.spec.goal),
      windowS: a.spec.windowS,
      workers: a.workerCount,
      maxWorkers: a.spec.maxWorkers,
      rule: a.spec.scale.rule,
      strategy: a.strategy.name,
      windows: a.windows.slice(-limit),
      windowCount: a.windowCount,
      actions: a.actions,
      rateSteps: appRateSteps(a, src.workloads, src.workloadsStartedAtMs),
      groups: a.windows.at(-1)?.groups ?? [],
      consumed: a.consumed,
    })),
  };
}

export interface StreamRun {
  apps: StreamApp[];
  workloads: RunningWorkload[];
  /** the errors of the stream apps (an app that failed ends the run) */
  readonly errors: string[];
  /** the first strategy that failed (threw, or chose what is not a candidate): it ended its app, and ends the run as a batch app's does */
  readonly strategyFailure: StrategyError | undefined;
  /** workloads that stopped on an error (status failed): the run goes on without them, the report records them */
  readonly degradations: string[];
  /** whether every stream app converged (goal met for windowRuns windows, none acting, every rate step behind) */
  converged(windowRuns: number): boolean;
  /** the report once stopped (a second call answers the first's) */
  stop(drainMs?: number): Promise<StreamReport>;
  /** calls `listener` with every window an app closes; returns the unsubscribe */
  subscribe(listener: (e: StreamWindowEvent) => void): () => void;
  /** the latest `limit` windows of each app, its actions and its latest aggregates */
  snapshot(limit?: number): StreamAppsSnapshot;
}

export interface StreamRunOptions {
  bus: MessageBus;
  scenario: Pick<Scenario, 'streamApps' | 'workloads' | 'timing' | 'decision' | 'convergence'> & Partial<Pick<Scenario, 'seed' | 'source' | 'strategy' | 'apps'>>;
  /** every app's strategy over the scenario's (fogsim run --strategy: a name or an absolute path) */
  strategy?: string;
  datasetFile: string;
  /** how each node reaches the bus (stream/data-path.ts); default: every node the bus itself, no latency */
  path?: DataPath;
  store?: Store;
  log?: (msg: string) => void;
}

export async function startStreams(o: StreamRunOptions): Promise<StreamRun> {
  const path = o.path ?? directPath(o.bus);
  try {
    return await start(o, path);
  } catch (e) {
    // a start that failed leaves no proxy or per-node bus behind
    await path.close().catch(() => {});
    throw e;
  }
}

async function start(o: StreamRunOptions, path: DataPath): Promise<StreamRun> {
  const { bus, scenario: s } = o;
  const errors: string[] = [];
  const degradations: string[] = [];
  const listeners = new Set<(e: StreamWindowEvent) => void>();
  let startedAtMs = Date.now();
  const baseDir = strategyBaseDir({ source: s.source });
  // the sources first: a module that does not load, a CSV with a bad row, fails before anything starts
  const sources: MessageSource[] = [];
  for (const [i, w] of s.workloads.entries()) sources.push(await openSource(w, { datasetFile: o.datasetFile, origin: `workloads[${i}]`, baseDir, seed: s.seed }));
  // every stream app's strategy, loaded before anything starts (a module that does not load fails here)
  const strategies = new Map<number, Awaited<ReturnType<typeof loadAppStrategy>>>();
  for (const a of s.streamApps) strategies.set(a.id, await loadAppStrategy({ source: s.source, strategy: s.strategy, apps: s.apps ?? [], streamApps: s.streamApps }, a.id, o.strategy));
  let strategyFailure: StrategyError | undefined;
  for (const w of s.workloads) await bus.createTopic(w.topic, w.partitions);
  const views = new Map<number, MessageBus>();
  for (const n of new Set([...s.workloads.flatMap((w) => w.nodes), ...s.streamApps.map((a) => a.node)])) views.set(n, await path.busFor(n));
  const busOf = (n: number) => views.get(n) ?? bus;
  const apps = s.streamApps.map(
    (spec) =>
      new StreamApp({
        bus: busOf(spec.node),
        spec,
        store: o.store,
        timing: s.timing,
        decision: s.decision,
        strategy: strategies.get(spec.id),
        seed: s.seed,
        onError: (e) => {
          errors.push(`stream app ${spec.id}: ${e.message}`);
          if (e instanceof StrategyError) strategyFailure ??= e;
        },
        // the bus node's availability as the store holds it (admin edits, a node down: 0)
        dataPath: async () => {
          const [latencyMs, node, down] = await Promise.all([path.latencyOf(spec.node), o.store?.getNode(path.busNode), o.store?.isNodeDown(path.busNode)]);
          return { latencyMs, availability: busAvailability(node, down) };
        },
        onWindow: (w) => {
          if (w.action !== 'NA') o.log?.(`stream app ${spec.id}: window ${w.index} ${w.action} (${w.reason})`);
          if (!listeners.size) return;
          const app = apps.find((a) => a.spec.id === spec.id)!;
          const last = app.actions.at(-1);
          const e: StreamWindowEvent = { appId: spec.id, topic: spec.topic, goal: formatGoal(spec.goal), startedAtMs, window: w, groups: w.groups, action: last && last.window === w.index ? last : null };
          for (const l of listeners) {
            try {
              l(e);
            } catch {
              // a listener's failure is its own: the app goes on
            }
          }
        },
      }),
  );
  startedAtMs = Date.now();
  for (const a of apps) await a.start();
  const t0 = Date.now();
  const workloads = s.workloads.map((w, i) => startWorkload(busOf, w, sources[i]!));
  for (const w of workloads) {
    w.done.catch((e: Error) => {
      degradations.push(e.message);
      o.log?.(`stream: ${e.message} (a degradation: the run goes on without it)`);
    });
  }
  const lastStepS = lastRateStepS(s.workloads);
  const appConverged = (a: StreamApp, windowRuns: number) => streamAppConverged(a.windows, windowRuns, lastStepS);
  let stopped: Promise<StreamReport> | undefined;
  const stop = async (drainMs: number): Promise<StreamReport> => {
    for (const w of workloads) await w.stop();
    const lags = await Promise.all(apps.map((a) => a.drain(drainMs)));
    for (const a of apps) await a.stop();
    await path.close();
    listeners.clear();
    return {
      runtime: 'controller',
      startedAtMs,
      bus: bus.kind,
      dataPath: { busNode: path.busNode, latency: path.latency, proxies: path.proxies() },
      workloads: workloads.map((w, i) => ({ ...w.stats, rate: s.workloads[i].rate, rateSteps: s.workloads[i].rateSteps, partitions: s.workloads[i].partitions, nodes: s.workloads[i].nodes })),
      degradations: degradations.slice(),
      apps: apps.map((a, i) => ({
        id: a.spec.id,
        node: a.spec.node,
        topic: a.spec.topic,
        goal: formatGoal(a.spec.goal),
        windowS: a.spec.windowS,
        costMs: a.spec.costMs,
        rule: a.spec.scale.rule,
        strategy: a.strategy.name,
        workers: { initial: a.spec.workers, final: a.actions.at(-1)?.to ?? a.spec.workers, max: a.spec.maxWorkers },
        windows: a.windows,
        actions: a.actions,
        rateSteps: appRateSteps(a, s.workloads, t0),
        consumed: a.consumed,
        lagAtEnd: lags[i],
        converged: appConverged(a, s.convergence.windowRuns),
      })),
    };
  };
  return {
    apps,
    workloads,
    errors,
    get strategyFailure() {
      return strategyFailure;
    },
    degradations,
    converged: (windowRuns) => Date.now() - t0 >= lastStepS * 1000 && apps.every((a) => appConverged(a, windowRuns)),
    stop: (drainMs = 10_000) => (stopped ??= stop(drainMs)),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    snapshot: (limit) => streamSnapshot({ startedAtMs, bus: bus.kind, apps, workloads: s.workloads, workloadsStartedAtMs: t0 }, limit),
  };
}
