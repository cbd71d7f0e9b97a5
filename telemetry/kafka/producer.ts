/**
 * Producer of the Kafka telemetry bus (the node side): publishing with a bounded outage buffer,
 * batching and a reconnect loop.
 */
import { Partitioners, type Kafka, type Producer, type TopicMessages } from 'kafkajs';
import type { TelemetryPublisher, TelemetryTopic } from '../bus.js';
import { BoundedBuffer } from '../buffer.js';
import { kafkaTopicName, makeMessage } from '../codec.js';
import { createLogger, type Logger } from '../../util/logger.js';
import { ensureTelemetryTopics } from './admin.js';
import { createKafkaClient, type KafkaCommonOptions } from './client.js';

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
    this.kafka = createKafkaClient(opts, this.log, opts.clientId ?? `fogsim-node-${process.pid}`);
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
