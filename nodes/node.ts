/*
 * The loop of one app (docs/architecture.md): wait for the next arrival, set the proxy
 * latency, run the job through the proxy, measure, check the goal, and on a violation leave
 * feedback, choose, execute (nodes/actuator.ts), write the event, re-run and learn
 * (nodes/learning.ts); the community's side is nodes/community.ts. Every I/O is an injected
 * dependency and all time and randomness come from `clock` and `rng`, so tests drive several
 * loops in fake time and a seed reproduces a run.
 */
import type { NewEvent, Store } from '../db/store.js';
import { ConflictError, FogsimError, NotFoundError, UserError } from '../model/errors.js';
import type { ImpactVector, MetricValues } from '../model/metrics.js';
import { rhoFor, type Scenario } from '../model/scenario.js';
import type { DatasetCopy, DecisionTrace, EventRow, FeedbackRow, Goal, NewRun } from '../model/types.js';
import type { ObjectStore } from '../objectstore/object-store.js';
import { ProxyMissingError, proxyNameForApp, type LatencyControl } from '../proxies/latency-control.js';
import type { TelemetryPublisher } from '../telemetry/bus.js';
import type { Clock } from '../util/clock.js';
import { createLogger, type Logger } from '../util/logger.js';
import { forkRng, type Rng } from '../util/rng.js';
import { drawLatency, measureRun, runRecord } from './monitor/monitor.js';
import { traceDecision, weighCandidates, type Decision } from '../decision/decide.js';
import { evaluateGoal, formatTerm, type GoalCheck } from '../decision/goal.js';
import { executeAction, reconcileIntent } from './actuator.js';
import type { Failpoint } from './failpoint.js';
import { closeDueEvents, leaveFeedback } from './community.js';
import { learnFromRepair } from './learning.js';
import { requiredImpactLabels } from '../decision/candidates.js';
import type { ScoredCandidate } from '../decision/scoring.js';
import { applyStrategy } from '../decision/strategies/apply.js';
import { BUILTIN_STRATEGIES } from '../decision/strategies/registry.js';
import { StrategyError, type NamedStrategy } from '../decision/strategies/types.js';

/** What the monitor needs from one job execution (nodes/job returns a superset). */
export interface JobOutcome {
  records: number;
  bytes: number;
  rtMs: number;
  etMs: number;
  throughput: number;
}

/** Runs the analytic job on one copy, reading it through this app's latency proxy. */
export type RunJobFn = (copy: DatasetCopy, signal?: AbortSignal) => Promise<JobOutcome>;

export interface NodeDeps {
  store: Store;
  objects: ObjectStore;
  latency: LatencyControl;
  telemetry?: TelemetryPublisher;
  clock: Clock;
  rng: Rng;
  scenario: Scenario;
  appId: number;
  /** the session's namespace: the app's proxy is proxyNameForApp(session, appId) (FOGSIM_SESSION) */
  session: string;
  runJob: RunJobFn;
  /** how the app chooses (decision/strategies/, loaded by nodes/main.ts); default the original */
  strategy?: NamedStrategy;
  /** one unrecorded job run before the loop (default true) */
  warmUp?: boolean;
  /** how long run() waits for the controller's setup (preflight) before giving up, ms; 0 (default): not at all */
  setupWaitMs?: number;
  signal?: AbortSignal;
  /** epoch ms the first arrival's wait counts from (the session's start; FOGSIM_SESSION_START) */
  firstArrivalFromMs?: number;
  log?: Logger;
  /** the fault suite's kill points (nodes/failpoint.ts) */
  failpoint?: Failpoint;
  /** creates the app's proxy again when the proxy server lost it (restarted); nodes/deps.ts */
  restoreProxy?: () => Promise<void>;
}

/** One measured execution of the job, before it is recorded. */
export interface Measurement {
  copy: DatasetCopy;
  startedAtMs: number;
  metrics: MetricValues;
  error: string | null;
}

export interface CycleResult {
  runs: NewRun[];
  events: EventRow[];
  /** labels chosen in this cycle, NA included */
  actions: string[];
  conflicts: number;
}

/** How many times a cycle measures again after finding its measured placement gone. */
const MAX_CONFLICT_RETRIES = 3;

/**
 * The app was deleted (DELETE /api/apps/:id, or its node's delete): its node stops for good
 * instead of failing every run. Under the process runtime the controller stops it itself; under
 * `--runtime none` (compose, a swarm) nobody else would.
 */
export class AppRemovedError extends Error {
  constructor(
    readonly appId: number,
    readonly removedAtMs: number,
  ) {
    super(`app ${appId} was deleted at ${new Date(removedAtMs).toISOString()}; its node stops (add the app again to run it)`);
    this.name = 'AppRemovedError';
  }
}

export class AppNode {
  private readonly log: Logger;
  private readonly proxy: string;
  /** the app's generator split by purpose: the k-th choice draws the same whatever the arrivals and reads drew */
  private readonly rng: { arrival: Rng; latency: Rng; choice: Rng };
  private readonly strategy: NamedStrategy;

  constructor(private readonly d: NodeDeps) {
    this.log = d.log ?? createLogger(`node-${d.appId}`);
    this.strategy = d.strategy ?? BUILTIN_STRATEGIES.original;
    this.proxy = proxyNameForApp(d.session, d.appId);
    this.rng = { arrival: forkRng(d.rng), latency: forkRng(d.rng), choice: forkRng(d.rng) };
  }

  private get actuator() {
    return { store: this.d.store, objects: this.d.objects, appId: this.d.appId, log: this.log, failpoint: this.d.failpoint };
  }

  private get now(): number {
    // the store keeps integer epoch ms
    return Math.round(this.d.clock.now());
  }

  /**
   * Refuses to start without an impact vector for every action the app may face: a decision
   * without them would be arbitrary. Names the missing ones and the command that makes them.
   */
  async preflight(): Promise<void> {
    const { store, appId } = this.d;
    const apps = await store.listApps();
    if (!apps.some((a) => a.id === appId)) {
      await this.checkNotRemoved();
      throw new NotFoundError(`app ${appId} is not in the store; start the controller (fogsim up) or check FOGSIM_APP_ID`);
    }
    const have = new Set((await store.listImpacts(appId)).map((r) => r.actionLabel));
    const missing = requiredImpactLabels(await store.listNodes()).filter((l) => !have.has(l));
    if (missing.length) {
      const file = this.d.scenario.source ?? '<scenario file>';
      throw new UserError(
        `app ${appId} has no impact vector for ${missing.length} action(s): ${missing.join(', ')}; produce them with: fogsim train --scenario ${file}`,
        missing,
      );
    }
    if (!(await store.getAppReference(appId))) {
      throw new UserError(`app ${appId} references no data set copy; the controller places the data set at start (fogsim up)`);
    }
  }

  /** Throws AppRemovedError when the app is recorded as deleted. */
  private async checkNotRemoved(): Promise<void> {
    const removal = (await this.d.store.listRemovals()).find((r) => r.kind === 'app' && r.id === this.d.appId);
    if (removal) throw new AppRemovedError(this.d.appId, removal.removedAtMs);
  }

  /**
   * One unrecorded run before the first arrival: a cold process (JIT, first connection) runs the
   * job several times slower than a warm one, which is not the QoS the app gets, and under load
   * it made apps act on a violation that was only start-up.
   */
  private async warmUp(): Promise<void> {
    if (this.d.warmUp === false) return;
    const copy = await this.d.store.getAppReference(this.d.appId);
    if (!copy) return;
    try {
      await this.d.latency.setLatency(this.proxy, 0);
      await this.d.runJob(copy, this.d.signal);
    } catch (e) {
      this.log.warn({ err: e }, 'warm-up run failed; going on');
    }
  }

  /**
   * preflight, again every 2 s while the controller is still setting up (a container started
   * beside it: the app, its vectors or its data not there yet), up to setupWaitMs; then its error.
   * False when stopped while waiting.
   */
  private async awaitSetup(): Promise<boolean> {
    const { clock, signal } = this.d;
    const until = clock.now() + (this.d.setupWaitMs ?? 0);
    for (let said = false; ; said = true) {
      try {
        await this.preflight();
        return true;
      } catch (e) {
        if (signal?.aborted) return false;
        if (!(e instanceof UserError || e instanceof NotFoundError) || clock.now() >= until) throw e;
        if (!said) this.log.info(`waiting up to ${Math.round((until - clock.now()) / 1000)} s for the controller's setup: ${(e as Error).message}`);
        await clock.sleep(Math.min(2000, Math.max(0, until - clock.now())), signal);
      }
    }
  }

  /**
   * Runs until the signal aborts, the app is deleted (it returns), or its strategy fails (a
   * StrategyError: the loop ends with it).
   */
  async run(): Promise<void> {
    try {
      await this.loop();
    } catch (e) {
      if (!(e instanceof AppRemovedError)) throw e;
      this.log.info(e.message);
    }
  }

  private async loop(): Promise<void> {
    if (!(await this.awaitSetup())) return;
    // a move or copy this app did not finish before it died is settled before anything else
    await reconcileIntent(this.actuator).catch((e) => this.log.warn({ err: e }, 'could not reconcile an unfinished action; the next action tries again'));
    await this.warmUp();
    const { clock, scenario, signal } = this.d;
    // the first arrival counts from the session's start when there is one, not from when this
    // process happened to finish starting: one seed then gives every app the same first run
    let anchor = this.d.firstArrivalFromMs;
    while (!signal?.aborted) {
      const draw = Math.max(0, this.rng.arrival.normal(scenario.timing.arrivalMeanMs, scenario.timing.arrivalSdMs));
      const wait = anchor === undefined ? draw : Math.max(0, anchor + draw - clock.now());
      anchor = undefined;
      await clock.sleep(wait, signal);
      if (signal?.aborted) break;
      try {
        await this.cycle();
      } catch (e) {
        if (signal?.aborted) break;
        // the strategy threw or chose the impossible: it would again, the app stops here
        if (e instanceof StrategyError || e instanceof AppRemovedError) throw e;
        // a failed cycle (store or object store briefly down) must not kill the node: log, go on
        this.log.error({ err: e }, 'cycle failed');
      }
    }
  }

  private goal(apps: { id: number; goal: Goal }[]): Goal {
    return apps.find((a) => a.id === this.d.appId)?.goal ?? this.d.scenario.apps.find((a) => a.id === this.d.appId)!.goal;
  }

  /**
   * One arrival: close overdue events, run, check; on a violation leave feedback and repair, up to
   * maxRepairs times. Every violated check leaves its trace with its run (the decision, or why
   * none was made). Decisions are taken on the placement that was measured: when the reference
   * copy changed since (another app moved it, or our optimistic update lost), the app measures
   * again before deciding, as the original does.
   */
  async cycle(): Promise<CycleResult> {
    const { store, scenario } = this.d;
    const out: CycleResult = { runs: [], events: [], actions: [], conflicts: 0 };
    const apps = await store.listApps();
    if (!apps.some((a) => a.id === this.d.appId)) await this.checkNotRemoved();
    await this.closeDue();
    const goal = this.goal(apps);

    let m = await this.measure();
    let check = evaluateGoal(goal, m.metrics);
    for (let repair = 0; ; ) {
      if (check.met && !m.error) {
        out.runs.push(await this.record(m, check, 'NA', null));
        out.actions.push('NA');
        return out;
      }
      const base = { repair, dataNode: m.copy.nodeId, violated: check.violated.map(formatTerm), explored: false, candidates: [], chosen: 'NA', strategy: this.strategy.name };
      if (m.error) {
        out.runs.push(await this.record(m, check, 'NA', { ...base, kind: 'failed', feedbackGiven: 0 }));
        out.actions.push('NA');
        return out;
      }
      // the last violated check of a cycle leaves its feedback too (unless the strategy leaves none: no-feedback)
      const feedbackGiven = this.strategy.leavesFeedback ? (await this.leaveFeedback(m.copy)).length : 0;
      if (repair >= scenario.timing.maxRepairs) {
        out.runs.push(await this.record(m, check, 'NA', { ...base, kind: 'repairs-exhausted', feedbackGiven }));
        out.actions.push('NA');
        return out;
      }
      let acted: Acted;
      try {
        acted = await this.act(m, check, { repair, feedbackGiven });
      } catch (e) {
        if (!(e instanceof StrategyError)) throw e;
        // recorded with its run, so the report shows why the app stopped
        this.log.error({ err: e }, 'strategy failed; the app stops');
        out.runs.push(await this.record({ ...m, error: e.message }, check, 'NA', { ...base, kind: 'strategy-failed', feedbackGiven, reason: e.message }));
        throw e;
      }
      out.runs.push(await this.record(m, check, acted.label, acted.trace));
      out.actions.push(acted.label);
      if (acted.kind === 'stale') {
        // measured on a placement that is gone: measure again on the current one, decide anew
        out.conflicts++;
        if (out.conflicts > MAX_CONFLICT_RETRIES) return out;
        m = await this.measure();
        check = evaluateGoal(goal, m.metrics);
        continue;
      }
      if (!acted.event) return out; // NA chosen: nothing changed, wait for the next arrival
      out.events.push(acted.event);

      // docs/architecture.md: re-run at once and learn from what the action did to this app
      const after = await this.measure();
      if (!after.error) await learnFromRepair({ store, scenario, appId: this.d.appId, chosen: acted.chosen!, before: m.metrics, after: after.metrics, impacts: acted.impacts!, nowMs: this.now });
      m = after;
      check = evaluateGoal(goal, m.metrics);
      repair++;
    }
  }

  /** Closes every overdue event (nodes/community.ts). */
  async closeDue(): Promise<EventRow[]> {
    const closed = await closeDueEvents(this.d.store, this.now, this.d.scenario.decision);
    for (const e of closed) this.d.telemetry?.publish('events', String(e.appId), e);
    return closed;
  }

  /** Feedback on the open events of others in scope (the copy this app reads, by default). */
  async leaveFeedback(copy: DatasetCopy): Promise<FeedbackRow[]> {
    const { store, appId, scenario } = this.d;
    const given = await leaveFeedback(store, { appId, copy, nowMs: this.now, decision: scenario.decision, timing: scenario.timing });
    for (const f of given) this.d.telemetry?.publish('feedback', String(appId), f);
    return given;
  }

  /** Sets the proxy latency for the data's node, runs the job through the proxy, measures. */
  async measure(): Promise<Measurement> {
    const { store, latency, scenario, appId } = this.d;
    const copy = await store.getAppReference(appId);
    if (!copy) throw new UserError(`app ${appId} references no data set copy; the controller places the data set at start`);
    const app = (await store.listApps()).find((a) => a.id === appId);
    const appNode = app?.nodeId ?? scenario.apps.find((a) => a.id === appId)!.node;
    // the store, not the scenario: latency edited in the admin UI acts on the next run
    const mean = appNode === copy.nodeId ? 0 : ((await store.getLatency(appNode, copy.nodeId)) ?? 0);
    const drawn = drawLatency(this.rng.latency, mean, scenario.timing.latencySdMs);
    // the network as the timeline left it (controller/operations.ts): a read of a copy on a node
    // that is down fails on the data path, a limited link paces the read
    const [down, rateKBps] = await Promise.all([store.isNodeDown(copy.nodeId), appNode === copy.nodeId ? undefined : store.getBandwidth(appNode, copy.nodeId)]);
    const node = await store.getNode(copy.nodeId);
    const copies = (await store.listCopies(copy.familyId)).length;
    const placement = { dataNodeAvailability: node?.availability ?? 0, copiesInFamily: Math.max(1, copies), maxCopies: scenario.decision.maxCopies };
    let startedAtMs = this.now;
    try {
      // inside the try: a proxy server that is down fails this run (recorded with its error), not the cycle
      await this.applyLink(Math.round(drawn), down, rateKBps ?? 0);
      startedAtMs = this.now;
      const job = await this.d.runJob(copy, this.d.signal);
      const nl = await latency.getLatency(this.proxy);
      return { copy, startedAtMs, metrics: measureRun({ job, latencyMs: nl, ...placement }), error: null };
    } catch (e) {
      if (e instanceof FogsimError && this.d.signal?.aborted) throw e;
      // the copy may have been moved away during the read: part of the system's life, not a fault
      const now = await store.getCopy(copy.id).catch(() => undefined);
      if (down) this.log.info({ err: e, copy: copy.id, node: copy.nodeId }, 'the data node is down; the run failed');
      else if (now && now.version === copy.version) this.log.warn({ err: e, copy: copy.id }, 'job failed');
      else this.log.info({ err: e, copy: copy.id }, 'the copy moved while the job read it; the run failed');
      const message = (e as Error).message || String(e);
      return {
        copy,
        startedAtMs,
        metrics: measureRun({ job: { rtMs: NaN, etMs: NaN, throughput: 0 }, latencyMs: drawn, ...placement }),
        error: down ? `node ${copy.nodeId} is down (its copy is unreachable): ${message}` : message,
      };
    }
  }

  /** Sets the proxy's toxics for this run; a proxy the server lost (it restarted) is created again once. */
  private async applyLink(latencyMs: number, down: boolean, rateKBps: number): Promise<void> {
    const { latency } = this.d;
    const apply = async () => {
      await latency.setLatency(this.proxy, latencyMs);
      await latency.setUnreachable(this.proxy, down);
      await latency.setBandwidth(this.proxy, rateKBps);
    };
    try {
      await apply();
    } catch (e) {
      if (!(e instanceof ProxyMissingError) || !this.d.restoreProxy) throw e;
      this.log.warn({ proxy: this.proxy }, 'the proxy server lost this app\'s proxy (restarted?); creating it again');
      await this.d.restoreProxy();
      await apply();
    }
  }

  private async record(m: Measurement, check: GoalCheck, actionLabel: string, decision: DecisionTrace | null): Promise<NewRun> {
    const run: NewRun = { ...runRecord(this.d.appId, m, check.met, actionLabel), decision };
    const id = await this.d.store.insertRun(run);
    this.d.telemetry?.publish('runs', String(this.d.appId), { id, ...run });
    return run;
  }

  /**
   * Decides on the measured placement `m.copy` with the app's strategy and executes the choice.
   * `stale`: the reference copy changed since it was measured (before deciding, or the optimistic
   * update lost), so nothing was done and the caller measures again; the events table only ever
   * holds actions that happened. Throws a StrategyError when the strategy throws or chooses what
   * is not a candidate.
   */
  async act(m: Pick<Measurement, 'copy' | 'metrics'>, check: GoalCheck, ctx: { repair: number; feedbackGiven: number }): Promise<Acted> {
    const { store, appId, scenario } = this.d;
    const ref = m.copy;
    const strategy = this.strategy.name;
    const now = await store.getAppReference(appId);
    const staleTrace = (reason: string): DecisionTrace => ({ kind: 'stale', violated: check.violated.map(formatTerm), chosen: 'NA', explored: false, candidates: [], dataNode: ref.nodeId, reason, strategy, ...ctx });
    if (!now || now.id !== ref.id || now.version !== ref.version) {
      this.log.info({ measured: ref.id, now: now?.id }, 'the placement changed since it was measured; measuring again');
      return { kind: 'stale', label: 'NA', trace: staleTrace('placement changed since the run was measured') };
    }
    const [copies, nodes, impactRows, counters, links, apps, events] = await Promise.all([
      store.listCopies(ref.familyId),
      store.listNodes(),
      store.listImpacts(appId),
      store.getCounters(),
      store.listLinks(),
      store.listApps(),
      store.eventStats(),
    ]);
    const impacts = new Map(impactRows.map((r) => [r.actionLabel, r.vector]));
    const placement = { dataNode: ref.nodeId, referenceCopyId: ref.id, familyCopies: copies.map((c) => ({ id: c.id, nodeId: c.nodeId })), nodes: nodes.map((n) => ({ id: n.id, storage: n.storage, availability: n.availability })) };
    const weighed = weighCandidates({ check, placement, impacts, counters, params: scenario.decision, rho: rhoFor(scenario, appId) });
    if (weighed.missing.length) this.log.warn({ missing: weighed.missing }, 'candidates without an impact vector were left out; run fogsim train');
    const appNode = apps.find((a) => a.id === appId)?.nodeId ?? scenario.apps.find((a) => a.id === appId)!.node;
    const latencyMs: Record<number, number> = { [appNode]: 0 };
    for (const l of links) if (l.from === appNode && l.to !== appNode) latencyMs[l.to] = l.latencyMs;
    for (const l of links) if (l.to === appNode && l.from !== appNode && latencyMs[l.from] === undefined) latencyMs[l.from] = l.latencyMs;
    const { chosen, explored } = applyStrategy(this.strategy, {
      kind: 'batch',
      appId,
      appNode,
      check,
      metrics: m.metrics,
      placement,
      latencyMs,
      candidates: weighed.scored,
      missing: weighed.missing,
      counters,
      openEvents: events.open,
      params: scenario.decision,
      rng: this.rng.choice,
    });
    const decision: Decision = { ...weighed, chosen, explored };
    const trace = traceDecision(check, decision, { ...ctx, dataNode: ref.nodeId, strategy });
    this.log.debug({ scored: trace.candidates, chosen: chosen.label, explored }, 'decision');
    if (chosen.action.type === 'none') return { kind: 'decided', label: 'NA', trace, chosen, impacts };
    try {
      const event = await executeAction(this.actuator, ref, chosen, copies, this.newEvent(chosen, ref.id, explored), this.now);
      this.d.telemetry?.publish('events', String(appId), event);
      this.log.info({ action: chosen.label, explored, event: event.id }, 'acted');
      return { kind: 'decided', label: chosen.label, trace, chosen, impacts, event };
    } catch (e) {
      if (!(e instanceof ConflictError)) throw e;
      this.log.info({ action: chosen.label, reason: e.message }, 'placement changed under us; measuring again');
      return { kind: 'stale', label: 'NA', trace: { ...staleTrace(`${chosen.label} lost: ${e.message}`), candidates: trace.candidates } };
    }
  }

  private newEvent(chosen: ScoredCandidate, datasetId: number, explored: boolean): NewEvent {
    const t = this.now;
    return {
      appId: this.d.appId,
      datasetId,
      actionLabel: chosen.label,
      actionType: chosen.action.type,
      createdAtMs: t,
      closesAtMs: t + Math.round(this.d.scenario.timing.feedbackWindowMs),
      explored,
    };
  }
}

/** What `act` did: decided (an action executed, or NA), or found the measured placement stale. */
interface Acted {
  kind: 'decided' | 'stale';
  label: string;
  trace: DecisionTrace;
  chosen?: ScoredCandidate;
  impacts?: Map<string, ImpactVector>;
  event?: EventRow;
}

/** Runs one app's loop until `deps.signal` aborts. */
export async function runNodeLoop(deps: NodeDeps): Promise<void> {
  await new AppNode(deps).run();
}
