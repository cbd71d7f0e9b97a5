/**
 * Runs one workload: `producers` producers side by side on their nodes, each sending its share of
 * the source's messages to the topic at rate / producers (which steps at `rateSteps`), `batch` at
 * most per send, counting what the bus acknowledged and how long each send took to be (publish
 * latency, send to ack). Paced by what is due (rate x elapsed - sent), so a slow send is caught up
 * on rather than lost from the rate. A send or a source that fails (bus gone, topic missing, a
 * module that threw) stops the workload with its error, which `done` rejects with and `stats`
 * keeps (status failed): never a hang, never a silent stop.
 */
import type { BusProducer, MessageBus } from '../bus.js';
import type { WorkloadSpec } from '../../model/scenario.js';
import type { MessageSource } from './source.js';

/** The target rate at `tS` seconds from the start: the last step at or before it, else the base rate. */
export function rateAt(spec: Pick<WorkloadSpec, 'rate' | 'rateSteps'>, tS: number): number {
  let r = spec.rate;
  for (const s of spec.rateSteps) if (s.at <= tS) r = s.rate;
  return r;
}

/** Messages due by `tS`: the integral of the stepped rate from 0. */
export function dueBy(spec: Pick<WorkloadSpec, 'rate' | 'rateSteps'>, tS: number): number {
  let due = 0;
  let from = 0;
  let rate = spec.rate;
  for (const s of spec.rateSteps) {
    if (s.at >= tS) break;
    due += rate * (s.at - from);
    from = s.at;
    rate = s.rate;
  }
  return Math.floor(due + rate * (tS - from));
}

/** One producer of a workload, as the report shows it. */
export interface ProducerStats {
  /** from 0: producer i runs on spec.nodes[i % nodes.length] */
  index: number;
  node: number;
  /** messages handed to the bus, and acknowledged by it */
  sent: number;
  acked: number;
  /** sends that failed (the first one stops the workload) */
  errors: number;
  /** publish latency, send to acknowledgement, ms over every acknowledged message; null before the first */
  latencyP50Ms: number | null;
  latencyP99Ms: number | null;
}

export interface WorkloadStats {
  id: string;
  topic: string;
  /** messages the bus acknowledged, over every producer */
  acked: number;
  sent: number;
  /**
   * running; stopped (by the run's end); exhausted (a module's runs ended: nothing more to send);
   * failed (a send or the source failed: `error`, and `errorKind` the error's class, e.g.
   * CadcadStepError; a degradation of the run, which goes on without this workload)
   */
  status: 'running' | 'stopped' | 'exhausted' | 'failed';
  error?: string;
  errorKind?: string;
  producers: ProducerStats[];
}

export interface RunningWorkload {
  readonly stats: WorkloadStats;
  /** settles when stopped or exhausted; rejects with the error that stopped it */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

export interface WorkloadOptions {
  /** pacing tick, ms (default 20) */
  tickMs?: number;
  now?: () => number;
}

/** Publish latencies of one producer: one sample per send, weighted by its messages; at most MAX_SAMPLES kept (a uniform sample of the sends beyond). */
class LatencySamples {
  private static readonly MAX = 100_000;
  private ms: number[] = [];
  private n: number[] = [];
  private seen = 0;
  add(ms: number, messages: number): void {
    this.seen++;
    if (this.ms.length < LatencySamples.MAX) {
      this.ms.push(ms);
      this.n.push(messages);
      return;
    }
    const k = Math.floor(Math.random() * this.seen);
    if (k < LatencySamples.MAX) {
      this.ms[k] = ms;
      this.n[k] = messages;
    }
  }
  /** the q-quantile of the latency of a message (nearest rank over the weighted samples) */
  quantile(q: number): number | null {
    if (!this.ms.length) return null;
    const order = this.ms.map((_, i) => i).sort((a, b) => this.ms[a] - this.ms[b]);
    const total = this.n.reduce((a, b) => a + b, 0);
    const rank = Math.max(1, Math.ceil(q * total));
    let cum = 0;
    for (const i of order) {
      cum += this.n[i];
      if (cum >= rank) return Math.round(this.ms[i] * 10) / 10;
    }
    return this.ms[order[order.length - 1]];
  }
}

/** The bus a producer on `node` reaches (stream/data-path.ts); one bus for every node when given a bus. */
export type BusOf = MessageBus | ((node: number) => MessageBus);

/**
 * Starts `spec.producers` producers side by side, producer i on node spec.nodes[i % nodes.length]
 * (its bus from `busOf`, which carries that node's link latency to the bus), each at rate /
 * producers (the steps too), all taking messages from the one source in turn. The first error
 * (a send, or the source: a module that threw) stops every producer of the workload.
 */
export function startWorkload(busOf: BusOf, spec: Pick<WorkloadSpec, 'id' | 'topic' | 'rate' | 'rateSteps' | 'batch'> & Partial<Pick<WorkloadSpec, 'producers' | 'nodes' | 'waitMs'>>, source: MessageSource, o: WorkloadOptions = {}): RunningWorkload {
  const waitMs = spec.waitMs ?? 0;
  const now = o.now ?? Date.now;
  const tickMs = o.tickMs ?? 20;
  const count = spec.producers ?? 1;
  const nodes = spec.nodes?.length ? spec.nodes : [1];
  const bus = typeof busOf === 'function' ? busOf : () => busOf;
  const share = { rate: spec.rate / count, rateSteps: spec.rateSteps.map((s) => ({ at: s.at, rate: s.rate / count })) };
  const stats: WorkloadStats = { id: spec.id, topic: spec.topic, acked: 0, sent: 0, status: 'running', producers: [] };
  const t0 = now();
  let stopped = false;
  let exhausted = false;
  const wakes = new Set<() => void>();
  const wakeAll = () => {
    for (const w of wakes) w();
  };
  const one = async (index: number) => {
    const node = nodes[index % nodes.length]!;
    const ps: ProducerStats = { index, node, sent: 0, acked: 0, errors: 0, latencyP50Ms: null, latencyP99Ms: null };
    stats.producers.push(ps);
    const samples = new LatencySamples();
    const summarise = () => {
      ps.latencyP50Ms = samples.quantile(0.5);
      ps.latencyP99Ms = samples.quantile(0.99);
    };
    const producer: BusProducer = bus(node).producer({ batch: spec.batch, acks: -1 });
    let due0 = 0;
    // when the first message of a batch that is not full yet fell due (waitMs)
    let firstDueAt: number | undefined;
    try {
      while (!stopped) {
        const due = dueBy(share, (now() - t0) / 1000) - due0;
        if (due > 0 && due < spec.batch && waitMs > 0) firstDueAt ??= now();
        // a batch that is not full waits for more up to waitMs since its first message fell due
        const lingering = firstDueAt !== undefined && due < spec.batch && now() - firstDueAt < waitMs;
        if (due > 0 && !lingering) {
          firstDueAt = undefined;
          const n = Math.min(due, spec.batch);
          const messages = source.next(n, now());
          // the due messages are used up whether or not the source had them: no burst to catch up with later
          due0 += n;
          if (messages.length === 0) {
            if ((source as { done?: boolean }).done) {
              exhausted = true;
              break;
            }
          } else {
            const sentAt = performance.now();
            ps.sent += messages.length;
            stats.sent += messages.length;
            let results;
            try {
              results = await producer.send(spec.topic, messages);
            } catch (e) {
              ps.errors++;
              throw e;
            }
            samples.add(performance.now() - sentAt, results.length);
            ps.acked += results.length;
            stats.acked += results.length;
            if (ps.acked % 1000 < results.length) summarise();
            continue;
          }
        }
        const sleepMs = lingering ? Math.max(1, Math.min(tickMs, waitMs - (now() - firstDueAt!))) : tickMs;
        await new Promise<void>((r) => {
          const t = setTimeout(done, sleepMs);
          function done() {
            clearTimeout(t);
            wakes.delete(done);
            r();
          }
          wakes.add(done);
        });
      }
    } finally {
      summarise();
      await producer.close().catch(() => {});
    }
  };
  let failure: Error | undefined;
  const runs = Array.from({ length: count }, (_, i) =>
    one(i).catch((e: Error) => {
      if (!failure) {
        failure = e;
        // the first error stops the workload: every other producer ends its send in hand and stops
        stopped = true;
        wakeAll();
      }
    }),
  );
  // producers are listed by index whatever order they started in
  stats.producers.sort((a, b) => a.index - b.index);
  const done = Promise.all(runs).then(async () => {
    await Promise.resolve(source.close?.()).catch(() => {});
    if (failure) {
      stats.status = 'failed';
      stats.errorKind = failure.name;
      stats.error = `workload ${spec.id} (topic ${spec.topic}) stopped: ${failure.message}`;
      throw Object.assign(failure, { message: stats.error });
    }
    stats.status = exhausted && !stopped ? 'exhausted' : 'stopped';
  });
  done.catch(() => {}); // the caller reads it from `done` or `stats.error`
  return {
    stats,
    done,
    async stop() {
      stopped = true;
      wakeAll();
      await done.catch(() => {});
    },
  };
}
