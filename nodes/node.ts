/*
 * The loop of one app (DESIGN.md sections 2 and 7): wait for the next arrival, set the proxy
 * latency, run the job through the proxy, measure, check the goal, and on a violation leave
 * feedback, choose, execute, write the event, re-run and learn. Every I/O is an injected
 * dependency and all time and randomness come from `clock` and `rng`, so tests drive several
 * loops in fake time and a seed reproduces a run.
 */
import type { EventClosure, NewEvent, Store } from '../db/store.js';
import { ConflictError, UserError } from '../model/errors.js';
import type { ImpactVector, MetricValues } from '../model/metrics.js';
import type { Scenario } from '../model/scenario.js';
import type { DatasetCopy, EventRow, Goal, NewRun } from '../model/types.js';
import { bucketForNode, type ObjectStore } from '../objectstore/object-store.js';
import { proxyNameForApp, type LatencyControl } from '../proxies/latency-control.js';
import type { TelemetryPublisher } from '../telemetry/bus.js';
import type { Clock } from '../util/clock.js';
import { createLogger, type Logger } from '../util/logger.js';
import type { Rng } from '../util/rng.js';
import { drawLatency, measureRun } from './monitor/monitor.js';
import { decide, type Decision } from './decision/decide.js';
import { closeEvent, feedbackValue } from './decision/feedback.js';
import { evaluateGoal, type GoalCheck } from './decision/goal.js';
import { impactFromDelta, updateImpact } from './decision/impact.js';
import { requiredImpactLabels } from './decision/candidates.js';
import type { ScoredCandidate } from './decision/scoring.js';

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
  runJob: RunJobFn;
  /** one unrecorded job run before the loop (default true) */
  warmUp?: boolean;
  signal?: AbortSignal;
  log?: Logger;
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

/** How many times a repair re-reads and decides again after losing a placement race. */
const MAX_CONFLICT_RETRIES = 3;

export class AppNode {
  private readonly log: Logger;
  private readonly proxy: string;

  constructor(private readonly d: NodeDeps) {
    this.log = d.log ?? createLogger(`node-${d.appId}`);
    this.proxy = proxyNameForApp(d.appId);
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
      throw new UserError(`app ${appId} is not in the store; start the controller (fogsim up) or check FOGSIM_APP_ID`);
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

  /** Runs until the signal aborts. */
  async run(): Promise<void> {
    await this.preflight();
    await this.warmUp();
    const { clock, rng, scenario, signal } = this.d;
    while (!signal?.aborted) {
      const wait = Math.max(0, rng.normal(scenario.timing.arrivalMeanMs, scenario.timing.arrivalSdMs));
      await clock.sleep(wait, signal);
      if (signal?.aborted) break;
      try {
        await this.cycle();
      } catch (e) {
        if (signal?.aborted) break;
        // a failed cycle (store or object store briefly down) must not kill the node: log, go on
        this.log.error({ err: e }, 'cycle failed');
      }
    }
  }

  private goal(apps: { id: number; goal: Goal }[]): Goal {
    return apps.find((a) => a.id === this.d.appId)?.goal ?? this.d.scenario.apps.find((a) => a.id === this.d.appId)!.goal;
  }

  /** One arrival: close overdue events, run, check, repair up to maxRepairs times. */
  async cycle(): Promise<CycleResult> {
    const { store, scenario } = this.d;
    const out: CycleResult = { runs: [], events: [], actions: [], conflicts: 0 };
    const apps = await store.listApps();
    await this.closeDue(apps.length);
    const goal = this.goal(apps);

    let m = await this.measure();
    let check = evaluateGoal(goal, m.metrics);
    for (let repair = 0; ; repair++) {
      if (check.met || m.error || repair >= scenario.timing.maxRepairs) {
        out.runs.push(await this.record(m, check, 'NA'));
        out.actions.push('NA');
        return out;
      }
      await this.leaveFeedback(m.copy.familyId);
      const acted = await this.act(check);
      out.conflicts += acted.conflicts;
      out.actions.push(acted.chosen.label);
      out.runs.push(await this.record(m, check, acted.chosen.label));
      if (!acted.event) return out; // NA chosen: nothing changed, wait for the next arrival
      out.events.push(acted.event);

      // DESIGN 7.8: re-run at once and learn from what the action did to this app
      const after = await this.measure();
      if (!after.error && !m.error) await this.learn(acted.chosen, m.metrics, after.metrics, acted.impacts);
      m = after;
      check = evaluateGoal(goal, m.metrics);
    }
  }

  /** Closes every overdue event (any node may; each closes once). */
  async closeDue(appCount: number): Promise<EventRow[]> {
    const params = { appCount, feedbackThreshold: this.d.scenario.decision.feedbackThreshold };
    const closed = await this.d.store.closeDueEvents(this.now, (e): EventClosure => closeEvent(e, params));
    for (const e of closed) this.d.telemetry?.publish('events', String(e.appId), e);
    return closed;
  }

  /** DESIGN 7.2: feedback on every open event of another app on this family, once per app. */
  async leaveFeedback(familyId: number): Promise<number> {
    const { store, appId, scenario } = this.d;
    const t = this.now;
    let given = 0;
    for (const e of await store.listOpenEvents(t, familyId, appId)) {
      const f = { eventId: e.id, appId, value: feedbackValue(t, e.createdAtMs, scenario.timing.feedbackWindowMs), createdAtMs: t };
      if (await store.addFeedback(f)) {
        given++;
        this.d.telemetry?.publish('feedback', String(appId), f);
      }
    }
    return given;
  }

  /** Sets the proxy latency for the data's node, runs the job through the proxy, measures. */
  async measure(): Promise<Measurement> {
    const { store, latency, rng, scenario, appId } = this.d;
    const copy = await store.getAppReference(appId);
    if (!copy) throw new UserError(`app ${appId} references no data set copy; the controller places the data set at start`);
    const app = (await store.listApps()).find((a) => a.id === appId);
    const appNode = app?.nodeId ?? scenario.apps.find((a) => a.id === appId)!.node;
    // the store, not the scenario: latency edited in the admin UI acts on the next run
    const mean = appNode === copy.nodeId ? 0 : ((await store.getLatency(appNode, copy.nodeId)) ?? 0);
    const drawn = drawLatency(rng, mean, scenario.timing.latencySdMs);
    await latency.setLatency(this.proxy, Math.round(drawn));
    const startedAtMs = this.now;
    const node = await store.getNode(copy.nodeId);
    const copies = (await store.listCopies(copy.familyId)).length;
    const placement = { dataNodeAvailability: node?.availability ?? 0, copiesInFamily: Math.max(1, copies), maxCopies: scenario.decision.maxCopies };
    try {
      const job = await this.d.runJob(copy, this.d.signal);
      const nl = await latency.getLatency(this.proxy);
      return { copy, startedAtMs, metrics: measureRun({ job, latencyMs: nl, ...placement }), error: null };
    } catch (e) {
      if (e instanceof UserError && this.d.signal?.aborted) throw e;
      // the object may have been moved away between reading the placement and the read
      this.log.warn({ err: e, copy: copy.id }, 'job failed');
      return {
        copy,
        startedAtMs,
        metrics: measureRun({ job: { rtMs: NaN, etMs: NaN, throughput: 0 }, latencyMs: drawn, ...placement }),
        error: (e as Error).message || String(e),
      };
    }
  }

  private async record(m: Measurement, check: GoalCheck, actionLabel: string): Promise<NewRun> {
    const fin = (x: number) => (Number.isFinite(x) ? x : 0);
    const run: NewRun = {
      appId: this.d.appId,
      datasetId: m.copy.id,
      dataNode: m.copy.nodeId,
      startedAtMs: m.startedAtMs,
      rtMs: fin(m.metrics.responseTime),
      etMs: fin(m.metrics.executionTime),
      throughput: fin(m.metrics.throughput),
      latencyMs: fin(m.metrics.latency),
      availability: m.metrics.availability,
      consistency: m.metrics.consistency,
      goalMet: check.met && !m.error,
      actionLabel,
      error: m.error,
    };
    const id = await this.d.store.insertRun(run);
    this.d.telemetry?.publish('runs', String(this.d.appId), { id, ...run });
    return run;
  }

  /**
   * Chooses and executes one action. On a lost placement race it re-reads the placement and
   * decides again (bounded), so the event table only ever holds actions that happened.
   */
  async act(check: Pick<GoalCheck, 'violated' | 'satisfied'>): Promise<{ chosen: ScoredCandidate; event?: EventRow; conflicts: number; impacts: Map<string, ImpactVector> }> {
    const { store, appId, scenario, rng } = this.d;
    let conflicts = 0;
    for (;;) {
      const ref = await store.getAppReference(appId);
      if (!ref) throw new UserError(`app ${appId} references no data set copy`);
      const [copies, nodes, impactRows, counters] = await Promise.all([store.listCopies(ref.familyId), store.listNodes(), store.listImpacts(appId), store.getCounters()]);
      const impacts = new Map(impactRows.map((r) => [r.actionLabel, r.vector]));
      const decision: Decision = decide(check, { dataNode: ref.nodeId, referenceCopyId: ref.id, familyCopies: copies, nodes }, impacts, counters, scenario.decision, rng);
      if (decision.missing.length) this.log.warn({ missing: decision.missing }, 'candidates without an impact vector were left out; run fogsim train');
      const { chosen, explored } = decision;
      this.log.debug({ scored: decision.scored.map((s) => [s.label, +s.globalScore.toFixed(4)]), chosen: chosen.label, explored }, 'decision');
      if (chosen.action.type === 'none') return { chosen, conflicts, impacts };
      try {
        const event = await this.execute(ref, chosen, explored, copies);
        this.d.telemetry?.publish('events', String(appId), event);
        this.log.info({ action: chosen.label, explored, event: event.id }, 'acted');
        return { chosen, event, conflicts, impacts };
      } catch (e) {
        if (!(e instanceof ConflictError) || conflicts >= MAX_CONFLICT_RETRIES) throw e;
        conflicts++;
        this.log.info({ action: chosen.label, reason: e.message }, 'placement changed under us; deciding again');
      }
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

  /**
   * Physical change first, then the optimistic row update with its event in one transaction.
   * A move deletes the source only after its row update won: DESIGN 7.6 deletes before the
   * update, but a lost race would then leave the row pointing at a deleted object.
   */
  private async execute(ref: DatasetCopy, chosen: ScoredCandidate, explored: boolean, family: DatasetCopy[]): Promise<EventRow> {
    const { store, objects, appId } = this.d;
    const a = chosen.action;
    if (a.type === 'changeRef') {
      const target = family.find((c) => c.id === chosen.targetCopyId);
      if (!target) throw new ConflictError(`copy ${chosen.targetCopyId} is gone`);
      return (await store.commitChangeRef({ appId, toCopyId: target.id, expectedVersion: target.version, event: this.newEvent(chosen, target.id, explored) })).event;
    }
    if (a.type === 'none') throw new Error('NA is not executed');
    const bucket = bucketForNode(a.to);
    // a copy gets its own key so that deleting one copy's object can never remove another's
    const key = a.type === 'move' ? ref.objectKey : copyKey(ref.objectKey, appId, this.now);
    await objects.ensureBucket(bucket);
    try {
      await objects.copyObject(ref.bucket, ref.objectKey, bucket, key);
    } catch (e) {
      // the source may have been moved away since we read the placement: that is a conflict
      const now = await store.getCopy(ref.id);
      if (!now || now.version !== ref.version) throw new ConflictError(`copy ${ref.id} changed while copying its object: ${(e as Error).message}`);
      throw e;
    }
    try {
      if (a.type === 'move') {
        const { event } = await store.commitMove({ copyId: ref.id, expectedVersion: ref.version, toNode: a.to, bucket, event: this.newEvent(chosen, ref.id, explored) });
        await objects.deleteObject(ref.bucket, ref.objectKey);
        return event;
      }
      const { event } = await store.commitCopy({
        sourceCopyId: ref.id,
        expectedVersion: ref.version,
        toNode: a.to,
        bucket,
        objectKey: key,
        appId,
        event: this.newEvent(chosen, ref.id, explored),
      });
      return event;
    } catch (e) {
      if (e instanceof ConflictError) await this.dropOrphan(bucket, key);
      throw e;
    }
  }

  /** Deletes an object we copied for a commit that lost, unless a row references it (the winner made the same move). */
  private async dropOrphan(bucket: string, key: string): Promise<void> {
    const used = (await this.d.store.listCopies()).some((c) => c.bucket === bucket && c.objectKey === key);
    if (used) return;
    try {
      await this.d.objects.deleteObject(bucket, key);
    } catch (e) {
      this.log.warn({ err: e, bucket, key }, 'could not delete the copy of a lost race');
    }
  }

  /** DESIGN 7.8: impact[label] = (1 - lr) * impact + lr * f(after - before). */
  private async learn(chosen: ScoredCandidate, before: MetricValues, after: MetricValues, impacts: Map<string, ImpactVector>): Promise<ImpactVector> {
    const { scenario, appId } = this.d;
    const f = impactFromDelta(before, after, scenario.decision.rho);
    const old = impacts.get(chosen.label) ?? chosen.vector;
    const vector = updateImpact(old, f, scenario.decision.learningRate);
    await this.d.store.upsertImpact({ appId, actionLabel: chosen.label, vector, source: 'online', updatedAtMs: this.now });
    return vector;
  }
}

function copyKey(objectKey: string, appId: number, nowMs: number): string {
  const base = objectKey.replace(/^copies\/[^/]+\//, '');
  return `copies/a${appId}-${nowMs}/${base}`;
}

/** Runs one app's loop until `deps.signal` aborts. */
export async function runNodeLoop(deps: NodeDeps): Promise<void> {
  await new AppNode(deps).run();
}
