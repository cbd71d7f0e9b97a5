import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { loadScenario, type Scenario } from '../model/scenario.js';
import { UserError } from '../model/errors.js';
import { readInfraConfig, type InfraConfig } from '../util/config.js';
import { startInfra, type Infra } from './infra.js';
import { bootstrapPlacement } from './bootstrap.js';
import { ensureDatasetFile } from '../dataset/generate.js';
import { missingVectors, describeMissing } from '../training/labels.js';
import { trainScenario } from '../training/train.js';
import { importVectors } from '../training/import.js';
import { openAppMeasurer, uploadTrainingCopies } from '../training/infra.js';
import type { TrainingInfra } from '../training/train.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { closeEvent } from '../nodes/decision/index.js';
import type { NodeRuntime } from './runtime/runtime.js';
import { ProcessRuntime } from './runtime/process-runtime.js';
import type { TelemetrySubscriber } from '../telemetry/bus.js';
import type { IpcTelemetrySubscriber } from '../telemetry/ipc-bus.js';
import { openTelemetry } from '../telemetry/open.js';

/*
 * A session: the scenario on its infrastructure with its nodes running. `fogsim up` keeps one
 * until Ctrl-C; `fogsim run` keeps one for a bounded experiment. Steps, in order: infrastructure,
 * seeding, data set, placement, impact vectors (imported from an earlier training of the same
 * scenario, else trained now), telemetry, node processes, and a closer for overdue events.
 */

export type RuntimeKind = 'process' | 'docker' | 'none';

export interface SessionOptions {
  scenarioFile: string;
  cfg?: InfraConfig;
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
  /** where trained vectors are kept between sessions (default <dataDir>/training) */
  vectorsDir?: string;
}

export interface Session {
  scenario: Scenario;
  scenarioFile: string;
  infra: Infra;
  runtime?: NodeRuntime;
  telemetry?: TelemetrySubscriber;
  startedAtMs: number;
  startNode(appId: number): Promise<void>;
  close(): Promise<void>;
}

export async function startSession(o: SessionOptions): Promise<Session> {
  const scenarioFile = resolve(o.scenarioFile);
  const scenario = loadScenario(o.scenarioFile);
  const cfg = o.cfg ?? readInfraConfig();
  const infra = await startInfra(cfg);
  const closers: (() => Promise<unknown>)[] = [() => infra.close()];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch(() => undefined);
    closers.length = 0;
  };
  try {
    for (const line of infra.describe) o.log(line);
    const { store, objects } = infra;
    await store.seedScenario(scenario);
    const datasetFile = scenario.dataset.file ?? (await ensureDatasetFile(scenario, cfg));
    const placed = await bootstrapPlacement(store, objects, scenario, datasetFile);
    if (placed.created) o.log(`data set: ${datasetFile} uploaded to ${placed.created.bucket} (node ${placed.created.nodeId})`);

    await ensureVectors(o, scenario, scenarioFile, infra);

    // overdue events close even when the node that wrote them is gone (DESIGN 7.7)
    const closer = setInterval(() => {
      store.closeDueEvents(Date.now(), (e) => closeEvent(e, scenario.apps.length, scenario.decision)).catch((err) => o.logger?.warn({ err }, 'closing overdue events failed'));
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
    runtime?.on('crash', (st, gaveUp) => o.log(`node of app ${st.appId} exited (${st.lastExit?.signal ?? `code ${st.lastExit?.code}`}); ${gaveUp ? 'it crashed too often: given up' : 'restarting'}`));
    runtime?.on('restart', (st) => o.log(`node of app ${st.appId} restarted (restart #${st.restarts})`));

    const startNode = async (appId: number) => {
      if (!scenario.apps.some((a) => a.id === appId)) {
        // an app added at run time: point it at the data set (idempotent for the others), then
        // train it; also with --runtime none, where its container is started by compose
        await bootstrapPlacement(store, objects, scenario, datasetFile);
        await trainAddedApp(o, scenario, infra, appId);
      }
      if (!runtime) return;
      await runtime.start({ appId, env: { ...infra.nodeEnv(), FOGSIM_APP_ID: String(appId), FOGSIM_SCENARIO: scenarioFile } });
    };
    const startedAtMs = Date.now();
    // every app of the store: those of the scenario and those added with add-node in earlier sessions
    const appIds = (await store.listApps()).map((a) => a.id).sort((a, b) => a - b);
    for (const id of appIds) await startNode(id);
    if (runtime) o.log(`${appIds.length} node(s) started as ${runtime.kind === 'process' ? 'child processes' : 'containers'}`);
    return { scenario, scenarioFile, infra, runtime, telemetry, startedAtMs, startNode, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** Vectors for every app: already in the store, imported from an earlier training, or trained now. */
async function ensureVectors(o: SessionOptions, scenario: Scenario, scenarioFile: string, infra: Infra): Promise<void> {
  const { store, cfg } = infra;
  // nodes added with add-node live in the store: every app needs vectors for them too
  scenario = await currentTopology(store, scenario);
  let missing = await missingVectors(store, scenario);
  if (missing.length === 0) return;
  const dir = o.vectorsDir ?? join(cfg.dataDir, 'training', scenario.name);
  if (existsSync(dir)) {
    try {
      const imported = await importVectors({ dir, store, scenario });
      missing = await missingVectors(store, scenario);
      if (imported.length) o.log(`impact vectors: ${imported.length} imported from ${dir}`);
    } catch (e) {
      o.log(`impact vectors in ${dir} could not be imported (${(e as Error).message}); training again`);
    }
  }
  if (missing.length === 0) return;
  if (o.train === false) throw new UserError(describeMissing(missing, o.scenarioFile));
  o.log(`impact vectors missing for ${missing.length} app(s): training first (${scenario.apps.length} apps, ${o.trainIterations ?? scenario.training.iterations} iterations)`);
  const result = await trainScenario({
    scenario,
    iterations: o.trainIterations,
    outDir: dir,
    signal: o.signal,
    config: cfg,
    infra: await trainingInfraFrom(infra, scenario),
    onEvent: (e) => {
      if (e.kind === 'app') o.log(`training: app ${e.appId} done (${e.vectors} vectors)`);
    },
  });
  if (result.interrupted) throw new UserError('training was interrupted; run again to resume where it stopped');
  o.log(`training: ${result.measurements} measurements in ${(result.wallMs / 1000).toFixed(1)} s; vectors kept in ${dir}`);
  missing = await missingVectors(store, scenario);
  if (missing.length) throw new UserError(describeMissing(missing, scenarioFile));
}

/** Training on this session's servers: the same store, object store and proxies as the nodes. */
async function trainingInfraFrom(infra: Infra, s: Scenario): Promise<TrainingInfra> {
  const file = s.dataset.file ?? (await ensureDatasetFile(s, infra.cfg));
  await uploadTrainingCopies(s, infra.objects, file);
  return {
    store: infra.store,
    describe: infra.describe,
    openMeasurer: (app) => openAppMeasurer(s, app, infra.objects, infra.latency, infra.cfg),
    close: async () => undefined,
  };
}

/** The scenario with nodes, links and apps as the store has them now (nodes may have been added). */
async function currentTopology(store: Infra['store'], scenario: Scenario): Promise<Scenario> {
  const [nodes, links, apps] = await Promise.all([store.listNodes(), store.listLinks(), store.listApps()]);
  return {
    ...scenario,
    nodes: nodes.map((n) => ({ id: n.id, name: n.name, availability: n.availability, storage: n.storage })),
    links: links.filter((l) => l.from < l.to).map((l) => ({ from: l.from, to: l.to, latencyMs: l.latencyMs })),
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
  if (!current.apps.some((a) => a.id === appId)) throw new UserError(`app ${appId} is not in the store; add it with its node (add-node --goal)`);
  if ((await missingVectors(store, current)).every((m) => m.appId !== appId)) return;
  o.log(`training app ${appId} of the added node (${current.training.iterations} iterations)`);
  const result = await trainScenario({ scenario: current, appIds: [appId], outDir: null, progressFile: null, config: infra.cfg, infra: await trainingInfraFrom(infra, current) });
  o.log(`training: app ${appId} done, ${result.measurements} measurements in ${(result.wallMs / 1000).toFixed(1)} s`);
}
