import { Kafka, Partitioners, logLevel, type Message, type Producer } from 'kafkajs';
import { pino } from 'pino';
import type { BenchResult } from './types.js';
import { KafkaTelemetryPublisher, ensureTelemetryTopics } from '../telemetry/kafka/index.js';
import { kafkaTopicName, makeMessage } from '../telemetry/codec.js';
import { readInfraConfig } from '../util/config.js';

/*
 * Publish benchmark against the real broker (FOGSIM_KAFKA_BROKERS, e.g. scripts/real/kafka.sh):
 * telemetry-sized messages (~300 B JSON, one run with its metrics), acks=all like the nodes.
 *  - batching off: one message per send, each awaited: the baseline;
 *  - batching on: BATCH messages per send (sendBatch), each awaited;
 *  - the node's own KafkaTelemetryPublisher (linger 5 ms, up to 500 per request), fire-and-forget.
 * Ack latency of a message = from the moment its send starts to the broker's acknowledgement.
 */
const OFF_N = Number(process.env.FOGSIM_BENCH_KAFKA_OFF_N ?? 2000);
const ON_N = Number(process.env.FOGSIM_BENCH_KAFKA_ON_N ?? 20_000);
const BATCH = 100;

function runPayload(i: number): string {
  const app = (i % 3) + 1;
  return JSON.stringify(
    makeMessage('runs', String(app), {
      id: i,
      appId: app,
      datasetId: 3,
      dataNode: 3,
      startedAtMs: 1_700_000_000_000 + i,
      rtMs: 1234.5 + (i % 100),
      etMs: 987.25,
      throughput: 45678.9,
      latencyMs: 1500.3,
      availability: 85,
      consistency: 1,
      goalMet: false,
      actionLabel: 'M3_1',
      error: null,
    }),
  );
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function measure(producer: Producer, topic: string, n: number, perSend: number): Promise<{ rate: number; p50: number; p99: number }> {
  const lat: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i += perSend) {
    const messages: Message[] = [];
    for (let j = i; j < Math.min(n, i + perSend); j++) messages.push({ key: String((j % 3) + 1), value: runPayload(j) });
    const s = performance.now();
    await producer.send({ topic, acks: -1, messages });
    const d = performance.now() - s;
    for (let k = 0; k < messages.length; k++) lat.push(d);
  }
  const secs = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  return { rate: n / secs, p50: pct(lat, 50), p99: pct(lat, 99) };
}

export async function benchKafka(): Promise<BenchResult[]> {
  const brokers = readInfraConfig().kafkaBrokers;
  if (!brokers) {
    return [{ name: 'kafka publish', value: 0, unit: '', note: 'not run: FOGSIM_KAFKA_BROKERS unset (scripts/real/up.sh kafka, then source $FOGSIM_REAL_DIR/env.sh)' }];
  }
  const prefix = `fogsim-bench-${Date.now().toString(36)}`;
  const kafka = new Kafka({ clientId: 'fogsim-bench', brokers, logLevel: logLevel.NOTHING });
  await ensureTelemetryTopics(kafka, { brokers, topicPrefix: prefix, partitions: 3, replication: 1 });
  const topic = kafkaTopicName('runs', prefix);
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const size = Buffer.byteLength(runPayload(123));
  try {
    await measure(producer, topic, 300, 1); // warm-up: connections, metadata, JIT
    await measure(producer, topic, 3000, BATCH);
    const off = await measure(producer, topic, OFF_N, 1);
    const on = await measure(producer, topic, ON_N, BATCH);

    // The node's publisher: publish ON_N as fast as the loop can, until all are acknowledged.
    const pub = new KafkaTelemetryPublisher({ brokers, topicPrefix: prefix, partitions: 3, logger: pino({ level: 'silent' }), maxBuffered: ON_N + 1 });
    pub.publish('runs', '1', JSON.parse(runPayload(0)).payload);
    await pub.flush(30_000);
    const t0 = performance.now();
    for (let i = 0; i < ON_N; i++) pub.publish('runs', String((i % 3) + 1), JSON.parse(runPayload(i)).payload);
    const flushed = await pub.flush(120_000);
    const pubRate = ON_N / ((performance.now() - t0) / 1000);
    await pub.close();

    const note = `${size} B messages, acks=all, 1 broker (${brokers.join(',')})`;
    return [
      { name: 'publish, batching off (1 msg per send)', value: off.rate, unit: 'msg/s', note: `${OFF_N} msgs; ${note}` },
      { name: `publish, batching on (${BATCH} msgs per send)`, value: on.rate, unit: 'msg/s', baseline: off.rate, ratio: on.rate / off.rate, note: `${ON_N} msgs; baseline = batching off` },
      { name: 'ack latency p50, batching off', value: off.p50, unit: 'ms' },
      { name: 'ack latency p99, batching off', value: off.p99, unit: 'ms' },
      { name: `ack latency p50, batching on (${BATCH})`, value: on.p50, unit: 'ms', baseline: off.p50, ratio: on.p50 / off.p50 },
      { name: `ack latency p99, batching on (${BATCH})`, value: on.p99, unit: 'ms', baseline: off.p99, ratio: on.p99 / off.p99 },
      {
        name: 'KafkaTelemetryPublisher (linger 5 ms, <=500 per request)',
        value: pubRate,
        unit: 'msg/s',
        baseline: off.rate,
        ratio: pubRate / off.rate,
        note: flushed ? `${ON_N} msgs published then flushed` : 'did not flush within 120 s',
      },
    ];
  } finally {
    await producer.disconnect();
    // The bench's topics are private to this run; remove them so runs do not accumulate.
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: ['runs', 'events', 'feedback'].map((t) => `${prefix}.${t}`) }).catch(() => {});
    await admin.disconnect();
  }
}
