/**
 * The bus over Kafka (kafkajs), when FOGSIM_KAFKA_BROKERS is set. It keeps the contract of the
 * embedded bus: messages are placed by fogsim (stream/bus.ts) and sent to explicit partitions,
 * consumers commit after each batch their handler finished, and run() resolves once the member
 * has joined its group. The client is telemetry's (fail-fast timeouts, logging through pino);
 * a `socketFactory` routes every broker connection through a latency proxy.
 */
import type { Admin, Consumer, ISocketFactory, Kafka, Message, Producer } from 'kafkajs';
import { ConflictError, FogsimError, UnavailableError, UserError } from '../model/errors.js';
import { createLogger, type Logger } from '../util/logger.js';
import { createKafkaClient, unreachableBrokers } from '../telemetry/kafka/client.js';
import { ensureTopics, retrying } from '../telemetry/kafka/admin.js';
import {
  DEFAULT_BATCH,
  DEFAULT_SEND_TIMEOUT_MS,
  checkTopicName,
  placeMessages,
  withTimeout,
  type Acks,
  type BatchHandler,
  type BusConsumer,
  type BusProducer,
  type CommitOffset,
  type ConsumedBatch,
  type MessageBus,
  type PartitionOffsets,
  type ProducerOptions,
  type RunOptions,
  type SendResult,
  type StreamMessage,
  type SubscribeOptions,
} from './bus.js';

export interface KafkaBusOptions {
  brokers: string[];
  clientId?: string;
  /** replication of the topics createTopic makes (default 1) */
  replication?: number;
  /** opens the connections to the brokers, e.g. through the node's proxy so link latency applies */
  socketFactory?: ISocketFactory;
  logger?: Logger;
  /** sending to or subscribing to a missing topic creates it with this many partitions; unset (default): a UserError */
  autoCreatePartitions?: number;
  /** how long run() waits for the group join (default 30 s) */
  joinTimeoutMs?: number;
  /** how long admin calls, connect and close may take (default 15 s) */
  requestTimeoutMs?: number;
  /** the group's session timeout (default 10 s; the broker's minimum is 6 s) */
  sessionTimeoutMs?: number;
  /** called when a handler throws (its batch comes again after `retryMs`); default: a warning in the log */
  onHandlerError?: (e: unknown, batch: ConsumedBatch) => void;
  retryMs?: number;
}

/** The way on without Kafka, for the unreachable-broker message. */
const WITHOUT_KAFKA = 'unset FOGSIM_KAFKA_BROKERS to use the embedded bus';

export class KafkaBus implements MessageBus {
  readonly kind = 'kafka' as const;
  readonly kafka: Kafka;
  readonly log: Logger;
  private admin?: Promise<Admin>;
  private readonly counts = new Map<string, number>();
  private readonly open = new Set<{ close(): Promise<void> }>();
  private closed = false;

  constructor(readonly opts: KafkaBusOptions) {
    if (!opts.brokers.length) throw new UserError('Kafka bus: no brokers; set FOGSIM_KAFKA_BROKERS to host:port[,host:port...]');
    this.log = opts.logger ?? createLogger('stream');
    this.kafka = createKafkaClient({ brokers: opts.brokers, socketFactory: opts.socketFactory }, this.log, opts.clientId ?? 'fogsim-stream');
  }

  get brokers(): string {
    return this.opts.brokers.join(',');
  }

  /** Any kafkajs failure as the error fogsim promises: unreachable or slow broker, missing topic; a FogsimError as it is. */
  explain(e: unknown, what: string, topic?: string): Error {
    if (e instanceof FogsimError) return e;
    const mapped = unreachableBrokers(e, this.opts.brokers, WITHOUT_KAFKA);
    if (mapped instanceof UnavailableError) return mapped;
    const err = e as { name?: string; type?: string; message?: string; cause?: { type?: string; name?: string } };
    const type = err?.type ?? err?.cause?.type;
    if (topic && (type === 'UNKNOWN_TOPIC_OR_PARTITION' || /does not host this topic-partition/i.test(err?.message ?? ''))) return this.missingTopic(topic);
    const name = err?.name ?? '';
    if (/Timeout|NumberOfRetriesExceeded|ConnectionClosed|BrokerNotFound/.test(name) || /timed? ?out/i.test(err?.message ?? '')) {
      return new UnavailableError(
        `Kafka at ${this.brokers} (FOGSIM_KAFKA_BROKERS) did not answer ${what} (${err?.message ?? String(e)}): check that it runs (scripts/real/kafka.sh status) or ${WITHOUT_KAFKA}`,
        { cause: e },
      );
    }
    return e instanceof Error ? e : new Error(String(e));
  }

  private missingTopic(topic: string): UserError {
    return new UserError(`topic ${topic} does not exist on Kafka at ${this.brokers}: create it first (createTopic("${topic}", partitions)) or open the bus with autoCreatePartitions`);
  }

  /** Runs an admin or connect call with the request deadline, its failure explained. */
  async call<T>(what: string, fn: () => Promise<T>, topic?: string, ms = this.opts.requestTimeoutMs ?? 15_000): Promise<T> {
    if (this.closed) throw new UnavailableError('the Kafka message bus is closed: open a new bus (openBus) and connect again');
    try {
      return await withTimeout(fn(), ms, () => new UnavailableError(`Kafka at ${this.brokers} (FOGSIM_KAFKA_BROKERS) did not answer ${what} within ${ms} ms: check that it runs (scripts/real/kafka.sh status) or ${WITHOUT_KAFKA}`));
    } catch (e) {
      throw this.explain(e, what, topic);
    }
  }

  private connectedAdmin(): Promise<Admin> {
    if (!this.admin) {
      const admin = this.kafka.admin();
      this.admin = admin.connect().then(() => admin);
      this.admin.catch(() => (this.admin = undefined)); // the next call tries again
    }
    return this.admin;
  }

  async createTopic(name: string, partitions: number): Promise<void> {
    const bad = checkTopicName(name);
    if (bad) throw new UserError(bad);
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > 10_000) throw new UserError(`topic ${name}: partitions must be a whole number from 1 to 10000, got ${partitions}`);
    const replication = this.opts.replication ?? 1;
    await this.call(`creating topic ${name}`, () => ensureTopics(this.kafka, [name], partitions, replication, 'set the replication to at most the number of brokers'));
    this.counts.delete(name);
    const have = await this.partitions(name);
    if (have !== partitions) throw new UserError(`topic ${name} exists with ${have} partitions, not ${partitions}: use that count, another name, or delete it first`);
  }

  async deleteTopic(name: string): Promise<void> {
    this.counts.delete(name);
    await this.call(`deleting topic ${name}`, async () => {
      const admin = await this.connectedAdmin();
      if ((await admin.listTopics()).includes(name)) await admin.deleteTopics({ topics: [name], timeout: 10_000 });
    });
  }

  async partitions(topic: string): Promise<number> {
    const known = this.counts.get(topic);
    if (known) return known;
    const n = await this.call(
      `the metadata of ${topic}`,
      async () => {
        const admin = await this.connectedAdmin();
        // listTopics asks for every topic, which never creates one as a side effect
        if (!(await admin.listTopics()).includes(topic)) {
          if (!this.opts.autoCreatePartitions) throw this.missingTopic(topic);
          await ensureTopics(this.kafka, [topic], this.opts.autoCreatePartitions, this.opts.replication ?? 1, 'set the replication to at most the number of brokers');
        }
        // Right after creation a partition may still say "not the leader": retry briefly.
        const meta = await retrying(() => admin.fetchTopicMetadata({ topics: [topic] }), 10_000);
        return meta.topics[0]?.partitions.length ?? 0;
      },
      topic,
    );
    if (!n) throw this.missingTopic(topic);
    this.counts.set(topic, n);
    return n;
  }

  async groupOffsets(groupId: string, topic: string): Promise<PartitionOffsets[]> {
    await this.partitions(topic); // the clear error for a missing topic
    return this.call(
      `the offsets of group ${groupId} on ${topic}`,
      async () => {
        const admin = await this.connectedAdmin();
        const [ends, groups] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
        const committed = new Map((groups[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
        // Kafka says -1 for a partition the group never committed: it has read nothing there
        return ends.map((e) => ({ partition: e.partition, end: Number(e.high), committed: Math.max(0, committed.get(e.partition) ?? 0) })).sort((a, b) => a.partition - b.partition);
      },
      topic,
    );
  }

  producer(opts: ProducerOptions = {}): BusProducer {
    if (this.closed) throw new UnavailableError('the Kafka message bus is closed: open a new bus (openBus) and connect again');
    const p = new KafkaProducer(this, opts);
    this.open.add(p);
    return p;
  }

  consumer(groupId: string, topic: string): BusConsumer {
    if (this.closed) throw new UnavailableError('the Kafka message bus is closed: open a new bus (openBus) and connect again');
    if (!groupId) throw new UserError('consumer: the group id must not be empty');
    const c = new KafkaConsumer(this, groupId, topic);
    this.open.add(c);
    return c;
  }

  forget(c: { close(): Promise<void> }): void {
    this.open.delete(c);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await Promise.all([...this.open].map((c) => c.close().catch(() => {})));
    const admin = this.admin;
    this.closed = true;
    if (admin) await withTimeout(admin.then((a) => a.disconnect()), 5000, () => new Error('admin disconnect')).catch(() => {});
  }
}

class KafkaProducer implements BusProducer {
  private readonly producer: Producer;
  private connected?: Promise<void>;
  private readonly acks: Acks;
  private readonly batch: number;
  private readonly timeoutMs: number;
  private readonly next = new Map<string, number>();
  private closed = false;

  constructor(
    private readonly bus: KafkaBus,
    opts: ProducerOptions,
  ) {
    this.acks = opts.acks ?? -1;
    this.batch = opts.batch ?? DEFAULT_BATCH;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_SEND_TIMEOUT_MS;
    // fogsim places every message itself; a missing topic is an error, not a side effect of sending
    this.producer = bus.kafka.producer({ allowAutoTopicCreation: false });
  }

  private connect(): Promise<void> {
    if (!this.connected) {
      this.connected = this.bus.call('the producer connection', () => this.producer.connect());
      this.connected.catch(() => (this.connected = undefined));
    }
    return this.connected;
  }

  async send(topic: string, messages: StreamMessage[]): Promise<SendResult[]> {
    if (this.closed) throw new UserError('producer: send after close(); make a new producer');
    const partitions = await this.bus.partitions(topic);
    await this.connect();
    const { placed, next } = placeMessages(messages, partitions, this.next.get(topic) ?? 0);
    this.next.set(topic, next);
    const results = new Array<SendResult>(messages.length);
    for (let i = 0; i < messages.length; i += this.batch) {
      const end = Math.min(messages.length, i + this.batch);
      const chunk: Message[] = [];
      for (let j = i; j < end; j++) {
        const m = messages[j];
        chunk.push({ key: m.key, value: m.value, timestamp: String(m.timestampMs), partition: placed[j] });
      }
      const meta = await this.bus.call(`a send to ${topic}`, () => this.producer.send({ topic, acks: this.acks, timeout: this.timeoutMs, messages: chunk }), topic, this.timeoutMs + 1000);
      // Kafka appends one partition's messages of a request contiguously, in request order, from its base offset.
      const base = new Map<number, number>();
      for (const r of meta ?? []) if (r.baseOffset !== undefined && Number(r.baseOffset) >= 0) base.set(r.partition, Number(r.baseOffset));
      for (let j = i; j < end; j++) {
        const p = placed[j];
        const b = this.acks === 0 ? undefined : base.get(p);
        if (b === undefined) results[j] = { partition: p, offset: -1 };
        else {
          results[j] = { partition: p, offset: b };
          base.set(p, b + 1);
        }
      }
    }
    return results;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.bus.forget(this);
    if (this.connected) await withTimeout(this.producer.disconnect(), 5000, () => new Error('producer disconnect')).catch(() => {});
  }
}

class KafkaConsumer implements BusConsumer {
  private readonly consumer: Consumer;
  private subscribed = false;
  private running = false;
  private closing = false;
  private assigned: number[] = [];
  private readonly handled = new Map<number, number>();
  private readonly events: (() => void)[] = [];

  constructor(
    private readonly bus: KafkaBus,
    private readonly groupId: string,
    private readonly topic: string,
  ) {
    const session = bus.opts.sessionTimeoutMs ?? 10_000;
    this.consumer = bus.kafka.consumer({
      groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: session,
      // a third of the session, as Kafka advises; a member that left is noticed by the others at their next heartbeat
      heartbeatInterval: Math.max(300, Math.floor(session / 10)),
      rebalanceTimeout: 20_000,
      // short fetch waits: close() waits for the fetch in flight, and an idle partition should not hold it up
      maxWaitTimeInMs: 250,
      retry: { initialRetryTime: 150, retries: 5, maxRetryTime: 2000 },
    });
    const { GROUP_JOIN, CRASH } = this.consumer.events;
    this.events.push(
      this.consumer.on(GROUP_JOIN, (e) => {
        this.assigned = [...(e.payload.memberAssignment[this.topic] ?? [])].sort((a, b) => a - b);
        for (const p of [...this.handled.keys()]) if (!this.assigned.includes(p)) this.handled.delete(p);
      }),
      this.consumer.on(CRASH, (e) => {
        if (!e.payload.restart) bus.log.warn({ groupId, topic, err: e.payload.error?.message }, 'stream consumer stopped after an error');
      }),
    );
  }

  async subscribe(opts: SubscribeOptions = {}): Promise<void> {
    if (this.closing) throw new UserError('consumer: subscribe after close(); make a new consumer');
    await this.bus.partitions(this.topic); // the clear error for a missing topic
    await this.bus.call('the consumer connection', () => this.consumer.connect());
    await this.bus.call(`subscribing to ${this.topic}`, () => this.consumer.subscribe({ topics: [this.topic], fromBeginning: opts.fromBeginning ?? false }), this.topic);
    this.subscribed = true;
  }

  async run(handler: BatchHandler, opts: RunOptions = {}): Promise<void> {
    if (!this.subscribed) throw new UserError(`consumer of ${this.topic}: call subscribe() before run()`);
    if (this.running) throw new UserError(`consumer of ${this.topic}: run() was called already`);
    this.running = true;
    const autoCommit = opts.autoCommit ?? true;
    const joined = new Promise<void>((resolve) => {
      const off = this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
        off();
        resolve();
      });
    });
    await this.bus.call(`starting consumer group ${this.groupId}`, () =>
      this.consumer.run({
        autoCommit: false, // committed below, after the handler, so a restart resumes exactly there
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
          if (!batch.messages.length) return;
          const b: ConsumedBatch = {
            topic: batch.topic,
            partition: batch.partition,
            messages: batch.messages.map((m) => ({
              partition: batch.partition,
              offset: Number(m.offset),
              key: m.key ? m.key.toString('utf8') : undefined,
              value: m.value ?? Buffer.alloc(0),
              timestampMs: Number(m.timestamp),
            })),
          };
          for (;;) {
            try {
              await handler(b);
              break;
            } catch (e) {
              if (this.bus.opts.onHandlerError) this.bus.opts.onHandlerError(e, b);
              else this.bus.log.warn({ topic: b.topic, partition: b.partition, offset: b.messages[0].offset, err: (e as Error)?.message }, 'stream handler failed; the batch comes again');
              await new Promise((r) => setTimeout(r, this.bus.opts.retryMs ?? 100));
              if (!isRunning() || isStale()) return; // closing, or the partition moved: its next owner gets the batch
              await heartbeat();
            }
          }
          const last = b.messages[b.messages.length - 1].offset;
          resolveOffset(String(last));
          this.handled.set(b.partition, last + 1);
          if (autoCommit) {
            await this.consumer.commitOffsets([{ topic: this.topic, partition: b.partition, offset: String(last + 1) }]).catch((e: Error) => {
              // a rebalance under way: the next owner re-reads from the last commit (at-least-once)
              this.bus.log.debug({ err: e.message, partition: b.partition }, 'stream commit after a rebalance failed');
            });
          }
          await heartbeat();
        },
      }),
    );
    const ms = this.bus.opts.joinTimeoutMs ?? 30_000;
    await withTimeout(joined, ms, () => new UnavailableError(`consumer group ${this.groupId} did not join on Kafka at ${this.bus.brokers} within ${ms} ms: check the broker (scripts/real/kafka.sh status) or ${WITHOUT_KAFKA}`));
  }

  async commit(offsets?: CommitOffset[]): Promise<void> {
    const list = offsets ?? [...this.handled].map(([partition, offset]) => ({ partition, offset }));
    if (!list.length) return;
    try {
      await this.bus.call(`committing offsets of group ${this.groupId}`, () => this.consumer.commitOffsets(list.map((o) => ({ topic: this.topic, partition: o.partition, offset: String(o.offset) }))), this.topic);
    } catch (e) {
      const type = (e as { type?: string }).type ?? ((e as { cause?: { type?: string } }).cause?.type);
      if (type === 'REBALANCE_IN_PROGRESS' || type === 'ILLEGAL_GENERATION' || type === 'UNKNOWN_MEMBER_ID') {
        throw new ConflictError(`consumer group ${this.groupId}: a rebalance moved partitions of ${this.topic} away from this member; their new owners resume from the last commit`, { cause: e });
      }
      throw e;
    }
  }

  assignment(): number[] {
    return [...this.assigned];
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.bus.forget(this);
    for (const off of this.events) off();
    // disconnect stops the run loop (after the batch in hand and its commit) and leaves the group
    await withTimeout(this.consumer.disconnect(), this.bus.opts.requestTimeoutMs ?? 15_000, () => new Error('consumer disconnect')).catch((e: Error) =>
      this.bus.log.warn({ err: e.message, groupId: this.groupId }, 'stream consumer did not disconnect cleanly'),
    );
  }
}
