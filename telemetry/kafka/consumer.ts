/** Consumer of the Kafka telemetry bus (the controller side): one consumer group on the three topics. */
import type { Consumer, Kafka } from 'kafkajs';
import type { TelemetryMessage, TelemetrySubscriber } from '../bus.js';
import { decodeMessage } from '../codec.js';
import { createLogger, type Logger } from '../../util/logger.js';
import { ensureTelemetryTopics, fetchEndOffsets } from './admin.js';
import { UnavailableError } from '../../model/errors.js';
import { createKafkaClient, unreachableBrokers, type KafkaCommonOptions } from './client.js';

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
    this.kafka = createKafkaClient(opts, this.log, opts.clientId ?? 'fogsim-controller');
  }

  /** Brokers that do not answer: an UnavailableError naming them. */
  async subscribe(handler: (m: TelemetryMessage) => void): Promise<void> {
    this.handlers.add(handler);
    if (this.consumer) return;
    const brokers = this.opts.brokers;
    let topics: string[];
    let starts: Awaited<ReturnType<typeof fetchEndOffsets>>;
    try {
      topics = await ensureTelemetryTopics(this.kafka, this.opts);
      starts = this.opts.fromBeginning ? [] : await fetchEndOffsets(this.kafka, topics);
    } catch (e) {
      throw unreachableBrokers(e, brokers);
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
    await consumer.connect().catch((e: unknown) => {
      throw unreachableBrokers(e, brokers);
    });
    await consumer.subscribe({ topics, fromBeginning: this.opts.fromBeginning ?? false });
    await consumer.run({
      // commit after every message: a consumer restarted by a broker restart resumes from its
      // group's committed offset, and one that had not committed yet would skip to the end and
      // miss the backlog the nodes send on reconnecting (test/real/kafka-outage-run.test.ts)
      autoCommitThreshold: 1,
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
        timer = setTimeout(() => reject(new UnavailableError(`telemetry consumer did not join its group within ${timeout} ms (brokers ${brokers.join(',')})`)), timeout);
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
