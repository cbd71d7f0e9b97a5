import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { assertEmulable, loadScenario, type Scenario } from '../model/scenario.js';
import { NotFoundError, UserError } from '../model/errors.js';
import { readInfraConfig, type InfraConfig } from '../util/config.js';
import { startInfra, type Infra, type InfraOptions } from '../infra/infra.js';
import type { SeedMode } from '../db/statements.js';
import { describeDrift, storeDrift } from './drift.js';
import { bootstrapPlacement } from './bootstrap.js';
import { ensureDatasetFile } from '../dataset/generate.js';
import { missingVectors, describeMissing, requiredLabels } from '../training/labels.js';
import { learnedDirFor, vectorsDirFor } from '../training/dirs.js';
import { importLearnedVectors, writeLearnedVectors, type LearnedImport, type LearnedWrite } from '../training/learned.js';
import { trainScenario } from '../training/train.js';
import { importVectors } from '../training/import.js';
import { trainingInfraFrom } from '../training/infra.js';
import { existsSync } from 'node:fs';
import { closeDueEvents } from '../nodes/community.js';
import type { NodeRuntime, NodeStatus } from './runtime/runtime.js';
import { ProcessRuntime } from './runtime/process-runtime.js';
import type { TelemetrySubscriber } from '../telemetry/bus.js';
import type { IpcTelemetrySubscriber } from '../telemetry/ipc-bus.js';
import { openTelemetry } from '../telemetry/open.js';
import { expandTimeline } from '../model/timeline.js';
import { errorText } from '../model/errors.js';
import { Operations } from './operations.js';
import { TimelineScheduler } from './experiment/timeline.js';
import { loadAppStrategy } from '../decision/strategies/load.js';
import { isStrategyPath } from '../decision/strategies/spec.js';
import { openBus } from '../stream/open.js';
import { embeddedPath, kafkaPath, storeLatency, type DataPath } from '../stream/data-path.js';
import { startStreams, type StreamRun } from '../stream/app/run.js';

/*
 * A session: the scenario on its infrastructure with its nodes running. `fogsim up` keeps one
 * until Ctrl-C; `fogsim run` keeps one for a bounded experiment. Steps, in order: infrastructure,
 * seeding, data set, placement, impact vectors (imported from an earlier training of the same
 * scenario, else trained now), telemetry, node processes, and a closer for overdue events.
 */

export type RuntimeKind = 'process' | 'docker' | 'none';

export interface SessionOptions {
  scenarioFile: string;
  /** overrides the scenario's seed (fogsim run/up --seed) */
  seed?: number;
  /** how long the session runs (fogsim run --duration): its dynamics are drawn up to then */
  durationS?: number;
  /**
   * overrides the strategy of every app (fogsim run/up --strategy): a built-in name, or a module
   * path relative to the working folder; the nodes get it through FOGSIM_STRATEGY
   */
  strategy?: string;
  cfg?: InfraConfig;
  /**
   * file (default; fogsim run, up --reset): the store takes the file's nodes, links and apps;
   * store (fogsim up): the store is the truth after the first start, the file adds only what it lacks
   */
  seedMode?: SeedMode;
  runtime?: RuntimeKind;
  /** train when vectors are missing (default true); false refuses with the command to run */
  train?: boolean;
  /** training iterations when training here (default: the scenario's) */
  trainIterations?: number;
  log: (line: string) => void;
  logger?: Logger;
  signal?: AbortSignal;
  /** for tests running from TypeScript sources */
  nodeEntry?: string;
  nodeExecArgv?: string[];
  /** where trained vectors are kept between sessions (default training/dirs.ts vectorsDirFor: <dataDir>/training/<scenario name>) */
  vectorsDir?: string;
  /**
   * start from the trained vectors alone: the ones learned online in earlier sessions
   * (<vectorsDir>/learned) are not imported, and online vectors of a persistent store are reset
   * to the trained ones
   */
  freshVectors?: boolean;
  /** ports of the embedded servers (--proxy-port, --s3-port) */
  infraOptions?: Pick<InfraOptions, 'proxyPort' | 's3Port'>;
}

export interface Session {
  scenario: Scenario;
  scenarioFile: string;
  /** the --strategy override as the nodes get it (a path made absolute), if any */
  strategy?: string;
  infra: Infra;
  runtime?: NodeRuntime;
  telemetry?: TelemetrySubscriber;
  startedAtMs: number;
  /** the scenario's vectors folder (trained vectors; the learned ones in its learned/) */
  vectorsDir: string;
  startNode(appId: number): Promise<void>;
  /**
   * Every app's node as the runtime sees it, with the apps whose start failed as `failed` (with
   * the error): the API's GET /api/nodes shows it. Empty without a runtime (--runtime none).
   */
  nodeStatus(): NodeStatus[];
  /** the admin UI's operations on this session's store and nodes (a node down stops its apps): the API's and the timeline's */
  operations: Operations;
  /** applies the scenario's timeline from startedAtMs (controller/experiment/timeline.ts) */
  timeline: TimelineScheduler;
  /**
   * the scenario's stream apps and workloads (issue 19), running in the controller's process on
   * the bus of openBus (embedded, or Kafka with FOGSIM_KAFKA_BROKERS); undefined without stream
   * apps. `run` stops them for its report; close() stops them otherwise (`up`).
   */
  streams?: StreamRun;
  /**
   * Writes the store's online-learned vectors to <vectorsDir>/learned/app-<id>/ for the next
   * session; call it once the nodes have stopped (the end of `run`, the shutdown of `up`).
   */
  saveLearnedVectors(): Promise<LearnedWrite>;
  close(): Promise<void>;
}

/** How long after the session's start the apps' first arrivals begin to count. */
const FIRST_ARRIVAL_LEAD_MS = 2_000;

export async function startSession(o: SessionOptions): Promise<Session> {
  const scenarioFile = resolve(o.scenarioFile);
  const fromFile = loadScenario(o.scenarioFile);
  // ids past the port-safe bound: refused before any server starts
  assertEmulable(fromFile);
  // --seed: the same scenario on another seed; the nodes get it through FOGSIM_SEED
  const scenario = o.seed === undefined ? fromFile : { ...fromFile, seed: o.seed };
  // --strategy: a path is the user's, relative to where they typed it; every app's strategy loads
  // here once, so a module that does not load fails the session before anything starts
  const strategy = o.strategy === undefined ? undefined : isStrategyPath(o.strategy) ? resolve(o.strategy) : o.strategy;
  for (const a of [...scenario.apps, ...scenario.streamApps]) await loadAppStrategy(scenario, a.id, strategy);
  const cfg = o.cfg ?? readInfraConfig();
  const infra = await startInfra(cfg, o.infraOptions);
  const closers: (() => Promise<unknown>)[] = [() => infra.close()];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch(() => undefined);
    closers.length = 0;
  };
  try {
    for (const line of infra.describe) o.log(line);
    const { store, objects } = infra;
    await store.seedScenario(scenario, o.seedMode ?? 'file');
    const drift = await storeDrift(store, scenario);
    if (drift.length) o.log(describeDrift(drift, o.scenarioFile));
    const datasetFile = scenario.dataset.file ?? (await ensureDatasetFile(scenario, cfg));
    const placed = await bootstrapPlacement(store, objects, scenario, datasetFile);
    if (placed.created) o.log(`data set: ${datasetFile} uploaded to ${placed.created.bucket} (node ${placed.created.nodeId})`);

    const vectorsDir = await ensureVectors(o, scenario, scenarioFile, infra);

    // overdue events close even when the node that wrote them is gone (nodes/community.ts)
    const closer = setInterval(() => {
      closeDueEvents(store, Date.now(), scenario.decision).catch((err) => o.logger?.warn({ err }, 'closing overdue events failed'));
    }, 1000);
    closers.push(async () => clearInterval(closer));

    const kind = o.runtime ?? 'process';
    let runtime: NodeRuntime | undefined;
    let telemetry: TelemetrySubscriber | undefined;
    const bus = openTelemetry(cfg, { logger: o.logger });
    if (bus.kind === 'kafka') {
      telemetry = bus.subscriber();
      closers.push(() => telemetry!.close());
    }
    if (kind === 'process') {
      const pr = new ProcessRuntime({ entry: o.nodeEntry, execArgv: o.nodeExecArgv });
      runtime = pr;
      if (!telemetry) {
        const ipc = bus.subscriber() as IpcTelemetrySubscriber;
        pr.on('telemetry', (msg: unknown) => ipc.accept(msg));
        telemetry = ipc;
        closers.push(() => ipc.close());
      }
      closers.push(() => pr.stopAll());
    } else if (kind === 'docker') {
      const { DockerRuntime } = await import('./runtime/docker-runtime.js');
      runtime = new DockerRuntime({});
      closers.push(() => runtime!.stopAll());
    }
    runtime?.on('crash', (st, gaveUp) =>
      o.log(`node of app ${st.appId} exited (${st.lastExit?.signal ?? `code ${st.lastExit?.code}`}); ${st.error ? `${st.error}; not restarted` : gaveUp ? 'it crashed too often: given up' : 'restarting'}`),
    );
    runtime?.on('restart', (st) => o.log(`node of app ${st.appId} restarted (restart #${st.restarts})`));

    let firstArrivalsFromMs: number | undefined;
    // apps whose start rejected (before or while the runtime started them), until a start succeeds
    const startFailures = new Map<number, string>();
    const startNode = async (appId: number) => {
      try {
        await startNodeOnce(appId);
        startFailures.delete(appId);
      } catch (e) {
        startFailures.set(appId, `app ${appId} could not start: ${errorText(e)}`);
        throw e;
      }
    };
    const startNodeOnce = async (appId: number) => {
      if (!scenario.apps.some((a) => a.id === appId)) {
        // an app added at run time: point it at the data set (idempotent for the others), then
        // train it; also with --runtime none, where its container is started by compose
        await bootstrapPlacement(store, objects, scenario, datasetFile);
        await trainAddedApp(o, scenario, infra, appId);
      }
      if (!runtime) return;
      const env: Record<string, string> = { ...infra.nodeEnv(), FOGSIM_APP_ID: String(appId), FOGSIM_SCENARIO: scenarioFile };
      if (o.seed !== undefined) env.FOGSIM_SEED = String(o.seed);
      // the apps of the first start count their first arrival from one instant (nodes/node.ts run)
      if (firstArrivalsFromMs !== undefined) env.FOGSIM_SESSION_START = String(firstArrivalsFromMs);
      if (strategy !== undefined) env.FOGSIM_STRATEGY = strategy;
      await runtime.start({ appId, env });
    };
    const startedAtMs = Date.now();
    // every app of the store: those of the scenario and those added with add-node in earlier sessions
    const appIds = (await store.listApps()).map((a) => a.id).sort((a, b) => a - b);
    // a lead over the time the processes take to start and warm up, so no app's first run is late
    firstArrivalsFromMs = startedAtMs + FIRST_ARRIVAL_LEAD_MS;
    // one node that cannot start is reported (log, GET /api/nodes) and the others go on
    let started = 0;
    for (const id of appIds) {
      try {
        await startNode(id);
        started += 1;
      } catch (e) {
        o.log(`app ${id} could not start: ${errorText(e)}; the other nodes go on`);
      }
    }
    firstArrivalsFromMs = undefined; // apps started later (add-node, restarts) count from their own start
    if (runtime) o.log(`${started} node(s) started as ${runtime.kind === 'process' ? 'child processes' : 'containers'}${started < appIds.length ? ` (${appIds.length - started} could not start)` : ''}`);
    const nodeStatus = (): NodeStatus[] => {
      const live = runtime?.list() ?? [];
      const failed = [...startFailures].filter(([id]) => !live.some((st) => st.appId === id)).map(([appId, error]): NodeStatus => ({ appId, state: 'failed', restarts: 0, error, errorKind: 'start' }));
      return [...live, ...failed].sort((a, b) => a.appId - b.appId);
    };
    const saveLearnedVectors = () => saveLearned(o, infra, vectorsDir);
    const operations = new Operations(store, {
      onNodeAdded: (added) => {
        o.log(`node ${added.node.id} added${added.app ? `; starting app ${added.app.id}` : ''}`);
        // in the background: training the new app takes seconds, the caller goes on at once
        if (added.app) startNode(added.app.id).catch((e) => o.log(`app ${added.app!.id} could not start: ${(e as Error).message}`));
      },
      stopApp: async (appId) => {
        await runtime?.stop(appId);
      },
      deleteObject: (bucket, key) => objects.deleteObject(bucket, key),
      removeEmptyBucket: async (bucket) => {
        // a node without storage never had one
        if (!(await objects.listBuckets()).includes(bucket)) return 'absent';
        if ((await objects.listObjects(bucket)).length) return 'kept';
        await objects.deleteBucket(bucket);
        return 'deleted';
      },
      startApp: async (appId) => {
        if (runtime?.list().some((st) => st.appId === appId && (st.state === 'running' || st.state === 'starting' || st.state === 'restarting'))) return;
        // a storage node added since the app last started needs vectors of its own (preflight)
        await trainAddedApp(o, scenario, infra, appId);
        await startNode(appId);
      },
    });
    const timeline = new TimelineScheduler({ steps: expandTimeline(scenario, o.durationS ?? Infinity), operations, startedAtMs, log: o.log });
    closers.push(() => timeline.close());
    timeline.start();
    const streams = await startScenarioStreams(scenario, infra, datasetFile, o.log, closers, strategy);
    return { scenario, scenarioFile, strategy, infra, runtime, telemetry, startedAtMs, vectorsDir, startNode, nodeStatus, operations, timeline, streams, saveLearnedVectors, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/**
 * The scenario's stream part in the controller's process (not on the nodes yet): the bus, the
 * workloads' topics, the stream apps, then the producers. The closers stop them (a stop the
 * caller made already, for its report, is not made twice) and close the bus.
 */
async function startScenarioStreams(scenario: Scenario, infra: Infra, datasetFile: string, log: (line: string) => void, closers: (() => Promise<unknown>)[], strategy: string | undefined): Promise<StreamRun | undefined> {
  if (!scenario.streamApps.length) return undefined;
  const { store } = infra;
  // the session's configuration, not the process's environment: a session started with its own cfg (a test, a child) keeps to it
  const brokers = infra.cfg.kafkaBrokers?.length ? infra.cfg.kafkaBrokers : undefined;
  const bus = await openBus({ brokers: brokers ?? [], replication: infra.cfg.kafkaReplication });
  closers.push(() => bus.close());
  // the bus lives on stream.busNode; each producer and stream app reaches it over its node's link (stream/data-path.ts)
  const busNode = scenario.stream.busNode;
  const latencyOf = storeLatency(store, busNode, scenario);
  const path: DataPath = brokers ? kafkaPath({ brokers, busNode, latencyOf, control: infra.latency, cfg: infra.cfg }) : embeddedPath(bus, busNode, latencyOf);
  const streams = await startStreams({ bus, scenario, datasetFile, store, log, path, strategy });
  closers.push(() => streams.stop());
  log(`${scenario.streamApps.length} stream app(s) started on the ${bus.kind} bus (apps ${scenario.streamApps.map((a) => a.id).join(', ')}; workloads ${scenario.workloads.map((w) => w.id).join(', ') || 'none'})`);
  return streams;
}

/**
 * Vectors for every app, and the folder they are kept in. In order: the trained vectors (already
 * in the store, else imported from the scenario's vectors folder, else trained now), then the
 * vectors learned online in earlier sessions (<vectorsDir>/learned) over them, unless
 * --fresh-vectors. Logs one line saying what the session starts from.
 */
async function ensureVectors(o: SessionOptions, scenario: Scenario, scenarioFile: string, infra: Infra): Promise<string> {
  const { store, cfg } = infra;
  // nodes added with add-node live in the store: every app needs vectors for them too
  scenario = await currentTopology(store, scenario);
  const dir = o.vectorsDir ?? vectorsDirFor(cfg.dataDir, scenario.name);
  const learnedDir = learnedDirFor(dir);
  const need = new Set(requiredLabels(scenario));
  const appIds = new Set(scenario.apps.map((a) => a.id));
  const relevant = async () => (await store.listImpacts()).filter((r) => appIds.has(r.appId) && need.has(r.actionLabel));
  const onlineApps = async () => [...new Set((await relevant()).filter((r) => r.source === 'online').map((r) => r.appId))].sort((a, b) => a - b);
  let missing = await missingVectors(store, scenario);
  // a persistent store's own online vectors (up) outlive importing or training the missing ones;
  // --fresh-vectors resets them to the trained ones instead
  const onlineBefore = o.freshVectors ? [] : (await relevant()).filter((r) => r.source === 'online');
  const reset = o.freshVectors === true && (await onlineApps()).length > 0;
  let fromFiles = 0;
  if ((missing.length || reset) && existsSync(dir)) {
    try {
      fromFiles = (await importVectors({ dir, store, scenario })).length;
      missing = await missingVectors(store, scenario);
    } catch (e) {
      o.log(`impact vectors in ${dir} could not be imported (${(e as Error).message}); training again`);
    }
  }
  // online vectors the trained files could not reset: those apps train again
  const stale = reset ? await onlineApps() : [];
  let trainedNow = 0;
  if (missing.length || stale.length) {
    if (o.train === false) {
      if (missing.length) throw new UserError(describeMissing(missing, o.scenarioFile));
      throw new UserError(`--fresh-vectors: app(s) ${stale.join(', ')} have vectors learned online and ${dir} holds no trained ones to reset them to; train them with \`fogsim train --scenario ${o.scenarioFile}\` or leave out --no-train`);
    }
    const toTrain = [...new Set([...missing.map((m) => m.appId), ...stale])].sort((a, b) => a - b);
    o.log(`impact vectors ${missing.length ? 'missing' : 'to reset'} for ${toTrain.length} app(s): training first (apps ${toTrain.join(', ')}, ${o.trainIterations ?? scenario.training.iterations} iterations)`);
    const result = await trainScenario({
      scenario,
      appIds: toTrain,
      iterations: o.trainIterations,
      outDir: dir,
      signal: o.signal,
      infra: await trainingInfraFrom(infra, scenario),
      onEvent: (e) => {
        if (e.kind === 'app') o.log(`training: app ${e.appId} done (${e.vectors} vectors)`);
      },
    });
    if (result.interrupted) throw new UserError('training was interrupted; run again to resume where it stopped');
    o.log(`training: ${result.measurements} measurements in ${(result.wallMs / 1000).toFixed(1)} s; vectors kept in ${dir}`);
    trainedNow = result.apps.reduce((n, a) => n + Object.keys(a.vectors).length, 0);
    missing = await missingVectors(store, scenario);
    if (missing.length) throw new UserError(describeMissing(missing, scenarioFile));
  }
  for (const r of onlineBefore) await store.upsertImpact(r);
  let learned: LearnedImport | undefined;
  if (!o.freshVectors) {
    try {
      learned = await importLearnedVectors(store, learnedDir, scenario);
    } catch (e) {
      o.log(`impact vectors learned in earlier runs (${learnedDir}) could not be read (${(e as Error).message}); starting from the trained ones (the folder is replaced when this session ends)`);
    }
  }
  const rows = await relevant();
  const nTrained = rows.filter((r) => r.source !== 'online').length;
  const nOnline = rows.length - nTrained;
  const trainedFrom = [fromFiles && `${fromFiles} from ${dir}`, trainedNow && `${trainedNow} trained now`].filter(Boolean);
  const trainedPart = `trained (${nTrained}${trainedFrom.length ? `: ${trainedFrom.join(', ')}` : ', in the store'})`;
  let learnedPart: string;
  if (o.freshVectors) learnedPart = `only (--fresh-vectors: vectors learned in earlier runs${existsSync(learnedDir) ? ` in ${learnedDir}` : ''} left out)`;
  else if (nOnline === 0) learnedPart = '+ none learned in earlier runs';
  else {
    const imported = learned?.imported ?? 0;
    const parts = [imported && `${imported} from ${learnedDir}`, nOnline > imported && `${nOnline - imported} in the store`].filter(Boolean);
    learnedPart = `+ learned in earlier runs (${nOnline}: ${parts.join(', ')})`;
  }
  o.log(`impact vectors: ${trainedPart} ${learnedPart}`);
  return dir;
}

/** The store's online-learned vectors to <vectorsDir>/learned, for the next session; logs one line. */
async function saveLearned(o: SessionOptions, infra: Infra, vectorsDir: string): Promise<LearnedWrite> {
  const w = await writeLearnedVectors(infra.store, learnedDirFor(vectorsDir));
  if (w.count) o.log(`impact vectors: ${w.count} learned online (apps ${w.apps.join(', ')}) kept in ${w.dir}; the next run starts from them (--fresh-vectors: from the trained ones)`);
  else o.log(`impact vectors: none learned online${w.replaced ? `; ${w.dir} cleared` : ''}`);
  return w;
}

/** The scenario with nodes, links and apps as the store has them now (nodes may have been added). */
async function currentTopology(store: Infra['store'], scenario: Scenario): Promise<Scenario> {
  const [nodes, links, apps] = await Promise.all([store.listNodes(), store.listLinks(), store.listApps()]);
  return {
    ...scenario,
    nodes: nodes.map((n) => ({ id: n.id, name: n.name, availability: n.availability, storage: n.storage })),
    links: links.filter((l) => l.from < l.to).map((l) => ({ from: l.from, to: l.to, latencyMs: l.latencyMs })),
    // the store holds every pair: the topology's model is not needed (nor right for an added node)
    topology: undefined,
    apps: apps.map((a) => ({ id: a.id, node: a.nodeId, goal: a.goal })),
  };
}

/**
 * An app added at run time (add-node with a goal) has no impact vectors: train it alone, on the
 * topology as the store has it now (the scenario file knows nothing of the new node).
 */
async function trainAddedApp(o: SessionOptions, scenario: Scenario, infra: Infra, appId: number): Promise<void> {
  const { store } = infra;
  const current = await currentTopology(store, scenario);
  if (!current.apps.some((a) => a.id === appId)) throw new NotFoundError(`app ${appId} is not in the store; add it with its node (add-node --goal)`);
  if ((await missingVectors(store, current)).every((m) => m.appId !== appId)) return;
  o.log(`training app ${appId} of the added node (${current.training.iterations} iterations)`);
  const result = await trainScenario({ scenario: current, appIds: [appId], outDir: null, progressFile: null, infra: await trainingInfraFrom(infra, current) });
  o.log(`training: app ${appId} done, ${result.measurements} measurements in ${(result.wallMs / 1000).toFixed(1)} s`);
}
