/*
 * The virtual-time engine (docs/scenario.md `sim`, `fogsim simulate`): the loop of every app of
 * nodes/node.ts, run by a discrete-event agenda in virtual time over plain in-memory state, with
 * the same decision core (decision/): goal check, candidates, scoring, the app's strategy,
 * feedback, event closing and counters, online learning, convergence. What emulation measures by
 * running the job through the proxy, the data-path model predicts (sim/data-path.ts); impact
 * vectors come from the model on first use (sim/impacts.ts) instead of training. Pure: no I/O,
 * no clock; one seed repeats a run. The report has the shape of `fogsim run`'s.
 *
 * Stream apps (kind: stream) close a window every windowS s: the fluid model (sim/stream.ts)
 * gives what the window measured, and the window is decided as stream/app/app.ts decides it
 * (stream/app/window.ts: goal, violations, scale rule, the app's strategy); an S{n} changes the
 * workers from the next window and is an event on no copy (NO_COPY), closed by the same rules.
 * The report's `stream` section has emulation's shape (runtime `virtual`); there is no drain at
 * the end, so an app's lagAtEnd is its model's backlog then.
 *
 * An app decides when its run ends, as a node does (a run reads the world as it is when it starts),
 * so of two violated apps the one whose run ends first acts first. Deliberate differences from
 * emulation, each a consequence of virtual time: an action takes the model's transfer time and is
 * never stale, and two apps never race for one copy within one instant.
 */
import type { ImpactVector, MetricValues } from '../model/metrics.js';
import { linkLatency as scenarioLatency, pairKey, rhoFor, type Scenario } from '../model/scenario.js';
import type { AppRow, DatasetCopy, DecisionRow, DecisionTrace, EventRow, FeedbackRow, Goal, RunRow } from '../model/types.js';
import type { Step, TimelineRow } from '../model/steps.js';
import { stepArgs } from '../model/steps.js';
import { expandTimeline } from '../model/timeline.js';
import { appSeed, createRng, forkRng, type Rng } from '../util/rng.js';
import { evaluateGoal, formatTerm, type GoalCheck } from '../decision/goal.js';
import { traceDecision, weighCandidates } from '../decision/decide.js';
import { closeEvent, applyCounter, feedbackValue } from '../decision/feedback.js';
import { convergence, isQuiet } from '../decision/convergence.js';
import { learnedVector } from '../decision/impact.js';
import type { ScoredCandidate } from '../decision/scoring.js';
import { applyStrategy } from '../decision/strategies/apply.js';
import { BUILTIN_STRATEGIES } from '../decision/strategies/registry.js';
import { StrategyError, type NamedStrategy } from '../decision/strategies/types.js';
import { drawLatency, measureRun, runRecord } from '../nodes/monitor/monitor.js';
import { bucketForNode } from '../objectstore/object-store.js';
import { ConflictError, errorText } from '../model/errors.js';
import { labelNamesNode, planNodeRemoval } from '../model/removal.js';
import { reportFromRecords, type ExperimentReport } from '../controller/experiment/report.js';
import { FEEDBACK_LISTED } from '../controller/experiment/story.js';
import { DEFAULT_DATA_PATH_MODEL, readSucceeds, timeJob, type DataPathModel } from './data-path.js';
import { DerivedImpacts, derivedRow, type ExpectationWorld } from './impacts.js';
import { Agenda } from './heap.js';
import { modelWindow, producedIn } from './stream.js';
import type { StreamAppSpec, WorkloadSpec } from '../model/scenario.js';
import { NO_COPY } from '../db/store.js';
import { formatGoal } from '../decision/goal.js';
import type { StreamScaleAction, StreamWindow } from '../stream/app/app.js';
import { appRateSteps, type StreamReport } from '../stream/app/run.js';
import { assessWindow, busAvailability, chooseScale, lastRateStepS, scaleActionRow, streamAppConverged, windowRow } from '../stream/app/window.js';

export interface SimOptions {
  durationS: number;
  /** the model of the data path (default: the scenario's sim.model, else DEFAULT_DATA_PATH_MODEL) */
  model?: DataPathModel;
  /** each app's strategy, loaded by the caller (decision/strategies/load.ts); default the original */
  strategies?: ReadonlyMap<number, NamedStrategy>;
  /** the strategy name for the report (fogsim simulate --strategy) */
  strategy?: string;
  /** the data set: records and bytes (default: dataset.records of the scenario, bytes from the model) */
  dataset?: { records: number; bytes?: number };
  /** stop at convergence as fogsim run does (default true); false runs to the end */
  stopAtConvergence?: boolean;
  /** epoch ms virtual time starts at (default 0): reports count from it */
  startedAtMs?: number;
  /** called every `progressEveryMs` of virtual time with the fraction done */
  onProgress?: (fraction: number) => void;
}

export interface SimResult {
  report: ExperimentReport;
  runs: RunRow[];
  /** what the engine did: cycles run, agenda entries processed */
  stats: { cycles: number; runs: number; events: number; decisions: number };
}

interface SimApp {
  id: number;
  node: number;
  goal: Goal;
  ref: number;
  strategy: NamedStrategy;
  rng: { arrival: Rng; latency: Rng; choice: Rng; read: Rng; noise: Rng };
  rho: Record<keyof MetricValues, number>;
  impacts: DerivedImpacts;
  /** trailing runs kept for the convergence rule */
  window: RunRow[];
  stopped: boolean;
}

/** A stream app in virtual time: its model's state and what the report keeps. */
interface SimStream {
  spec: StreamAppSpec;
  strategy: NamedStrategy;
  rng: { noise: Rng; choice: Rng };
  /** the workloads on its topic */
  workloads: WorkloadSpec[];
  workers: number;
  /** the backlog at the end of its latest window */
  lag: number;
  violations: number;
  consumed: number;
  windows: StreamWindow[];
  actions: StreamScaleAction[];
}

interface OpenEvent extends EventRow {
  /** apps that gave feedback, under feedbackScope family (under copy, each app's cursor sees an event once) */
  givenBy?: Set<number>;
  /** feedback rows it got; the first FEEDBACK_LISTED are kept (controller/experiment/story.ts) */
  feedbackCount: number;
}

/** A run of an app that has ended: its measurement, the repair it was, and what it teaches when it followed an action. */
interface Ran {
  kind: 'ran';
  app: number;
  m: Measured;
  repair: number;
  learnFrom?: { chosen: ScoredCandidate; before: MetricValues };
}

interface Measured {
  copy: DatasetCopy;
  startedAtMs: number;
  metrics: MetricValues;
  error: string | null;
  tookMs: number;
}

type Agendum = { kind: 'arrival'; app: number } | { kind: 'step'; step: Step } | { kind: 'window'; stream: number; index: number } | Ran;


/** Runs a scenario in virtual time; returns the report `fogsim run` would write and the runs. */
export function simulate(scenario: Scenario, o: SimOptions): SimResult {
  const model = o.model ?? scenario.sim?.dataPathModel ?? DEFAULT_DATA_PATH_MODEL;
  const t0 = o.startedAtMs ?? 0;
  const endMs = t0 + o.durationS * 1000;
  const { timing, decision: params } = scenario;
  const records = o.dataset?.records ?? scenario.dataset.records;
  const bytes = o.dataset?.bytes ?? Math.round(records * model.bytesPerRecord);
  const read = { records, bytes, rangeBytes: scenario.job.rangeBytes };
  const windowRuns = scenario.convergence.windowRuns;

  // ---- the world: nodes, links, copies, apps (what the store holds in emulation)
  const nodes = new Map(scenario.nodes.map((n) => [n.id, { ...n, down: false }]));
  // bumped by the timeline's steps: what is derived from the nodes or the latencies is rebuilt then
  let nodesVersion = 0;
  let latencyVersion = 0;
  // the latencies the timeline set (setLatency, addNode); every other pair is the scenario's, links or topology
  const latency = new Map<number, number>();
  const bandwidth = new Map<number, number>();
  const linkLatency = (a: number, b: number) => (a === b ? 0 : (latency.get(pairKey(a, b)) ?? scenarioLatency(scenario, a, b)));
  const world: ExpectationWorld = { model, read, latency: linkLatency, availability: (n) => nodes.get(n)?.availability ?? 0, version: () => nodesVersion * 1_000_003 + latencyVersion, row: derivedRow() };
  const datasetNode = scenario.dataset.node;
  const copies = new Map<number, DatasetCopy>([[1, { id: 1, familyId: 1, nodeId: datasetNode, bucket: bucketForNode(datasetNode), objectKey: 'dataset.json', version: 1, createdAtMs: t0 }]]);
  let nextCopyId = 2;
  const familyCopies = (familyId: number) => [...copies.values()].filter((c) => c.familyId === familyId);
  // live apps whose last windowRuns runs are not all quiet since the last step: kept as runs are
  // recorded, so the convergence check after each cycle is O(1) until it can hold (it was O(apps))
  const unsettled = new Set<number>();
  let lastStepAtMs: number | null = null;
  const settle = (a: SimApp) => {
    const live = !a.stopped && !nodes.get(a.node)!.down;
    const quiet = a.window.length >= windowRuns && a.window.every(isQuiet) && (lastStepAtMs === null || a.window[0].startedAtMs >= lastStepAtMs);
    if (live && !quiet) unsettled.add(a.id);
    else unsettled.delete(a.id);
  };
  const apps = new Map<number, SimApp>();
  const addApp = (id: number, node: number, goal: Goal) => {
    const root = createRng(appSeed(scenario.seed, id));
    // the same split as nodes/node.ts, so one seed draws the same arrivals, latencies and choices
    const rng = { arrival: forkRng(root), latency: forkRng(root), choice: forkRng(root), read: forkRng(root), noise: forkRng(root) };
    const rho = rhoFor(scenario, id);
    apps.set(id, { id, node, goal, ref: 1, strategy: o.strategies?.get(id) ?? BUILTIN_STRATEGIES.original, rng, rho, impacts: new DerivedImpacts(world, node, rho), window: [], stopped: false });
    unsettled.add(id);
  };
  for (const a of scenario.apps) addApp(a.id, a.node, a.goal);
  const busNode = scenario.stream.busNode;
  const streams = new Map<number, SimStream>();
  for (const spec of scenario.streamApps) {
    const root = createRng(appSeed(scenario.seed, spec.id));
    const rng = { noise: forkRng(root), choice: forkRng(root) };
    const workloads = scenario.workloads.filter((w) => w.topic === spec.topic);
    streams.set(spec.id, { spec, strategy: o.strategies?.get(spec.id) ?? BUILTIN_STRATEGIES.original, rng, workloads, workers: spec.workers, lag: 0, violations: 0, consumed: 0, windows: [], actions: [] });
  }

  // ---- what the run leaves (the store's tables in emulation)
  const runs: RunRow[] = [];
  const events: OpenEvent[] = [];
  const feedback: FeedbackRow[] = [];
  const decisions: DecisionRow[] = [];
  const steps: TimelineRow[] = [];
  const counters: Record<string, number> = {};
  const open = new Map<number, OpenEvent>();
  // per copy, its events in creation order (they close in that order too: one window T for all);
  // per app and copy, how far it has given feedback, so a cycle looks only at events it has not seen
  const byCopy = new Map<number, { events: OpenEvent[]; head: number }>();
  const seen = new Map<number, Map<number, number>>();
  const closing = new Agenda<number>();
  let lastActionAtMs: number | null = null;
  let cycles = 0;

  const agenda = new Agenda<Agendum>();
  const timeline = expandTimeline(scenario, o.durationS);
  for (const s of timeline) agenda.push(t0 + s.at * 1000, { kind: 'step', step: s.do });
  let pendingSteps = timeline.length;
  for (const a of apps.values()) agenda.push(t0 + Math.max(0, a.rng.arrival.normal(timing.arrivalMeanMs, timing.arrivalSdMs)), { kind: 'arrival', app: a.id });
  // the workloads start with the stream apps: their clocks are one (startStreams starts them a few ms apart)
  for (const st of streams.values()) agenda.push(t0 + st.spec.windowS * 1000, { kind: 'window', stream: st.spec.id, index: 0 });

  // ---- the community (nodes/community.ts in emulation)
  const closeDue = (now: number) => {
    while (closing.size && closing.peekAt()! <= now) {
      const id = closing.pop()!.item;
      const e = open.get(id);
      if (!e) continue;
      const c = closeEvent(e, { appCount: apps.size, feedbackThreshold: params.feedbackThreshold });
      e.active = false;
      e.globalFeedback = c.globalFeedback;
      counters[e.actionLabel] = applyCounter(counters[e.actionLabel] ?? 0, c.counterDelta);
      open.delete(id);
      const list = byCopy.get(e.datasetId);
      if (list) while (list.head < list.events.length && !list.events[list.head].active) list.head++;
    }
  };
  const give = (appId: number, e: OpenEvent, now: number): number => {
    if (e.closesAtMs <= now || e.appId === appId || e.givenBy?.has(appId)) return 0;
    const value = feedbackValue(now, e.createdAtMs, timing.feedbackWindowMs);
    e.givenBy?.add(appId);
    e.sumFeedback += value;
    if (e.feedbackCount++ < FEEDBACK_LISTED) feedback.push({ eventId: e.id, appId, value, createdAtMs: now });
    return 1;
  };
  /** a stream app answers the open events on no copy (other stream apps' S{n}) under copy scope, as app.ts community() does */
  const leaveFeedback = (appId: number, copy: Pick<DatasetCopy, 'id' | 'familyId'>, now: number, scope = params.feedbackScope): number => {
    let given = 0;
    if (scope === 'family') {
      for (const e of open.values()) if (copies.get(e.datasetId)?.familyId === copy.familyId) given += give(appId, e, now);
      return given;
    }
    const list = byCopy.get(copy.id);
    if (!list) return 0;
    const mine = seen.get(appId) ?? seen.set(appId, new Map()).get(appId)!;
    // every event before the cursor was given, was the app's own, or has closed
    for (let k = Math.max(list.head, mine.get(copy.id) ?? 0); k < list.events.length; k++) given += give(appId, list.events[k], now);
    mine.set(copy.id, list.events.length);
    return given;
  };

  // ---- one app's run: the job timed by the model (nodes/node.ts measure in emulation)
  const measure = (app: SimApp, now: number): Measured => {
    const copy = copies.get(app.ref)!;
    const remote = app.node !== copy.nodeId;
    const drawn = drawLatency(app.rng.latency, remote ? linkLatency(app.node, copy.nodeId) : 0, timing.latencySdMs);
    const dataNode = nodes.get(copy.nodeId)!;
    const placement = { dataNodeAvailability: dataNode.availability, copiesInFamily: Math.max(1, familyCopies(copy.familyId).length), maxCopies: params.maxCopies };
    const failed = (error: string, tookMs: number): Measured => ({ copy, startedAtMs: Math.round(now), metrics: measureRun({ job: { rtMs: NaN, etMs: NaN, throughput: 0 }, latencyMs: drawn, ...placement }), error, tookMs });
    if (dataNode.down) return failed(`node ${copy.nodeId} is down (its copy is unreachable)`, drawn);
    if (!readSucceeds(model, dataNode.availability, app.rng.read)) return failed(`read of copy ${copy.id} on node ${copy.nodeId} failed (availability ${dataNode.availability} %)`, drawn);
    const job = timeJob(model, { ...read, latencyMs: Math.round(drawn), rateKBps: remote ? bandwidth.get(pairKey(app.node, copy.nodeId)) : undefined }, app.rng.noise);
    if (scenario.job.timeoutMs && job.rtMs > scenario.job.timeoutMs) return failed(`the job ran past its timeout of ${scenario.job.timeoutMs} ms`, scenario.job.timeoutMs);
    return { copy, startedAtMs: Math.round(now), metrics: measureRun({ job, latencyMs: Math.round(drawn), ...placement }), error: null, tookMs: job.rtMs };
  };

  const record = (app: SimApp, m: Measured, check: GoalCheck, actionLabel: string, trace: DecisionTrace | null) => {
    const run: RunRow = { id: runs.length + 1, ...runRecord(app.id, m, check.met, actionLabel) };
    runs.push(run);
    if (trace) decisions.push({ runId: run.id, appId: app.id, createdAtMs: m.startedAtMs, trace });
    app.window.push(run);
    if (app.window.length > windowRuns) app.window.shift();
    settle(app);
  };

  // ---- the decision and the action (nodes/node.ts act, nodes/actuator.ts in emulation)
  // what a decision reads of the world, rebuilt only when a step changes it: a decision at 1,000
  // nodes otherwise spent more on these lists than on scoring (bench/RESULTS.md)
  let nodeListCache: { version: number; list: { id: number; storage: boolean; availability: number }[] } | undefined;
  const currentNodes = () => {
    if (nodeListCache?.version !== nodesVersion) nodeListCache = { version: nodesVersion, list: [...nodes.values()].map((n) => ({ id: n.id, storage: n.storage, availability: n.availability })) };
    return nodeListCache.list;
  };
  const latencyCache = new Map<number, { version: number; nodes: number; ms: Record<number, number> }>();
  const latencyFrom = (app: SimApp): Readonly<Record<number, number>> => {
    const have = latencyCache.get(app.id);
    if (have && have.version === latencyVersion && have.nodes === nodesVersion) return have.ms;
    const ms: Record<number, number> = {};
    for (const n of currentNodes()) ms[n.id] = linkLatency(app.node, n.id);
    latencyCache.set(app.id, { version: latencyVersion, nodes: nodesVersion, ms });
    return ms;
  };
  const act = (app: SimApp, m: Measured, check: GoalCheck, ctx: { repair: number; feedbackGiven: number }, now: number) => {
    const ref = m.copy;
    const family = familyCopies(ref.familyId);
    const nodeList = currentNodes();
    const placement = { dataNode: ref.nodeId, referenceCopyId: ref.id, familyCopies: family.map((c) => ({ id: c.id, nodeId: c.nodeId })), nodes: nodeList };
    const weighed = weighCandidates({ check, placement, impacts: app.impacts, counters, params, rho: app.rho });
    const latencyMs = latencyFrom(app);
    const { chosen, explored } = applyStrategy(app.strategy, {
      kind: 'batch',
      appId: app.id,
      appNode: app.node,
      check,
      metrics: m.metrics,
      placement,
      latencyMs,
      candidates: weighed.scored,
      missing: weighed.missing,
      counters,
      openEvents: open.size,
      params,
      rng: app.rng.choice,
    });
    const trace = traceDecision(check, { ...weighed, chosen, explored }, { ...ctx, dataNode: ref.nodeId, strategy: app.strategy.name });
    if (chosen.action.type === 'none') return { label: 'NA', trace, chosen, tookMs: 0, acted: false };
    const created = Math.round(now);
    const a = chosen.action;
    let tookMs = 0;
    if (a.type === 'changeRef') app.ref = chosen.targetCopyId!;
    else if (a.type === 'scale') throw new Error(`${chosen.label}: a batch app's candidates never scale (stream apps decide in stream/app/window.ts)`);
    else {
      // the object crosses the link between the two nodes once
      tookMs = model.perRequestMs + linkLatency(a.from, a.to) * model.latencyFactor + bytes / model.bytesPerMs;
      if (a.type === 'move') {
        const c = copies.get(ref.id)!;
        copies.set(ref.id, { ...c, nodeId: a.to, bucket: bucketForNode(a.to), version: c.version + 1 });
      } else {
        const id = nextCopyId++;
        copies.set(id, { id, familyId: ref.familyId, nodeId: a.to, bucket: bucketForNode(a.to), objectKey: `copies/a${app.id}-${created}/dataset.json`, version: 1, createdAtMs: created });
        app.ref = id;
      }
    }
    openEvent(app.id, ref.id, chosen.label, chosen.action.type, explored, created);
    return { label: chosen.label, trace, chosen, tookMs, acted: true };
  };
  /** an action's event: open until its feedback window ends (closeDue), on copy `datasetId` (NO_COPY for an S{n}) */
  const openEvent = (appId: number, datasetId: number, actionLabel: string, actionType: EventRow['actionType'], explored: boolean, created: number): OpenEvent => {
    const e: OpenEvent = { id: events.length + 1, appId, datasetId, actionLabel, actionType, createdAtMs: created, closesAtMs: created + Math.round(timing.feedbackWindowMs), active: true, explored, sumFeedback: 0, globalFeedback: null, feedbackCount: 0, ...(params.feedbackScope === 'family' ? { givenBy: new Set<number>() } : {}) };
    events.push(e);
    open.set(e.id, e);
    (byCopy.get(e.datasetId) ?? byCopy.set(e.datasetId, { events: [], head: 0 }).get(e.datasetId)!).events.push(e);
    closing.push(e.closesAtMs, e.id);
    lastActionAtMs = created;
    return e;
  };

  // ---- one window of a stream app (stream/app/app.ts closeWindow in emulation), from the model
  const closeStreamWindow = (st: SimStream, index: number, now: number) => {
    const { spec } = st;
    const startS = index * spec.windowS;
    const endS = (index + 1) * spec.windowS;
    const bus = nodes.get(busNode);
    const path = { latencyMs: linkLatency(spec.node, busNode), availability: busAvailability(bus, bus?.down) };
    const m = modelWindow(spec, st, { index, startS, endS, produced: producedIn(st.workloads, startS, endS), path }, st.rng.noise);
    st.lag = m.lag;
    st.consumed += m.processed;
    const a = assessWindow(spec, m, st.violations, st.windows);
    st.violations = a.violations;
    const chosen = chooseScale(st.strategy, a, { spec, counters, params, rng: st.rng.choice });
    const w = windowRow(m, a, chosen, st.strategy.name);
    st.windows.push(w);
    // the community as app.ts community(): overdue events closed, then feedback when violated
    closeDue(now);
    if (!a.check.met && st.strategy.leavesFeedback) leaveFeedback(spec.id, { id: NO_COPY, familyId: NO_COPY }, now, 'copy');
    if (chosen.action.type !== 'scale') return;
    const e = openEvent(spec.id, NO_COPY, chosen.label, 'scale', chosen.explored, Math.round(now));
    st.actions.push(scaleActionRow(w, a, chosen, chosen.action.workers, { rule: spec.scale.rule, strategy: st.strategy.name, eventId: e.id }));
    st.workers = chosen.action.workers;
    // the new workers get their own violationsInARow windows before the rule acts again
    st.violations = 0;
  };

  /*
   * One arrival of one app (nodes/node.ts cycle), as events: the run starts at the arrival and
   * reads the world as it is then; the app checks its goal and decides when the run ends, as a
   * node does, so of two apps the one whose run ends first acts first. After an action the re-run
   * is another run, ending later. `ran` returns the time the cycle ended, or null while it goes on.
   */
  const arrive = (app: SimApp, at: number) => {
    cycles++;
    closeDue(at);
    const m = measure(app, at);
    agenda.push(at + m.tookMs, { kind: 'ran', app: app.id, m, repair: 0 });
  };
  const ran = (app: SimApp, r: Ran, now: number): number | null => {
    const { m, repair } = r;
    if (r.learnFrom && !m.error) learn(app, r.learnFrom.chosen, r.learnFrom.before, m.metrics);
    const check = evaluateGoal(app.goal, m.metrics);
    if (check.met && !m.error) {
      record(app, m, check, 'NA', null);
      return now;
    }
    const base = { repair, dataNode: m.copy.nodeId, violated: check.violated.map(formatTerm), explored: false, candidates: [], chosen: 'NA', strategy: app.strategy.name };
    if (m.error) {
      record(app, m, check, 'NA', { ...base, kind: 'failed', feedbackGiven: 0 });
      return now;
    }
    closeDue(now);
    const feedbackGiven = app.strategy.leavesFeedback ? leaveFeedback(app.id, m.copy, now) : 0;
    if (repair >= timing.maxRepairs) {
      record(app, m, check, 'NA', { ...base, kind: 'repairs-exhausted', feedbackGiven });
      return now;
    }
    let acted: ReturnType<typeof act>;
    try {
      acted = act(app, m, check, { repair, feedbackGiven }, now);
    } catch (e) {
      if (!(e instanceof StrategyError)) throw e;
      record(app, { ...m, error: e.message }, check, 'NA', { ...base, kind: 'strategy-failed', feedbackGiven, reason: e.message });
      throw e;
    }
    record(app, m, check, acted.label, acted.trace);
    if (!acted.acted) return now;
    const rerunAt = now + acted.tookMs;
    const after = measure(app, rerunAt);
    agenda.push(rerunAt + after.tookMs, { kind: 'ran', app: app.id, m: after, repair: repair + 1, learnFrom: { chosen: acted.chosen, before: m.metrics } });
    return null;
  };
  const learn = (app: SimApp, chosen: ScoredCandidate, before: MetricValues, after: MetricValues) => {
    const old: ImpactVector = app.impacts.get(chosen.label) ?? chosen.vector;
    app.impacts.set(chosen.label, learnedVector(old, before, after, app.rho, params.learningRate));
  };

  // ---- the timeline (controller/operations.ts in emulation)
  /** deleted apps run no more; their runs and events stay, as in the store */
  const forgetApps = (ids: readonly number[]) => {
    for (const id of ids) {
      apps.delete(id);
      unsettled.delete(id);
    }
  };
  /** what the store's deleteNode does, by the same rule (model/removal.ts); the refusal's message, or null */
  const deleteNode = (id: number): string | null => {
    const appRows = [...apps.values()].map((a) => ({ id: a.id, nodeId: a.node, goal: a.goal, datasetId: a.ref }));
    const kept = [...copies.values()].filter((c) => c.nodeId !== id);
    // only the latencies the rule reads: from each app's node to each remaining copy
    const links = appRows.flatMap((a) => kept.map((c) => ({ from: a.nodeId, to: c.nodeId, latencyMs: linkLatency(a.nodeId, c.nodeId) })));
    let plan: ReturnType<typeof planNodeRemoval>;
    try {
      plan = planNodeRemoval(id, appRows, [...copies.values()], links);
    } catch (e) {
      if (e instanceof ConflictError) return errorText(e);
      throw e;
    }
    forgetApps(plan.apps);
    for (const c of plan.copies) copies.delete(c.id);
    for (const r of plan.repointed) apps.get(r.app)!.ref = r.to.copy;
    nodes.delete(id);
    for (const label of Object.keys(counters)) if (labelNamesNode(label, id)) delete counters[label];
    for (const a of apps.values()) for (const label of [...a.impacts.keys()]) if (labelNamesNode(label, id)) a.impacts.delete(label);
    return null;
  };
  const applyStep = (s: Step, at: number) => {
    let error: string | null = null;
    switch (s.kind) {
      case 'setLatency':
        latency.set(pairKey(s.from, s.to), s.latencyMs);
        latencyVersion++;
        break;
      case 'setAvailability':
        if (nodes.has(s.node)) nodes.get(s.node)!.availability = s.availability;
        else error = `node ${s.node} does not exist`;
        break;
      case 'nodeDown':
      case 'nodeUp':
        if (nodes.has(s.node)) nodes.get(s.node)!.down = s.kind === 'nodeDown';
        else error = `node ${s.node} does not exist`;
        break;
      case 'setBandwidth':
        if (s.rateKBps > 0) bandwidth.set(pairKey(s.from, s.to), s.rateKBps);
        else bandwidth.delete(pairKey(s.from, s.to));
        break;
      case 'setGoal':
        if (apps.has(s.app)) apps.get(s.app)!.goal = s.goal;
        else error = `app ${s.app} does not exist`;
        break;
      case 'deleteApp':
        if (apps.has(s.app)) forgetApps([s.app]);
        else error = `app ${s.app} does not exist`;
        break;
      case 'deleteNode':
        error = nodes.has(s.node) ? deleteNode(s.node) : `node ${s.node} does not exist`;
        break;
      case 'addNode': {
        nodes.set(s.id, { id: s.id, name: s.name ?? `node${s.id}`, availability: s.availability, storage: s.storage, down: false });
        for (const [to, ms] of Object.entries(s.latency)) latency.set(pairKey(s.id, Number(to)), ms);
        if (s.goal) {
          addApp(s.id, s.id, s.goal as Goal);
          const a = apps.get(s.id)!;
          agenda.push(at + Math.max(0, a.rng.arrival.normal(timing.arrivalMeanMs, timing.arrivalSdMs)), { kind: 'arrival', app: a.id });
        }
        break;
      }
    }
    if (s.kind === 'setAvailability' || s.kind === 'nodeDown' || s.kind === 'nodeUp' || s.kind === 'addNode' || s.kind === 'deleteNode') nodesVersion++;
    if (s.kind === 'addNode' || s.kind === 'deleteNode') latencyVersion++;
    steps.push({ id: steps.length + 1, atMs: Math.round(at), kind: s.kind, args: stepArgs(s), source: 'timeline', error });
    lastStepAtMs = at;
    // what counts as settled, and which apps are live, may have changed for every app
    for (const a of apps.values()) settle(a);
  };

  // ---- convergence (decision/convergence.ts), checked when its cheap part holds
  // stream apps: stream/app/run.ts's rule, every one converged (their windows after the last rate step)
  const lastStepS = lastRateStepS(scenario.workloads);
  const streamsConverged = () => [...streams.values()].every((st) => streamAppConverged(st.windows, windowRuns, lastStepS));
  const converged = (): boolean => {
    if (pendingSteps > 0 || open.size > 0 || unsettled.size > 0 || !streamsConverged()) return false;
    const live = [...apps.values()].filter((a) => !a.stopped && !nodes.get(a.node)!.down);
    // stream apps alone have no batch verdict to wait for, only their events to close (controller/experiment/experiment.ts)
    if (live.length === 0 && streams.size > 0) return true;
    const runsByApp = new Map(live.map((a) => [a.id, a.window]));
    return convergence({ appIds: live.map((a) => a.id), runsByApp, windowRuns, openEvents: open.size, lastActionAtMs }).converged;
  };

  // ---- the agenda
  let convergedAtMs: number | null = null;
  let endedAtMs = endMs;
  const progressStep = Math.max(1, (endMs - t0) / 100);
  let nextProgress = t0 + progressStep;
  while (agenda.size) {
    const at = agenda.peekAt()!;
    if (at >= endMs) break;
    const { item } = agenda.pop()!;
    if (o.onProgress && at >= nextProgress) {
      o.onProgress((at - t0) / (endMs - t0));
      nextProgress = at + progressStep;
    }
    if (item.kind === 'step') {
      applyStep(item.step, at);
      pendingSteps--;
      continue;
    }
    if (item.kind === 'window') {
      const st = streams.get(item.stream)!;
      closeStreamWindow(st, item.index, at);
      if (o.stopAtConvergence !== false && converged()) {
        convergedAtMs = at;
        endedAtMs = at;
        break;
      }
      agenda.push(t0 + (item.index + 2) * st.spec.windowS * 1000, { kind: 'window', stream: st.spec.id, index: item.index + 1 });
      continue;
    }
    const app = apps.get(item.app);
    // a deleted app's arrivals and runs in flight come to nothing
    if (!app || app.stopped) continue;
    let ended: number | null = at;
    if (item.kind === 'ran') ended = ran(app, item, at);
    // an app on a node that is down does not run; it looks again at its next arrival
    else if (!nodes.get(app.node)!.down) ended = (arrive(app, at), null);
    if (ended === null) continue;
    closeDue(ended);
    if (o.stopAtConvergence !== false && converged()) {
      convergedAtMs = ended;
      endedAtMs = ended;
      break;
    }
    agenda.push(ended + Math.max(0, app.rng.arrival.normal(timing.arrivalMeanMs, timing.arrivalSdMs)), { kind: 'arrival', app: app.id });
  }
  if (convergedAtMs === null && o.stopAtConvergence === false && converged()) convergedAtMs = endedAtMs;
  o.onProgress?.(1);

  const appRows: (AppRow & { datasetId: number | null })[] = [...apps.values()].map((a) => ({ id: a.id, nodeId: a.node, goal: a.goal, datasetId: a.ref }));
  const report = reportFromRecords(
    { runs, events: events.map(({ givenBy: _g, feedbackCount: _n, ...e }: OpenEvent) => e), feedback, feedbackCounts: new Map(events.map((e) => [e.id, e.feedbackCount])), copies: [...copies.values()], apps: appRows, counters, decisions, steps },
    scenario,
    { engine: 'sim', startedAtMs: t0, endedAtMs, convergedAtMs, datasetBytes: bytes, strategy: o.strategy },
  );
  if (streams.size) report.stream = streamReport([...streams.values()], scenario, { t0, endedAtMs, windowRuns, lastStepS });
  return { report, runs, stats: { cycles, runs: runs.length, events: events.length, decisions: decisions.length } };
}

/** The report's stream section, in emulation's shape (stream/app/run.ts stop()): the workloads sent what they were due to. */
function streamReport(streams: readonly SimStream[], scenario: Scenario, t: { t0: number; endedAtMs: number; windowRuns: number; lastStepS: number }): StreamReport & { errors: string[] } {
  const ranS = (t.endedAtMs - t.t0) / 1000;
  return {
    runtime: 'virtual',
    startedAtMs: t.t0,
    bus: 'model',
    dataPath: { busNode: scenario.stream.busNode, latency: 'modelled', proxies: [] },
    workloads: scenario.workloads.map((w) => {
      const sent = producedIn([w], 0, ranS);
      return { id: w.id, topic: w.topic, acked: sent, sent, status: 'stopped' as const, producers: [], rate: w.rate, rateSteps: w.rateSteps, partitions: w.partitions, nodes: w.nodes };
    }),
    degradations: [],
    errors: [],
    apps: streams.map((st) => ({
      id: st.spec.id,
      node: st.spec.node,
      topic: st.spec.topic,
      goal: formatGoal(st.spec.goal),
      windowS: st.spec.windowS,
      costMs: st.spec.costMs,
      rule: st.spec.scale.rule,
      strategy: st.strategy.name,
      workers: { initial: st.spec.workers, final: st.workers, max: st.spec.maxWorkers },
      windows: st.windows,
      actions: st.actions,
      rateSteps: appRateSteps({ spec: st.spec, startedAtMs: t.t0 }, scenario.workloads, t.t0),
      consumed: st.consumed,
      lagAtEnd: st.lag,
      converged: streamAppConverged(st.windows, t.windowRuns, t.lastStepS),
    })),
  };
}
