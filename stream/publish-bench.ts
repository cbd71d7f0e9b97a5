/**
 * The publish benchmark (`fogsim bench publish`, DESIGN.md section 14): N producers, each its own
 * bus producer, publish batches to one topic at a target rate for a while; it measures what was
 * acknowledged: messages/s, MB/s of payload, and the publish latency (send to ack) of every
 * message, per producer and in total.
 */
import { UserError } from '../model/errors.js';
import type { Acks, BusProducer, MessageBus, SendResult, StreamMessage } from './bus.js';

export interface PublishBenchOptions {
  producers: number;
  /** target messages/s of all producers together, shared evenly; 0: as fast as the bus acknowledges */
  rate: number;
  /** messages per send */
  batch: number;
  partitions: number;
  acks: Acks;
  durationS: number;
  /** bytes of each message's value */
  messageBytes: number;
  /** sends a producer keeps unacknowledged at once (Kafka's max.in.flight default is 5) */
  inFlight?: number;
}

export interface Latency {
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

export interface Throughput {
  messages: number;
  bytes: number;
  messagesPerS: number;
  /** megabytes (10^6 bytes) of values and keys per second */
  mbPerS: number;
  latencyMs: Latency;
}

export interface PublishBenchResult {
  bus: 'embedded' | 'kafka';
  topic: string;
  producers: number;
  targetRate: number;
  batch: number;
  partitions: number;
  acks: Acks;
  durationS: number;
  messageBytes: number;
  /** from the first send to the last acknowledgement, at least the duration */
  elapsedS: number;
  total: Throughput;
  perProducer: (Throughput & { producer: number })[];
}

/** A send's latency, weighted by how many messages it acknowledged. */
interface Sample {
  ms: number;
  n: number;
}

export function latencyOf(samples: Sample[]): Latency {
  const s = [...samples].sort((a, b) => a.ms - b.ms);
  const total = s.reduce((t, x) => t + x.n, 0);
  if (!total) return { p50: 0, p99: 0, max: 0, mean: 0 };
  // the latency below which p% of the messages were acknowledged
  const at = (p: number): number => {
    const rank = Math.ceil((p / 100) * total);
    let seen = 0;
    for (const x of s) if ((seen += x.n) >= rank) return x.ms;
    return s[s.length - 1].ms;
  };
  const round = (ms: number) => Math.round(ms * 1000) / 1000;
  return { p50: round(at(50)), p99: round(at(99)), max: round(s[s.length - 1].ms), mean: round(s.reduce((t, x) => t + x.ms * x.n, 0) / total) };
}

function throughput(samples: Sample[], bytes: number, elapsedS: number): Throughput {
  const messages = samples.reduce((t, x) => t + x.n, 0);
  return {
    messages,
    bytes,
    messagesPerS: Math.round(messages / elapsedS),
    mbPerS: Math.round((bytes / 1e6 / elapsedS) * 1000) / 1000,
    latencyMs: latencyOf(samples),
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const yieldNow = () => new Promise<void>((r) => setImmediate(r));

export function checkBenchOptions(o: PublishBenchOptions): void {
  const bad: [string, number, number, number][] = [
    ['--producers', o.producers, 1, 256],
    ['--rate', o.rate, 0, 100_000_000],
    ['--batch', o.batch, 1, 100_000],
    ['--partitions', o.partitions, 1, 1000],
    ['--size', o.messageBytes, 1, 10_000_000],
  ];
  for (const [flag, v, min, max] of bad) if (!Number.isInteger(v) || v < min || v > max) throw new UserError(`${flag}: expected a whole number from ${min} to ${max}, got ${v}`);
  if (!(o.durationS > 0)) throw new UserError(`--duration: expected a positive duration, got ${o.durationS}`);
}

/** Runs one benchmark on `bus`, in a topic of its own that it deletes afterwards. */
export async function runPublishBench(bus: MessageBus, o: PublishBenchOptions): Promise<PublishBenchResult> {
  checkBenchOptions(o);
  const topic = `fogsim-bench-publish-${process.pid}-${Date.now().toString(36)}-b${o.batch}-p${o.partitions}`;
  await bus.createTopic(topic, o.partitions);
  const producers: BusProducer[] = Array.from({ length: o.producers }, () => bus.producer({ acks: o.acks, batch: o.batch }));
  try {
    // Warm-up outside the clock: connections, metadata, the first allocation of the topic's logs.
    await Promise.all(producers.map((p) => p.send(topic, [{ value: Buffer.alloc(o.messageBytes), timestampMs: Date.now() }])));
    const inFlight = o.inFlight ?? 5;
    const perRate = o.rate / o.producers;
    const t0 = performance.now();
    const end = t0 + o.durationS * 1000;
    const runs = producers.map(async (p, k) => {
      const samples: Sample[] = [];
      let bytes = 0;
      let sent = 0;
      let failed: unknown;
      const pending = new Set<Promise<void>>();
      let lastYield = performance.now();
      for (let seq = 0; ; ) {
        let now = performance.now();
        if (now >= end || failed) break;
        if (perRate > 0) {
          // the moment this batch is due on the producer's schedule; behind it, send at once
          const due = t0 + (sent / perRate) * 1000;
          if (due > now) {
            if (due >= end) break;
            await sleep(due - now);
            now = performance.now();
          }
        }
        const batch = makeBatch(k, seq, o.batch, o.messageBytes);
        seq += o.batch;
        sent += o.batch;
        const size = o.batch * o.messageBytes;
        const start = performance.now();
        const done: Promise<void> = p.send(topic, batch).then(
          (r: SendResult[]) => {
            samples.push({ ms: performance.now() - start, n: r.length });
            bytes += size;
          },
          (e: unknown) => {
            failed ??= e;
          },
        );
        pending.add(done);
        void done.finally(() => pending.delete(done));
        if (pending.size >= inFlight) await Promise.race(pending);
        // an in-process bus acknowledges in a microtask: let timers and the other producers in
        if (now - lastYield > 5) {
          await yieldNow();
          lastYield = performance.now();
        }
      }
      await Promise.all(pending);
      if (failed) throw failed;
      return { samples, bytes };
    });
    const results = await Promise.all(runs);
    // a paced run's last batch goes out before the end of the window: the rate is over the whole window
    const elapsedS = Math.max(o.durationS, (performance.now() - t0) / 1000);
    const all = results.flatMap((r) => r.samples);
    return {
      bus: bus.kind,
      topic,
      producers: o.producers,
      targetRate: o.rate,
      batch: o.batch,
      partitions: o.partitions,
      acks: o.acks,
      durationS: o.durationS,
      messageBytes: o.messageBytes,
      elapsedS: Math.round(elapsedS * 1000) / 1000,
      total: throughput(all, results.reduce((t, r) => t + r.bytes, 0), elapsedS),
      perProducer: results.map((r, k) => ({ producer: k + 1, ...throughput(r.samples, r.bytes, elapsedS) })),
    };
  } finally {
    await Promise.all(producers.map((p) => p.close().catch(() => {})));
    await bus.deleteTopic(topic).catch(() => {});
  }
}

/** One send's messages: each value a slice of one fresh buffer, stamped with producer and sequence number. */
function makeBatch(producer: number, seq: number, n: number, bytes: number): StreamMessage[] {
  const buf = Buffer.alloc(n * bytes, 0x61);
  const now = Date.now();
  const out = new Array<StreamMessage>(n);
  for (let i = 0; i < n; i++) {
    const value = buf.subarray(i * bytes, (i + 1) * bytes);
    // the first bytes tell a consumer where it came from, as far as the size allows
    value.write(`${producer}:${seq + i}`.slice(0, bytes), 0, 'latin1');
    out[i] = { value, timestampMs: now };
  }
  return out;
}

/** The grid of `--grid`: batch sizes x partition counts. */
export const GRID_BATCHES = [1, 100, 1000] as const;
export const GRID_PARTITIONS = [1, 10] as const;
