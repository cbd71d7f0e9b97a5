/**
 * The embedded bus: an in-process partitioned log, the default when no Kafka is configured.
 * Each partition is an append-only log with offsets from 0, kept in a ring of `retention`
 * messages (memory stays bounded however long a stream runs; a consumer that fell behind the
 * oldest kept message skips ahead to it). Groups keep committed offsets per partition, and split
 * a topic's partitions among their members, as Kafka's consumer groups do.
 */
import { ConflictError, UnavailableError, UserError } from '../model/errors.js';
import {
  DEFAULT_BATCH,
  assignPartitions,
  checkTopicName,
  placeMessages,
  type Acks,
  type BatchHandler,
  type BusConsumer,
  type BusProducer,
  type CommitOffset,
  type ConsumedBatch,
  type ConsumedMessage,
  type MessageBus,
  type PartitionOffsets,
  type ProducerOptions,
  type RunOptions,
  type SendResult,
  type StreamMessage,
  type SubscribeOptions,
} from './bus.js';

export interface EmbeddedBusOptions {
  /** messages kept per partition (default 100,000); older ones are dropped */
  retention?: number;
  /** sending to or subscribing to a missing topic creates it with this many partitions; unset (default): a UserError */
  autoCreatePartitions?: number;
  /** most messages in one batch a consumer gets (default 500) */
  maxBatch?: number;
  /** called when a handler throws (its batch comes again after `retryMs`); default: the error on stderr */
  onHandlerError?: (e: unknown, batch: ConsumedBatch) => void;
  /** pause before a failed batch is handed over again (default 100 ms) */
  retryMs?: number;
}

export const DEFAULT_RETENTION = 100_000;

interface Stored {
  key?: string;
  value: Buffer;
  timestampMs: number;
}

/** One partition's log: offsets start..end-1 are kept, offset o at slot o % capacity. */
class Log {
  private readonly slots: Stored[] = [];
  start = 0;
  end = 0;
  constructor(private readonly capacity: number) {}

  append(m: Stored): number {
    const offset = this.end++;
    // Filled in offset order from 0, so until the ring is full the slot of o is o itself.
    if (this.slots.length < this.capacity) this.slots.push(m);
    else this.slots[offset % this.capacity] = m;
    if (this.end - this.start > this.capacity) this.start = this.end - this.capacity;
    return offset;
  }

  read(partition: number, from: number, max: number): ConsumedMessage[] {
    const out: ConsumedMessage[] = [];
    const to = Math.min(this.end, from + max);
    for (let o = Math.max(from, this.start); o < to; o++) {
      const s = this.slots[o % this.capacity];
      out.push({ partition, offset: o, key: s.key, value: s.value, timestampMs: s.timestampMs });
    }
    return out;
  }
}

class Topic {
  readonly logs: Log[];
  readonly groups = new Map<string, Group>();
  constructor(
    readonly name: string,
    retention: number,
    partitions: number,
  ) {
    this.logs = Array.from({ length: partitions }, () => new Log(retention));
  }
}

class Group {
  readonly members: EmbeddedConsumer[] = [];
  /** next offset to read per partition, as committed; absent: never committed */
  readonly committed = new Map<number, number>();
  /** partitions whose batch a member is handling now: their next owner waits for it (and its commit) */
  readonly busy = new Set<number>();
  constructor(
    readonly id: string,
    readonly topic: Topic,
  ) {}

  join(c: EmbeddedConsumer): void {
    this.members.push(c);
    this.rebalance();
  }
  leave(c: EmbeddedConsumer): void {
    const i = this.members.indexOf(c);
    if (i >= 0) this.members.splice(i, 1);
    this.rebalance();
  }
  private rebalance(): void {
    const plan = assignPartitions(this.topic.logs.length, this.members.length);
    this.members.forEach((m, i) => m.assign(plan[i]));
  }
  wakeAll(): void {
    for (const m of this.members) m.wake();
  }
}

export class EmbeddedBus implements MessageBus {
  readonly kind = 'embedded' as const;
  private readonly topics = new Map<string, Topic>();
  private readonly retention: number;
  private readonly consumers = new Set<EmbeddedConsumer>();
  private closed = false;

  constructor(readonly opts: EmbeddedBusOptions = {}) {
    this.retention = opts.retention ?? DEFAULT_RETENTION;
    if (!Number.isInteger(this.retention) || this.retention < 1) throw new UserError(`embedded bus: retention must be a whole number >= 1 (messages per partition), got ${this.retention}`);
  }

  async createTopic(name: string, partitions: number): Promise<void> {
    this.checkOpen();
    const bad = checkTopicName(name);
    if (bad) throw new UserError(bad);
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > 10_000) throw new UserError(`topic ${name}: partitions must be a whole number from 1 to 10000, got ${partitions}`);
    const t = this.topics.get(name);
    if (t) {
      if (t.logs.length !== partitions) throw new UserError(`topic ${name} exists with ${t.logs.length} partitions, not ${partitions}: use that count, another name, or delete it first`);
      return;
    }
    this.topics.set(name, new Topic(name, this.retention, partitions));
  }

  async deleteTopic(name: string): Promise<void> {
    this.checkOpen();
    const t = this.topics.get(name);
    if (!t) return;
    this.topics.delete(name);
    for (const g of t.groups.values()) for (const m of [...g.members]) await m.close();
  }

  async partitions(topic: string): Promise<number> {
    return this.topic(topic).logs.length;
  }

  async groupOffsets(groupId: string, topic: string): Promise<PartitionOffsets[]> {
    const t = this.topic(topic);
    const g = t.groups.get(groupId);
    // a group that never committed a partition has read nothing of it (as Kafka reports offset -1)
    return t.logs.map((log, partition) => ({ partition, end: log.end, committed: g?.committed.get(partition) ?? 0 }));
  }

  producer(opts: ProducerOptions = {}): BusProducer {
    this.checkOpen();
    return new EmbeddedProducer(this, opts);
  }

  consumer(groupId: string, topic: string): BusConsumer {
    this.checkOpen();
    if (!groupId) throw new UserError('consumer: the group id must not be empty');
    const c = new EmbeddedConsumer(this, groupId, topic);
    this.consumers.add(c);
    return c;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await Promise.all([...this.consumers].map((c) => c.close()));
    this.closed = true;
    this.topics.clear();
  }

  // --- for the producer and consumers of this bus

  checkOpen(): void {
    if (this.closed) throw new UnavailableError('the embedded message bus is closed (its process shut it down): open a new bus (openBus) and connect again');
  }

  topic(name: string): Topic {
    this.checkOpen();
    let t = this.topics.get(name);
    if (!t && this.opts.autoCreatePartitions) {
      const bad = checkTopicName(name);
      if (bad) throw new UserError(bad);
      t = new Topic(name, this.retention, this.opts.autoCreatePartitions);
      this.topics.set(name, t);
    }
    if (!t) throw new UserError(`topic ${name} does not exist on the embedded bus: create it first (createTopic("${name}", partitions)) or open the bus with autoCreatePartitions`);
    return t;
  }

  group(t: Topic, id: string): Group {
    let g = t.groups.get(id);
    if (!g) t.groups.set(id, (g = new Group(id, t)));
    return g;
  }

  forget(c: EmbeddedConsumer): void {
    this.consumers.delete(c);
  }
}

class EmbeddedProducer implements BusProducer {
  private readonly acks: Acks;
  private readonly batch: number;
  /** round-robin counter per topic for messages without a key */
  private readonly next = new Map<string, number>();
  private closed = false;

  constructor(
    private readonly bus: EmbeddedBus,
    opts: ProducerOptions,
  ) {
    this.acks = opts.acks ?? -1;
    this.batch = opts.batch ?? DEFAULT_BATCH;
  }

  async send(topicName: string, messages: StreamMessage[]): Promise<SendResult[]> {
    if (this.closed) throw new UserError('producer: send after close(); make a new producer');
    const topic = this.bus.topic(topicName);
    const { placed, next } = placeMessages(messages, topic.logs.length, this.next.get(topicName) ?? 0);
    this.next.set(topicName, next);
    const results = new Array<SendResult>(messages.length);
    const touched = new Set<number>();
    // Requests of `batch` messages, as the Kafka producer sends them: consumers may see the first
    // request's messages before the last is appended.
    for (let i = 0; i < messages.length; i += this.batch) {
      for (let j = i; j < Math.min(messages.length, i + this.batch); j++) {
        const m = messages[j];
        const p = placed[j];
        const value = typeof m.value === 'string' ? Buffer.from(m.value, 'utf8') : m.value;
        const offset = topic.logs[p].append({ key: m.key, value, timestampMs: m.timestampMs });
        results[j] = { partition: p, offset: this.acks === 0 ? -1 : offset };
        touched.add(p);
      }
    }
    for (const g of topic.groups.values()) for (const c of g.members) if (c.holdsAny(touched)) c.wake();
    return results;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

class EmbeddedConsumer implements BusConsumer {
  private subscribed?: SubscribeOptions;
  private group?: Group;
  private assigned: number[] = [];
  /** next offset to hand over, per held partition */
  private readonly positions = new Map<number, number>();
  /** where a newly held partition without a committed offset starts (fixed when it was assigned) */
  private readonly fallback = new Map<number, number>();
  /** the position after the last batch handled, per partition: what commit() without offsets commits */
  private readonly handled = new Map<number, number>();
  private inHand?: number;
  private waiter?: () => void;
  private loop?: Promise<void>;
  private rotate = 0;
  private closing = false;

  constructor(
    private readonly bus: EmbeddedBus,
    private readonly groupId: string,
    private readonly topicName: string,
  ) {}

  async subscribe(opts: SubscribeOptions = {}): Promise<void> {
    if (this.closing) throw new UserError('consumer: subscribe after close(); make a new consumer');
    this.bus.topic(this.topicName); // the clear error for a missing topic, now rather than at run()
    this.subscribed = opts;
  }

  async run(handler: BatchHandler, opts: RunOptions = {}): Promise<void> {
    if (!this.subscribed) throw new UserError(`consumer of ${this.topicName}: call subscribe() before run()`);
    if (this.group) throw new UserError(`consumer of ${this.topicName}: run() was called already`);
    if (this.closing) throw new UserError('consumer: run after close(); make a new consumer');
    const topic = this.bus.topic(this.topicName);
    this.group = this.bus.group(topic, this.groupId);
    this.group.join(this);
    this.loop = this.consume(handler, opts.autoCommit ?? true);
  }

  async commit(offsets?: CommitOffset[]): Promise<void> {
    this.bus.checkOpen();
    const g = this.group;
    if (!g) throw new UserError(`consumer of ${this.topicName}: nothing to commit before run()`);
    const list = offsets ?? [...this.handled].map(([partition, offset]) => ({ partition, offset }));
    for (const { partition, offset } of list) {
      if (!this.assigned.includes(partition) && this.inHand !== partition) {
        throw new ConflictError(`consumer group ${this.groupId}: partition ${partition} of ${this.topicName} is no longer assigned to this member (a rebalance moved it); its new owner resumes from the last commit`);
      }
      g.committed.set(partition, offset);
    }
  }

  assignment(): number[] {
    return [...this.assigned];
  }

  async close(): Promise<void> {
    if (this.closing) return this.loop;
    this.closing = true;
    this.wake();
    await this.loop;
    this.group?.leave(this);
    this.bus.forget(this);
  }

  // --- called by the group and the producers

  assign(partitions: number[]): void {
    const t = this.group!.topic;
    for (const p of this.assigned) {
      if (!partitions.includes(p)) {
        this.positions.delete(p);
        this.fallback.delete(p);
        this.handled.delete(p);
      }
    }
    for (const p of partitions) {
      if (!this.assigned.includes(p)) this.fallback.set(p, this.subscribed?.fromBeginning ? t.logs[p].start : t.logs[p].end);
    }
    this.assigned = partitions;
    this.wake();
  }

  holdsAny(partitions: Set<number>): boolean {
    return this.assigned.some((p) => partitions.has(p));
  }

  wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /** The next batch of a held partition that no other member is finishing, fairly across partitions. */
  private nextBatch(): ConsumedBatch | undefined {
    const g = this.group!;
    const n = this.assigned.length;
    for (let k = 0; k < n; k++) {
      const p = this.assigned[(this.rotate + k) % n];
      if (g.busy.has(p)) continue;
      let pos = this.positions.get(p);
      if (pos === undefined) {
        // first read since it was assigned: the group's commit (made by a previous owner) wins
        pos = g.committed.get(p) ?? this.fallback.get(p) ?? 0;
        this.positions.set(p, pos);
      }
      const log = g.topic.logs[p];
      if (pos < log.start) pos = log.start; // retention dropped what it had not read yet
      if (pos >= log.end) continue;
      this.rotate = (this.rotate + k + 1) % n;
      return { topic: this.topicName, partition: p, messages: log.read(p, pos, this.bus.opts.maxBatch ?? 500) };
    }
    return undefined;
  }

  private async consume(handler: BatchHandler, autoCommit: boolean): Promise<void> {
    const g = this.group!;
    while (!this.closing) {
      const batch = this.nextBatch();
      if (!batch) {
        await new Promise<void>((r) => (this.waiter = r));
        continue;
      }
      const p = batch.partition;
      const after = batch.messages[batch.messages.length - 1].offset + 1;
      g.busy.add(p);
      this.inHand = p;
      try {
        await handler(batch);
        if (this.assigned.includes(p)) this.positions.set(p, after);
        this.handled.set(p, after);
        if (autoCommit) g.committed.set(p, after);
      } catch (e) {
        (this.bus.opts.onHandlerError ?? defaultHandlerError)(e, batch);
        // nothing committed or advanced: the same batch comes again, after a pause that close() cuts short
        await new Promise<void>((r) => {
          const t = setTimeout(r, this.bus.opts.retryMs ?? 100);
          this.waiter = () => {
            clearTimeout(t);
            r();
          };
        });
      } finally {
        this.inHand = undefined;
        g.busy.delete(p);
        if (!this.assigned.includes(p)) this.handled.delete(p);
        g.wakeAll(); // a new owner of p may be waiting for this batch to finish
      }
      // A handler that never awaits would otherwise hold the event loop for as long as there is data.
      await new Promise<void>((r) => setImmediate(r));
    }
  }
}

function defaultHandlerError(e: unknown, batch: ConsumedBatch): void {
  console.error(`fogsim stream: the handler failed on ${batch.topic}/${batch.partition} at offset ${batch.messages[0]?.offset} (it comes again): ${(e as Error)?.message ?? String(e)}`);
}
