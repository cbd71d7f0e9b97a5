/**
 * The message bus of streaming workloads (DESIGN.md section 14): partitioned topics, producers
 * that resolve on the bus's acknowledgement, consumer groups that share a topic's partitions.
 * Two implementations keep this one contract (test/stream/bus.contract.test.ts): the embedded
 * in-process log (stream/embedded-bus.ts, the default) and Kafka (stream/kafka-bus.ts, when
 * FOGSIM_KAFKA_BROKERS is set). stream/open.ts chooses between them.
 *
 * Both place messages themselves (partitionFor, round-robin), so a key lands on the same
 * partition whichever bus carries it; the hash is Kafka's own (murmur2), so a Java or librdkafka
 * producer writing the same key to a Kafka topic agrees as well.
 */

/** 0: no acknowledgement awaited (offsets unknown), 1: the leader has it, -1: all in-sync replicas have it. */
export type Acks = 0 | 1 | -1;
export const ACKS: readonly Acks[] = [0, 1, -1];

export interface StreamMessage {
  /** messages with a key go to partition hash(key) % partitions; without one, round-robin */
  key?: string;
  value: Buffer | string;
  timestampMs: number;
}

/** Where one sent message was written. `offset` is -1 with acks 0 (no acknowledgement carries it). */
export interface SendResult {
  partition: number;
  offset: number;
}

export interface ProducerOptions {
  /** default -1 (all replicas), what the nodes' telemetry uses */
  acks?: Acks;
  /** most messages in one request to the bus; a larger send goes out as several, in order. Default 1000. */
  batch?: number;
  /** a send not acknowledged within this many ms fails with UnavailableError; default 15000 */
  timeoutMs?: number;
}

export interface BusProducer {
  /** Resolves once the bus acknowledged every message (with acks 0: once they are written out), one result per message in order. */
  send(topic: string, messages: StreamMessage[]): Promise<SendResult[]>;
  close(): Promise<void>;
}

export interface ConsumedMessage {
  partition: number;
  offset: number;
  key?: string;
  value: Buffer;
  timestampMs: number;
}

/** Consecutive messages of one partition, in offset order. */
export interface ConsumedBatch {
  topic: string;
  partition: number;
  messages: ConsumedMessage[];
}

export type BatchHandler = (batch: ConsumedBatch) => Promise<void> | void;

export interface SubscribeOptions {
  /** where a group with no committed offset for a partition starts: true the oldest retained message, false (default, as Kafka) new messages only */
  fromBeginning?: boolean;
}

export interface RunOptions {
  /** commit after each batch the handler finished (default true); false: call commit() yourself */
  autoCommit?: boolean;
}

export interface CommitOffset {
  partition: number;
  /** the next offset to read, as Kafka commits: last handled + 1 */
  offset: number;
}

export interface BusConsumer {
  subscribe(opts?: SubscribeOptions): Promise<void>;
  /**
   * Joins the group and calls `handler` for each batch, one at a time, in the background.
   * Resolves once this member has its first assignment. A handler that throws gets the same batch
   * again after a pause (nothing is committed past it): at-least-once delivery.
   */
  run(handler: BatchHandler, opts?: RunOptions): Promise<void>;
  /** Commits the given offsets, or without any, the position after every batch handled so far. */
  commit(offsets?: CommitOffset[]): Promise<void>;
  /** the partitions this member holds now */
  assignment(): number[];
  /** Finishes the batch in hand (and its commit), then leaves the group: its partitions go to the others. */
  close(): Promise<void>;
}

/** One partition's end offset (the next offset to be written) and a group's committed offset there (0 when it committed none). */
export interface PartitionOffsets {
  partition: number;
  end: number;
  committed: number;
}

/** Consumer lag: messages written and not yet committed by the group, over every partition. */
export function lagOf(offsets: readonly PartitionOffsets[]): number {
  return offsets.reduce((n, o) => n + Math.max(0, o.end - o.committed), 0);
}

export interface MessageBus {
  readonly kind: 'embedded' | 'kafka';
  /** Creates the topic; a topic that exists with this many partitions is fine, with another count a UserError. */
  createTopic(name: string, partitions: number): Promise<void>;
  deleteTopic(name: string): Promise<void>;
  /** the number of partitions of an existing topic; a UserError naming the topic and the fix if there is none */
  partitions(topic: string): Promise<number>;
  /** End and committed offsets of a group on every partition of a topic (for lag and input rate); a UserError for a missing topic. */
  groupOffsets(groupId: string, topic: string): Promise<PartitionOffsets[]>;
  producer(opts?: ProducerOptions): BusProducer;
  consumer(groupId: string, topic: string): BusConsumer;
  /** Closes every producer and consumer of this bus. */
  close(): Promise<void>;
}

export const DEFAULT_BATCH = 1000;
export const DEFAULT_SEND_TIMEOUT_MS = 15_000;

/**
 * Kafka's murmur2 (the 32-bit variant of its Java client's `Utils.murmur2`, seed 0x9747b28c), over
 * the key's UTF-8 bytes. Math.imul keeps the multiplications in 32 bits as Java's int arithmetic does.
 */
export function murmur2(data: Buffer): number {
  const m = 0x5bd1e995;
  const r = 24;
  const length = data.length;
  let h = (0x9747b28c ^ length) | 0;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const rest = length & 3;
  // the tail bytes fall through, as in Java's switch
  if (rest === 3) h ^= data[whole + 2] << 16;
  if (rest >= 2) h ^= data[whole + 1] << 8;
  if (rest >= 1) {
    h ^= data[whole];
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h;
}

/** The partition of a keyed message: Kafka's default rule, toPositive(murmur2(key)) % partitions. */
export function partitionFor(key: string, partitions: number): number {
  return (murmur2(Buffer.from(key, 'utf8')) & 0x7fffffff) % partitions;
}

/**
 * Places a batch: keyed messages by partitionFor, the others round-robin from `next` (the
 * producer's counter, per topic). Returns the partition of each message and the new counter.
 */
export function placeMessages(messages: StreamMessage[], partitions: number, next: number): { placed: number[]; next: number } {
  const placed = new Array<number>(messages.length);
  for (let i = 0; i < messages.length; i++) {
    const key = messages[i].key;
    if (key !== undefined) placed[i] = partitionFor(key, partitions);
    else {
      placed[i] = next % partitions;
      next = (next + 1) % partitions;
    }
  }
  return { placed, next };
}

/** Round-robin assignment of a topic's partitions to the members of a group, in join order. */
export function assignPartitions(partitions: number, members: number): number[][] {
  const out: number[][] = Array.from({ length: members }, () => []);
  if (members === 0) return out;
  for (let p = 0; p < partitions; p++) out[p % members].push(p);
  return out;
}

/** A valid topic name (Kafka's rule: 1-249 of letters, digits, '.', '_', '-'). */
export function checkTopicName(name: string): string | undefined {
  if (!/^[A-Za-z0-9._-]{1,249}$/.test(name) || name === '.' || name === '..') {
    return `topic name ${JSON.stringify(name)} is not valid: use 1-249 letters, digits, '.', '_' or '-'`;
  }
  return undefined;
}

/** Rejects a promise that does not settle within `ms` with the error `onTimeout` makes: no call waits forever. */
export function withTimeout<T>(p: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
    timer.unref?.();
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}
