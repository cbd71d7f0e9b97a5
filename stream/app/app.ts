/**
 * A stream app (issue 19 item 3, scenario apps[] with kind: stream): a consumer group of n
 * workers over its topic. Each worker handles its batches one record after another and waits
 * out `costMs` per record (the service time: workers in one process run side by side, as on
 * machines of their own, and one worker's throughput is about 1000 / costMs records/s). Every
 * window of W seconds the app merges what its workers aggregated, publishes the result to
 * `<topic>.results`, measures the window (input rate, throughput, busy fraction, end-to-end
 * latency, lag), checks its goal and asks its scaling rule (decision/scale.ts); once the rule's
 * trigger fired, its strategy chooses among NA and every S{n} with the rule's proposal in view
 * (decision/strategies/stream.ts). An S{n} rescales the group (workers join or leave it) and is
 * written as an event, as any action is.
 */
import type { BusConsumer, BusProducer, ConsumedBatch, MessageBus } from '../bus.js';
import { lagOf } from '../bus.js';
import { NO_COPY, type Store } from '../../db/store.js';
import type { DecisionParams, StreamAppSpec, TimingParams } from '../../model/scenario.js';
import type { ScaleDecision } from '../../decision/scale.js';
import { BUILTIN_STRATEGIES } from '../../decision/strategies/registry.js';
import { StrategyError, type NamedStrategy } from '../../decision/strategies/types.js';
import { closeDueEvents, leaveFeedback } from '../../nodes/community.js';
import { appSeed, createRng, type Rng } from '../../util/rng.js';
import { WindowAggregate, quantile, type GroupResult } from './aggregate.js';
import { assessWindow, chooseScale, scaleActionRow, windowRow, type WindowMeasurement } from './window.js';

/** One window as the report shows it. */
export interface StreamWindow {
  index: number;
  /** seconds from the app's start */
  startS: number;
  endS: number;
  workers: number;
  /** messages written to the topic in the window (end offsets), and processed by the workers */
  produced: number;
  processed: number;
  inputRate: number;
  throughput: number;
  throughputPerWorker: number;
  /** busy time / (window x workers) */
  busyFraction: number;
  latencyP50: number | null;
  latencyP95: number | null;
  lag: number;
  /** the data path: link latency to the bus's node (ms) and that node's availability (%) */
  pathLatencyMs: number;
  availability: number;
  goalMet: boolean;
  violated: string[];
  violationsInARow: number;
  /** what was done: S{n} or NA (the strategy's choice once the rule's trigger fired) */
  action: string;
  /** what the scale rule proposed (decideScale's label; NA before its trigger fires) */
  proposed: string;
  reason: string;
  /** the window's aggregates (count and average cholesterol by gender and age band): kept with the window, so the windows are their history */
  groups: GroupResult[];
}

export interface StreamScaleAction {
  atS: number;
  window: number;
  from: number;
  to: number;
  /** the S{n} taken (the strategy's choice) */
  label: string;
  /** the strategy that chose it, and whether it was a random pick */
  strategy: string;
  explored: boolean;
  /** the scale rule, what it proposed (its label: NA when it kept the count) and its arithmetic */
  rule: string;
  proposed: string;
  arithmetic: string;
  inputs: Record<string, number>;
  eventId: number | null;
}

export interface StreamAppDeps {
  bus: MessageBus;
  spec: StreamAppSpec;
  /** where its events, feedback and counters go; without one (unit tests) they are kept in the app only */
  store?: Store;
  timing: Pick<TimingParams, 'feedbackWindowMs'>;
  decision: DecisionParams;
  /** what chooses once the scale rule's trigger fired (default original: the rule's proposal) */
  strategy?: NamedStrategy;
  /** the scenario's seed: the strategy's generator is seeded from it and the app id (default 0) */
  seed?: number;
  onWindow?: (w: StreamWindow, d: ScaleDecision) => void;
  /** the data path as the window closes: link latency to the bus's node, its availability (default 0 ms, 100 %) */
  dataPath?: () => Promise<{ latencyMs: number; availability: number }>;
  onError?: (e: Error) => void;
  /** the most windows kept in memory (default MAX_KEPT_WINDOWS); the oldest go first, windowCount counts them all */
  keepWindows?: number;
}

/**
 * Windows a stream app keeps: 11 h of 2-s windows, about 20 MB with their aggregates. A long
 * `fogsim up` would otherwise grow without end; a run's report holds the latest this many.
 */
export const MAX_KEPT_WINDOWS = 20_000;

const CHUNK = 20;
const r2 = (x: number) => Math.round(x * 100) / 100;

class Worker {
  /** when the records it took on are served; a worker that waited for records starts anew from now */
  private serviceUntil = 0;
  constructor(
    readonly consumer: BusConsumer,
    private readonly app: StreamApp,
  ) {}

  async handle(batch: ConsumedBatch): Promise<void> {
    const cost = this.app.spec.costMs;
    for (let i = 0; i < batch.messages.length; i += CHUNK) {
      const chunk = batch.messages.slice(i, i + CHUNK);
      const start = Date.now();
      this.serviceUntil = Math.max(start, this.serviceUntil) + chunk.length * cost;
      const wait = this.serviceUntil - start;
      if (wait >= 1) await new Promise((r) => setTimeout(r, wait));
      this.app.processed(chunk, Date.now() - start);
    }
  }
}

export class StreamApp {
  readonly spec: StreamAppSpec;
  readonly group: string;
  readonly resultsTopic: string;
  /** the latest windows, oldest first (at most keepWindows) */
  readonly windows: StreamWindow[] = [];
  /** every window closed since the start, those no longer kept included */
  windowCount = 0;
  readonly actions: StreamScaleAction[] = [];
  /** records handled since the start, by every worker */
  consumed = 0;
  private workers: Worker[] = [];
  private agg = new WindowAggregate();
  private stamps: number[] = [];
  private busyMs = 0;
  private results?: BusProducer;
  private startMs = 0;
  private windowStartMs = 0;
  private lastEnd = 0;
  private violations = 0;
  readonly strategy: NamedStrategy;
  /** the strategy's only randomness (input.rng): one seed repeats the run */
  private readonly rng: Rng;
  private timer?: NodeJS.Timeout;
  private closing?: Promise<void>;
  private stopped = false;

  constructor(private readonly d: StreamAppDeps) {
    this.spec = d.spec;
    this.group = `fogsim-stream-app-${d.spec.id}`;
    this.resultsTopic = `${d.spec.topic}.results`;
    this.strategy = d.strategy ?? BUILTIN_STRATEGIES.original;
    this.rng = createRng(appSeed(d.seed ?? 0, d.spec.id));
  }

  /** ms since the epoch when start() began the windows: their startS and endS count from it */
  get startedAtMs(): number {
    return this.startMs;
  }

  get workerCount(): number {
    return this.workers.length;
  }

  /** Joins the group with the initial workers; a missing topic is the bus's clear error, here. */
  async start(): Promise<void> {
    await this.d.bus.partitions(this.spec.topic);
    await this.d.bus.createTopic(this.resultsTopic, 1);
    this.results = this.d.bus.producer({ acks: -1 });
    this.startMs = this.windowStartMs = Date.now();
    this.lastEnd = endSum(await this.d.bus.groupOffsets(this.group, this.spec.topic));
    await this.scaleTo(this.spec.workers);
    this.schedule(1);
  }

  /** called by a worker for each chunk it served */
  processed(chunk: ConsumedBatch['messages'], busyMs: number): void {
    for (const m of chunk) {
      try {
        this.agg.add(JSON.parse(m.value.toString('utf8')) as Record<string, unknown>);
      } catch {
        this.agg.add({}); // a record that is not JSON still counts, in group unknown
      }
      this.stamps.push(m.timestampMs);
    }
    this.consumed += chunk.length;
    this.busyMs += busyMs;
  }

  private schedule(k: number): void {
    if (this.stopped) return;
    // windows on the app's own grid: a late close does not shift the next one
    const at = this.startMs + k * this.spec.windowS * 1000;
    this.timer = setTimeout(() => {
      this.closing = this.closeWindow(k - 1)
        .catch((e: Error) => {
          // a strategy that failed ends the app (its workers stop with stop()), as it ends a batch app's loop
          if (e instanceof StrategyError) this.stopped = true;
          this.d.onError?.(e);
        })
        .finally(() => this.schedule(k + 1));
    }, Math.max(0, at - Date.now()));
  }

  private async scaleTo(n: number): Promise<void> {
    while (this.workers.length < n) {
      const c = this.d.bus.consumer(this.group, this.spec.topic);
      // from the oldest message: nothing written before the app joined is skipped
      await c.subscribe({ fromBeginning: true });
      const w = new Worker(c, this);
      this.workers.push(w);
      await c.run((b) => w.handle(b));
    }
    while (this.workers.length > n) await this.workers.pop()!.consumer.close();
  }

  private async closeWindow(index: number): Promise<void> {
    // what the workers did in the window, taken at once; records served from now count in the next
    const agg = this.agg;
    const stamps = this.stamps;
    const processed = agg.records;
    const busyMs = this.busyMs;
    this.agg = new WindowAggregate();
    this.stamps = [];
    this.busyMs = 0;
    const endMs = Date.now();
    const durS = Math.max(1e-3, (endMs - this.windowStartMs) / 1000);
    const workers = this.workers.length;
    const groups = agg.results();
    await this.results!.send(this.resultsTopic, [{ key: String(this.spec.id), value: JSON.stringify({ app: this.spec.id, window: index, startMs: this.windowStartMs, endMs, groups }), timestampMs: endMs }]);
    const resultAt = Date.now();
    const latencies = stamps.map((t) => resultAt - t);
    const offsets = await this.d.bus.groupOffsets(this.group, this.spec.topic);
    const end = endSum(offsets);
    const produced = end - this.lastEnd;
    this.lastEnd = end;
    const lag = lagOf(offsets);
    const path = (await this.d.dataPath?.()) ?? { latencyMs: 0, availability: 100 };
    const m: WindowMeasurement = {
      index,
      startS: r2((this.windowStartMs - this.startMs) / 1000),
      endS: r2((endMs - this.startMs) / 1000),
      durS,
      workers,
      produced,
      processed,
      busyMs,
      lag,
      latencyP95: quantile(latencies, 0.95),
      latencyP50: quantile(latencies, 0.5),
      path,
      groups,
    };
    const a = assessWindow(this.spec, m, this.violations, this.windows);
    this.violations = a.violations;
    const decision = a.decision;
    const counters = a.decision.triggered ? ((await this.d.store?.getCounters()) ?? {}) : {};
    const chosen = chooseScale(this.strategy, a, { spec: this.spec, counters, params: this.d.decision, rng: this.rng });
    const w = windowRow(m, a, chosen, this.strategy.name);
    this.windowStartMs = endMs;
    this.windows.push(w);
    this.windowCount++;
    const keep = this.d.keepWindows ?? MAX_KEPT_WINDOWS;
    if (this.windows.length > keep) this.windows.splice(0, this.windows.length - keep);
    await this.community(endMs, a.check.met);
    if (chosen.action.type === 'scale' && !this.stopped) {
      await this.scaleTo(chosen.action.workers);
      const event = await this.d.store?.recordEvent({
        appId: this.spec.id,
        datasetId: NO_COPY,
        actionLabel: chosen.label,
        actionType: 'scale',
        createdAtMs: endMs,
        closesAtMs: endMs + Math.round(this.d.timing.feedbackWindowMs),
        explored: chosen.explored,
      });
      this.actions.push(scaleActionRow(w, a, chosen, chosen.action.workers, { rule: this.spec.scale.rule, strategy: this.strategy.name, eventId: event?.id ?? null }));
      // the new workers get their own violationsInARow windows before the rule acts again
      this.violations = 0;
    }
    this.d.onWindow?.(w, decision);
  }

  /**
   * As a batch app does at each check: overdue events closed (global feedback, counters); when
   * violated, feedback on the open events of other stream apps (their S{n} events name no copy,
   * NO_COPY: what stream apps share is the bus).
   */
  private async community(nowMs: number, met: boolean): Promise<void> {
    const store = this.d.store;
    if (!store) return;
    await closeDueEvents(store, nowMs, this.d.decision);
    // no-feedback (a strategy with leavesFeedback false) leaves none, as on a batch app
    if (!met && this.strategy.leavesFeedback) await leaveFeedback(store, { appId: this.spec.id, copy: { id: NO_COPY, familyId: NO_COPY }, nowMs, decision: { feedbackScope: 'copy' }, timing: this.d.timing });
  }

  /** Waits until the group committed everything written to its topic, or `timeoutMs` passed; returns the lag left. */
  async drain(timeoutMs: number): Promise<number> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const lag = lagOf(await this.d.bus.groupOffsets(this.group, this.spec.topic));
      if (lag === 0 || Date.now() >= until) return lag;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.closing;
    await this.scaleTo(0);
    await this.results?.close();
  }
}

function endSum(offsets: readonly { end: number }[]): number {
  return offsets.reduce((n, o) => n + o.end, 0);
}
