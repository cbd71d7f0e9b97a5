import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../db/sqlite-store.js';
import type { Store } from '../../db/store.js';
import { loadScenario, type Scenario } from '../../model/scenario.js';
import type { ImpactVector } from '../../model/metrics.js';
import type { NewRun } from '../../model/types.js';
import { bucketForNode } from '../../objectstore/object-store.js';
import { createRng } from '../../util/rng.js';
import { datasetText } from '../../dataset/generate.js';
import { BUILTIN_STRATEGIES } from '../../decision/strategies/registry.js';
import { WindowAggregate } from '../../stream/app/aggregate.js';
import type { StreamScaleAction, StreamWindow } from '../../stream/app/app.js';
import { streamSnapshot, type StreamRun, type StreamWindowEvent } from '../../stream/app/run.js';
import { assessWindow, chooseScale, scaleActionRow, windowRow } from '../../stream/app/window.js';
import { modelWindow, producedIn } from '../../sim/stream.js';

export interface TempStore {
  store: SqliteStore;
  scenario: Scenario;
  dir: string;
  path: string;
  cleanup(): Promise<void>;
}

/** A real SqliteStore on a temp file, migrated and seeded with the thesis scenario (no copies, no runs). */
export async function tempStore(): Promise<TempStore> {
  const dir = mkdtempSync(join(tmpdir(), 'fogsim-ctl-'));
  const path = join(dir, 'fogsim.db');
  const store = new SqliteStore(path);
  await store.migrate();
  const scenario = loadScenario(new URL('../../scenarios/thesis.yaml', import.meta.url).pathname);
  await store.seedScenario(scenario);
  return {
    store,
    scenario,
    dir,
    path,
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The first copy of the data set on the scenario's data node, referenced by every app. */
export async function seedPlacement(store: Store, scenario: Scenario, createdAtMs = Date.now()) {
  const copy = await store.createCopy({ nodeId: scenario.dataset.node, bucket: bucketForNode(scenario.dataset.node), objectKey: scenario.dataset.objectKey, createdAtMs });
  for (const a of scenario.apps) await store.setAppReference(a.id, copy.id);
  return copy;
}

export function makeRun(appId: number, startedAtMs: number, over: Partial<NewRun> = {}): NewRun {
  return {
    appId,
    datasetId: 1,
    dataNode: 3,
    startedAtMs,
    rtMs: 120,
    etMs: 30,
    throughput: 600_000,
    latencyMs: 0,
    availability: 85,
    consistency: 1,
    goalMet: true,
    actionLabel: 'NA',
    error: null,
    ...over,
  };
}

const vec = (rt: number, et: number, x: number, nl: number, av: number, dc: number): ImpactVector => ({
  responseTime: rt,
  executionTime: et,
  throughput: x,
  latency: nl,
  availability: av,
  consistency: dc,
});

/**
 * A realistic 75-second history of the thesis scenario, as a run of `fogsim up` leaves it:
 * app 1 starts violated (data on node 3: 1500 ms away, 85 % available), moves the data next
 * to itself (M3_1); app 2 then suffers, leaves feedback and copies the data to its node (C1_2);
 * app 3, now far from both copies and with consistency 0.5, leaves feedback and changes its
 * reference to node 2 (CR2); afterwards every goal holds and the system converges.
 * Metrics are drawn around the latencies of the scenario with a seeded generator.
 */
export async function seedRealistic(store: Store, scenario: Scenario, endMs = Date.now()): Promise<{ t0: number }> {
  const rng = createRng(7);
  const t0 = endMs - 75_000;
  const T = scenario.timing.feedbackWindowMs;
  const copy1 = await seedPlacement(store, scenario, t0 - 5_000);
  const lat = (a: number, b: number) => (a === b ? 0 : (scenario.links.find((l) => (l.from === a && l.to === b) || (l.from === b && l.to === a))?.latencyMs ?? 0));
  const avail = (n: number) => scenario.nodes.find((x) => x.id === n)!.availability;

  // impact vectors as training leaves them (a plausible subset)
  const labels = ['M3_1', 'M3_2', 'C3_1', 'C3_2', 'M1_2', 'C1_2', 'CR1', 'CR2', 'CR3'];
  for (const a of scenario.apps) {
    for (const label of labels) {
      const r = () => Math.round((rng.next() * 2 - 1) * 100) / 100;
      await store.upsertImpact({ appId: a.id, actionLabel: label, vector: vec(r(), r() / 3, r() / 2, r(), r(), label.startsWith('C') ? -0.5 : 0), source: 'training', updatedAtMs: t0 - 10_000 });
    }
  }

  // placement of each app over time: the node of its reference copy; the copy count
  const ref = new Map<number, number>(scenario.apps.map((a) => [a.id, scenario.dataset.node]));
  let copies = 1;
  let version1 = copy1.version;
  let copy2Id = 0;
  let moveAt = 0;
  const open: { id: number; at: number; appId: number }[] = [];
  // Runs of other apps are processed in start order, so an action only shows in runs that start after it.
  const pending: { at: number; apply: () => void }[] = [];
  const later = (at: number, apply: () => void) => pending.push({ at, apply });
  const feedback = async (appId: number, at: number) => {
    for (const e of open) if (e.appId !== appId && e.at <= at && at < e.at + T) await store.addFeedback({ eventId: e.id, appId, value: 1 - (at - e.at) / T, createdAtMs: at });
  };
  // What each app does on its first violation (the decision system's choice in this story).
  const act: Record<number, (at: number) => Promise<string | undefined>> = {
    1: async (at) => {
      if (moveAt) return undefined;
      const r = await store.commitMove({ copyId: copy1.id, expectedVersion: version1, toNode: 1, bucket: bucketForNode(1), event: { appId: 1, datasetId: copy1.id, actionLabel: 'M3_1', actionType: 'move', createdAtMs: at, closesAtMs: at + T, explored: false } });
      version1 = r.copy.version;
      open.push({ id: r.event.id, at, appId: 1 });
      moveAt = at;
      later(at, () => {
        for (const a of ref.keys()) ref.set(a, 1);
      });
      return 'M3_1';
    },
    2: async (at) => {
      if (copy2Id) return undefined;
      const r = await store.commitCopy({ sourceCopyId: copy1.id, expectedVersion: version1, toNode: 2, bucket: bucketForNode(2), objectKey: scenario.dataset.objectKey, appId: 2, event: { appId: 2, datasetId: copy1.id, actionLabel: 'C1_2', actionType: 'copy', createdAtMs: at, closesAtMs: at + T, explored: false } });
      copy2Id = r.copy.id;
      open.push({ id: r.event.id, at, appId: 2 });
      later(at, () => {
        ref.set(2, 2);
        copies = 2;
      });
      return 'C1_2';
    },
    3: async (at) => {
      if (!copy2Id || copies < 2 || ref.get(3) === 2) return undefined;
      const target = await store.getCopy(copy2Id);
      const r = await store.commitChangeRef({ appId: 3, toCopyId: copy2Id, expectedVersion: target!.version, event: { appId: 3, datasetId: copy2Id, actionLabel: 'CR2', actionType: 'changeRef', createdAtMs: at, closesAtMs: at + T, explored: true } });
      open.push({ id: r.event.id, at, appId: 3 });
      later(at, () => ref.set(3, 2));
      return 'CR2';
    },
  };

  // runs every ~2 s per app, staggered; an app acts right after a violating run
  const schedule: { at: number; appId: number }[] = [];
  for (const a of scenario.apps) {
    for (let t = t0 + 300 * a.id; t < endMs - 500; t += rng.normal(2_000, 200)) schedule.push({ at: Math.round(t), appId: a.id });
  }
  schedule.sort((x, y) => x.at - y.at);
  for (const s of schedule) {
    pending.sort((a, b) => a.at - b.at);
    while (pending.length && pending[0].at <= s.at) pending.shift()!.apply();
    const app = scenario.apps.find((a) => a.id === s.appId)!;
    const dataNode = ref.get(app.id)!;
    const latencyMs = Math.max(0, rng.normal(lat(app.node, dataNode), 7));
    const etMs = Math.max(8, rng.normal(32 + latencyMs / 60, 3));
    const rtMs = latencyMs + etMs + rng.normal(18, 4);
    // While the moved object is still streaming in, node 1's link is busy: app 2's reads crawl.
    const transient = app.id === 2 && dataNode === 1 && moveAt > 0 && s.at >= moveAt && s.at - moveAt < 4_000;
    const throughput = transient ? Math.round(rng.normal(18_000, 1_500)) : Math.round((scenario.dataset.records / (etMs + latencyMs / 25)) * 1000);
    const availability = avail(dataNode);
    const consistency = 1 - (copies - 1) / scenario.decision.maxCopies;
    const goalMet =
      app.id === 1 ? rtMs <= 800 && availability >= 95 : app.id === 2 ? throughput >= 30_000 && availability >= 80 : consistency >= 0.7 || latencyMs <= 1300;
    let actionLabel = 'NA';
    if (!goalMet) {
      await feedback(app.id, s.at + Math.round(rtMs));
      actionLabel = (await act[app.id](s.at + Math.round(rtMs) + 20)) ?? 'NA';
    }
    await store.insertRun({
      appId: app.id,
      datasetId: null,
      dataNode,
      startedAtMs: s.at,
      rtMs: Math.round(rtMs * 10) / 10,
      etMs: Math.round(etMs * 10) / 10,
      throughput,
      latencyMs: Math.round(latencyMs * 10) / 10,
      availability,
      consistency,
      goalMet,
      actionLabel,
      error: null,
    });
  }
  // events whose window has passed close with their global feedback (docs/architecture.md)
  const others = scenario.apps.length - 1;
  await store.closeDueEvents(endMs, (e) => {
    const g = e.sumFeedback / others;
    return { globalFeedback: g, counterDelta: g >= scenario.decision.feedbackThreshold ? 1 : -1 };
  });
  return { t0 };
}

/** A seeded stream history as the controller takes a session's stream run (its subscribe and snapshot); `emit` sends a window to the subscribers. */
export interface SeededStreams extends Pick<StreamRun, 'subscribe' | 'snapshot'> {
  emit(e: StreamWindowEvent): void;
}

/**
 * A seeded history of the stream app of scenarios/stream-scale.yaml, as seedRealistic is for the
 * batch apps: 30 windows of 2 s over 60 s, shown as stream app `id` (default 4, beside the thesis
 * scenario's apps 1-3). Each window is the virtual-time engine's fluid model (sim/stream.ts: the
 * workload's schedule, 200 msgs/s then 650 from 30 s, into a queue the workers serve at 1000 /
 * costMs records/s each), decided as the app decides it (stream/app/window.ts), and and each window's aggregates are the real aggregates of the records it served
 * from the scenario's data set. The snapshot is the run's own (stream/app/run.ts streamSnapshot).
 */
export function seedStreamHistory(endMs: number, id = 4): SeededStreams {
  const file = loadScenario(new URL('../../scenarios/stream-scale.yaml', import.meta.url).pathname);
  const spec = { ...file.streamApps[0]!, id };
  const workload = file.workloads.find((w) => w.topic === spec.topic)!;
  const rng = createRng(19);
  const windowMs = spec.windowS * 1000;
  const windowCount = 30;
  // the apps start a few ms after the run, the producers a few ms after the apps (startStreams)
  const appStartMs = endMs - windowCount * windowMs;
  const startedAtMs = appStartMs - 6;
  const workloadsStartedAtMs = appStartMs + 14;
  const offsetS = (workloadsStartedAtMs - appStartMs) / 1000;
  const windows: StreamWindow[] = [];
  const actions: StreamScaleAction[] = [];
  let workers = spec.workers;
  let lag = 0;
  let violations = 0;
  let consumed = 0;
  // the records the bloodtests source cycles through: each window's aggregates are those of the records it served
  const records = JSON.parse([...datasetText(file.dataset.records, file.dataset.seed)].join('')) as Record<string, unknown>[];
  for (let index = 0; index < windowCount; index++) {
    const startS = index * spec.windowS;
    const endS = startS + spec.windowS;
    // the one model of a stream app's window (sim/stream.ts), on the producers' clock
    const produced = producedIn([workload], startS - offsetS, endS - offsetS);
    const m = modelWindow(spec, { workers, lag }, { index, startS, endS, produced, path: { latencyMs: 0, availability: 99 } }, rng);
    lag = m.lag;
    const agg = new WindowAggregate();
    for (let i = consumed; i < consumed + m.processed; i++) agg.add(records[i % records.length]!);
    consumed += m.processed;
    // the window decided as the app decides it (stream/app/window.ts): the original takes the rule's proposal
    const a = assessWindow(spec, { ...m, groups: agg.results() }, violations, windows);
    violations = a.violations;
    const chosen = chooseScale(BUILTIN_STRATEGIES.original, a, { spec, counters: {}, params: file.decision, rng });
    const w = windowRow({ ...m, groups: agg.results() }, a, chosen, 'original');
    windows.push(w);
    if (chosen.action.type === 'scale') {
      actions.push(scaleActionRow(w, a, chosen, chosen.action.workers, { rule: spec.scale.rule, strategy: 'original', eventId: null }));
      workers = chosen.action.workers;
      violations = 0;
    }
  }
  const app = { spec, strategy: { name: 'original' }, startedAtMs: appStartMs, workerCount: workers, windows, windowCount: windows.length, actions, consumed };
  const listeners = new Set<(e: StreamWindowEvent) => void>();
  return {
    snapshot: (limit) => streamSnapshot({ startedAtMs, bus: 'embedded', apps: [app], workloads: [workload], workloadsStartedAtMs }, limit),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    emit(e) {
      for (const l of listeners) l(e);
    },
  };
}

