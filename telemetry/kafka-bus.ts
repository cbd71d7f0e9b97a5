import { Kafka, Partitioners, logLevel, type Consumer, type LogEntry, type Producer, type TopicMessages } from 'kafkajs';
import type { TelemetryMessage, TelemetryPublisher, TelemetrySubscriber, TelemetryTopic } from './bus.js';
import { BoundedBuffer } from './buffer.js';
import { TELEMETRY_TOPICS, decodeMessage, kafkaTopicName, makeMessage } from './codec.js';
import { createLogger, type Logger } from '../util/logger.js';

/**
 * kafkajs logs through our pino logger, one level quieter: during an outage it reports every
 * failed connection as ERROR, while the publisher already says, once and plainly, that it is
 * buffering. Its INFO chatter (group joins, consumer starts) goes to debug.
 */
export function kafkaLogCreator(log: Logger) {
  return () =>
    ({ namespace, level, log: entry }: LogEntry) => {
      const { message, timestamp: _t, logger: _l, ...rest } = entry as LogEntry['log'] & { logger?: unknown };
      const fields = { kafkajs: namespace, ...rest };
      if (level === logLevel.ERROR) log.warn(fields, message);
      else if (level === logLevel.WARN || level === logLevel.INFO) log.debug(fields, message);
      else log.trace(fields, message);
    };
}

/** kafkajs only builds log entries at or above this level, so a quiet logger costs nothing. */
function kafkaLevelFor(log: Logger): logLevel {
  if (log.isLevelEnabled('trace')) return logLevel.DEBUG;
  if (log.isLevelEnabled('debug')) return logLevel.INFO;
  if (log.isLevelEnabled('warn')) return logLevel.ERROR;
  return logLevel.NOTHING;
}

export interface KafkaCommonOptions {
  brokers: string[];
  clientId?: string;
  /** topic names are `<prefix>.runs` etc.; default `fogsim` */
  topicPrefix?: string;
  /** for topic creation (InfraConfig.kafkaPartitions / kafkaReplication) */
  partitions?: number;
  replication?: number;
  logger?: Logger;
}

function client(o: KafkaCommonOptions, log: Logger, clientId: string): Kafka {
  return new Kafka({
    clientId,
    brokers: o.brokers,
    // Fail fast: the publisher has its own reconnect loop with backoff and buffering, and
    // a node must notice an outage in seconds, not after kafkajs's default ~30 s of retries.
    connectionTimeout: 1500,
    requestTimeout: 5000,
    retry: { initialRetryTime: 150, retries: 2, maxRetryTime: 1000 },
    logLevel: kafkaLevelFor(log),
    logCreator: kafkaLogCreator(log),
  });
}

/** Creates the three topics if missing, with partitions and replication from the configuration. */
export async function ensureTelemetryTopics(kafka: Kafka, o: KafkaCommonOptions): Promise<string[]> {
  const prefix = o.topicPrefix ?? 'fogsim';
  const names = TELEMETRY_TOPICS.map((t) => kafkaTopicName(t, prefix));
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = names.filter((n) => !existing.has(n));
    if (missing.length) {
      try {
        await admin.createTopics({
          waitForLeaders: true,
          topics: missing.map((topic) => ({ topic, numPartitions: o.partitions ?? 3, replicationFactor: o.replication ?? 1 })),
        });
      } catch (e) {
        // Another node may have created them at the same moment; anything else is a real problem.
        if (!/already exists/i.test((e as Error).message)) {
          throw new Error(
            `creating Kafka topics ${missing.join(', ')} (partitions ${o.partitions ?? 3}, replication ${o.replication ?? 1}; ` +
              `set FOGSIM_KAFKA_PARTITIONS / FOGSIM_KAFKA_REPLICATION to fit the cluster): ${(e as Error).message}`,
          );
        }
      }
    }
  } finally {
    await admin.disconnect().catch(() => {});
  }
  return names;
}

export interface KafkaPublisherOptions extends KafkaCommonOptions {
  /** most messages kept while Kafka is away; beyond it the oldest are dropped (default 10000) */
  maxBuffered?: number;
  /** most messages per produce request (default 500) */
  batchSize?: number;
  /** how long publish() waits for company before sending (default 5 ms) */
  lingerMs?: number;
  /** acks: -1 all in-sync replicas (default), 1 leader, 0 none */
  acks?: number;
  /** reconnect backoff bounds while Kafka is away (default 250 ms .. 5 s) */
  retryMinMs?: number;
  retryMaxMs?: number;
}

export type PublisherState = 'idle' | 'up' | 'down' | 'closed';

interface Pending {
  topic: TelemetryTopic;
  key: string;
  value: string;
}

/**
 * Node side of the Kafka bus. publish() only appends to a bounded in-memory buffer and arms a
 * short linger timer; a single background loop sends batches (sendBatch, acks=all). When Kafka
 * is away, the loop logs once that it is buffering, retries with backoff, drops the oldest
 * messages beyond the bound (counted, logged), and when Kafka returns it sends the backlog in
 * order and logs that it caught up. Delivery is at-least-once: a batch whose ack was lost in
 * the outage is sent again.
 */
export class KafkaTelemetryPublisher implements TelemetryPublisher {
  private readonly log: Logger;
  private readonly kafka: Kafka;
  private readonly buffer: BoundedBuffer<Pending>;
  private readonly o: Required<Pick<KafkaPublisherOptions, 'batchSize' | 'lingerMs' | 'acks' | 'retryMinMs' | 'retryMaxMs'>>;
  private readonly prefix: string;
  private producer: Producer | null = null;
  private topicsReady = false;
  private timer: NodeJS.Timeout | null = null;
  private loop: Promise<void> | null = null;
  private failures = 0;
  private downSince = 0;
  private lastDownLog = 0;
  private lastDropLog = 0;
  private droppedAtDown = 0;
  private recovering = false;
  state: PublisherState = 'idle';
  /** messages acknowledged by Kafka */
  sent = 0;
  /** payloads that could not be serialised (never buffered) */
  rejected = 0;

  constructor(private readonly opts: KafkaPublisherOptions) {
    this.log = opts.logger ?? createLogger('telemetry');
    this.prefix = opts.topicPrefix ?? 'fogsim';
    this.kafka = client(opts, this.log, opts.clientId ?? `fogsim-node-${process.pid}`);
    this.buffer = new BoundedBuffer(opts.maxBuffered ?? 10_000);
    this.o = {
      batchSize: opts.batchSize ?? 500,
      lingerMs: opts.lingerMs ?? 5,
      acks: opts.acks ?? -1,
      retryMinMs: opts.retryMinMs ?? 250,
      retryMaxMs: opts.retryMaxMs ?? 5000,
    };
  }

  /** messages waiting (buffered during an outage, or lingering) */
  get buffered(): number {
    return this.buffer.length;
  }

  /** messages dropped because the buffer was full */
  get dropped(): number {
    return this.buffer.dropped;
  }

  publish(topic: TelemetryTopic, key: string, payload: unknown): void {
    if (this.state === 'closed') return;
    let value: string;
    try {
      value = JSON.stringify(makeMessage(topic, key, payload));
    } catch (e) {
      this.rejected++;
      this.log.warn({ topic, key, err: (e as Error).message }, 'telemetry payload is not JSON-serialisable; skipped');
      return;
    }
    if (this.buffer.push({ topic, key, value })) this.noteDrops();
    this.kick(this.buffer.length >= this.o.batchSize ? 0 : this.o.lingerMs);
  }

  /** Waits until everything buffered is acknowledged; false when the time ran out first. */
  async flush(timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.buffer.length || this.loop) {
      if (Date.now() >= deadline) return false;
      if (this.state !== 'down') this.kick(0);
      await new Promise((r) => setTimeout(r, 10));
    }
    return true;
  }

  /** Sends what it can within timeoutMs, then disconnects; reports what was lost. */
  async close(timeoutMs = 5000): Promise<void> {
    if (this.state === 'closed') return;
    const flushed = await this.flush(timeoutMs);
    this.state = 'closed';
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.loop) await Promise.race([this.loop, new Promise((r) => setTimeout(r, 1000))]);
    if (!flushed) this.log.warn({ lost: this.buffer.length, dropped: this.dropped }, 'telemetry closed with messages Kafka never acknowledged');
    await this.producer?.disconnect().catch(() => {});
    this.producer = null;
  }

  private kick(delayMs: number): void {
    // While Kafka is away the retry timer alone decides when to try again (backoff).
    if (this.state === 'closed' || this.state === 'down' || this.loop) return;
    if (this.timer) {
      if (delayMs > 0) return; // a send is already armed
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      this.startLoop();
    }, delayMs);
    // A publisher alone must not keep a process alive; close() flushes explicitly.
    this.timer.unref();
  }

  private async run(): Promise<void> {
    while (this.buffer.length && this.state !== 'closed') {
      const batch = this.buffer.take(this.o.batchSize);
      try {
        const producer = await this.connect();
        await producer.sendBatch({ acks: this.o.acks, topicMessages: this.group(batch) });
      } catch (e) {
        if (this.buffer.unshift(batch)) this.noteDrops();
        await this.onFailure(e as Error);
        return;
      }
      this.sent += batch.length;
      this.onSuccess();
    }
    if (this.recovering && !this.buffer.length) {
      this.recovering = false;
      this.log.info({ sent: this.sent, dropped: this.dropped }, 'telemetry caught up after the Kafka outage');
    }
  }

  private startLoop(): void {
    this.loop = this.run().finally(() => {
      this.loop = null;
      // Messages published while the loop was finishing: send them (unless waiting out an outage).
      if (this.buffer.length && this.state !== 'down' && this.state !== 'closed') this.kick(this.o.lingerMs);
    });
  }

  private async connect(): Promise<Producer> {
    if (this.producer) return this.producer;
    const producer = this.kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: true,
      retry: { initialRetryTime: 150, retries: 2, maxRetryTime: 1000 },
    });
    try {
      await producer.connect();
      if (!this.topicsReady) {
        await ensureTelemetryTopics(this.kafka, this.opts);
        this.topicsReady = true;
      }
    } catch (e) {
      await producer.disconnect().catch(() => {});
      throw e;
    }
    this.producer = producer;
    return producer;
  }

  private group(batch: Pending[]): TopicMessages[] {
    const by = new Map<string, TopicMessages>();
    for (const p of batch) {
      const topic = kafkaTopicName(p.topic, this.prefix);
      let tm = by.get(topic);
      if (!tm) by.set(topic, (tm = { topic, messages: [] }));
      tm.messages.push({ key: p.key, value: p.value });
    }
    return [...by.values()];
  }

  private onSuccess(): void {
    if (this.state === 'down') {
      this.log.info(
        { downForMs: Date.now() - this.downSince, backlog: this.buffer.length, droppedDuringOutage: this.dropped - this.droppedAtDown },
        'Kafka reachable again: sending buffered telemetry',
      );
    }
    if (this.state === 'down') this.recovering = true;
    if (this.state === 'down' || this.failures) {
      this.failures = 0;
      this.downSince = 0;
    }
    this.state = 'up';
  }

  private async onFailure(e: Error): Promise<void> {
    // A broken producer is thrown away; a fresh one reconnects cleanly after a broker restart.
    const p = this.producer;
    this.producer = null;
    await p?.disconnect().catch(() => {});
    if (this.state === 'closed') return;
    const now = Date.now();
    if (this.state !== 'down') {
      this.state = 'down';
      this.downSince = now;
      this.lastDownLog = now;
      this.droppedAtDown = this.dropped;
      this.log.warn(
        { err: e.message, buffered: this.buffer.length, bound: this.buffer.capacity },
        'Kafka unreachable: buffering telemetry in memory (bounded, oldest dropped when full); the node keeps running',
      );
    } else if (now - this.lastDownLog >= 10_000) {
      this.lastDownLog = now;
      this.log.warn({ err: e.message, buffered: this.buffer.length, dropped: this.dropped, downForMs: now - this.downSince }, 'Kafka still unreachable: buffering telemetry');
    }
    this.failures++;
    const delay = Math.min(this.o.retryMaxMs, this.o.retryMinMs * 2 ** Math.min(this.failures - 1, 10));
    this.timer = setTimeout(() => {
      this.timer = null;
      this.startLoop();
    }, delay);
    this.timer.unref();
  }

  private noteDrops(): void {
    // Counted on every drop, logged at most every 5 s so a long outage cannot flood the log.
    const now = Date.now();
    if (now - this.lastDropLog < 5000) return;
    this.lastDropLog = now;
    this.log.warn({ dropped: this.dropped, bound: this.buffer.capacity }, 'telemetry buffer full: dropping the oldest messages');
  }
}

/** Retries a call on Kafka errors marked retriable (leader moves, coordinator loading) for up to `ms`. */
async function retrying<T>(fn: () => Promise<T>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (let wait = 100; ; wait = Math.min(wait * 2, 1000)) {
    try {
      return await fn();
    } catch (e) {
      if (!(e as { retriable?: boolean }).retriable || Date.now() + wait > deadline) throw e;
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

export interface KafkaSubscriberOptions extends KafkaCommonOptions {
  /** default: a fresh group per subscriber, so each controller sees every message */
  groupId?: string;
  /** replay the topics from the start instead of from the moment subscribe() is called */
  fromBeginning?: boolean;
  /** bound on waiting for the group join in subscribe() (default 30 s) */
  joinTimeoutMs?: number;
}

/**
 * Controller side of the Kafka bus: one consumer on the three topics. By default it starts at
 * the end offsets read when subscribe() is called (nothing published after subscribe() returns
 * is missed, nothing older is replayed). Survives broker restarts: kafkajs restarts the consumer
 * on retriable errors, and the fresh group's committed offsets resume where it stopped.
 */
export class KafkaTelemetrySubscriber implements TelemetrySubscriber {
  private readonly log: Logger;
  private readonly kafka: Kafka;
  private consumer: Consumer | null = null;
  private handlers = new Set<(m: TelemetryMessage) => void>();
  private closing = false;
  received = 0;
  rejected = 0;
  readonly groupId: string;

  constructor(private readonly opts: KafkaSubscriberOptions) {
    this.log = opts.logger ?? createLogger('telemetry');
    this.groupId = opts.groupId ?? `fogsim-controller-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    this.kafka = client(opts, this.log, opts.clientId ?? 'fogsim-controller');
  }

  async subscribe(handler: (m: TelemetryMessage) => void): Promise<void> {
    this.handlers.add(handler);
    if (this.consumer) return;
    const topics = await ensureTelemetryTopics(this.kafka, this.opts);
    const starts: { topic: string; partition: number; offset: string }[] = [];
    if (!this.opts.fromBeginning) {
      const admin = this.kafka.admin();
      await admin.connect();
      try {
        for (const topic of topics) {
          // Right after creation a partition may still say "not the leader": retry briefly.
          const offsets = await retrying(() => admin.fetchTopicOffsets(topic), 15_000);
          for (const p of offsets) starts.push({ topic, partition: p.partition, offset: p.high });
        }
      } finally {
        await admin.disconnect().catch(() => {});
      }
    }
    const consumer = this.kafka.consumer({
      groupId: this.groupId,
      sessionTimeout: 10_000,
      heartbeatInterval: 1000,
      maxWaitTimeInMs: 100,
      allowAutoTopicCreation: false,
      retry: {
        initialRetryTime: 300,
        retries: 5,
        maxRetryTime: 3000,
        restartOnFailure: async (e) => {
          if (this.closing) return false;
          this.log.warn({ err: e.message }, 'telemetry consumer lost Kafka; restarting it');
          return true;
        },
      },
    });
    this.consumer = consumer;
    const joined = new Promise<void>((resolve) => {
      const off = consumer.on(consumer.events.GROUP_JOIN, () => {
        off();
        resolve();
      });
    });
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: this.opts.fromBeginning ?? false });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const m = decodeMessage(message.value);
        if (typeof m === 'string') {
          this.rejected++;
          this.log.warn({ reason: m }, 'telemetry message rejected');
          return;
        }
        this.received++;
        for (const h of this.handlers) {
          try {
            h(m);
          } catch (e) {
            this.log.warn({ err: e, topic: m.topic }, 'telemetry handler failed; message skipped');
          }
        }
      },
    });
    for (const s of starts) consumer.seek(s);
    const timeout = this.opts.joinTimeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      joined,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`telemetry consumer did not join its group within ${timeout} ms (brokers ${this.opts.brokers.join(',')})`)), timeout);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  async close(): Promise<void> {
    this.closing = true;
    this.handlers.clear();
    await this.consumer?.disconnect().catch(() => {});
    this.consumer = null;
  }
}
