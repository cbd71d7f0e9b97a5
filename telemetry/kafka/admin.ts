/**
 * Topic admin of the Kafka telemetry bus: creates the three topics with the configured partitions
 * and replication, and reads their end offsets (where a subscriber that does not replay starts).
 */
import type { Kafka } from 'kafkajs';
import { TELEMETRY_TOPICS, kafkaTopicName } from '../codec.js';
import type { KafkaCommonOptions } from './client.js';

/** Creates the three topics if missing, with partitions and replication from the configuration. */
export async function ensureTelemetryTopics(kafka: Kafka, o: KafkaCommonOptions): Promise<string[]> {
  const prefix = o.topicPrefix ?? 'fogsim';
  const names = TELEMETRY_TOPICS.map((t) => kafkaTopicName(t, prefix));
  await ensureTopics(kafka, names, o.partitions ?? 3, o.replication ?? 1, 'set FOGSIM_KAFKA_PARTITIONS / FOGSIM_KAFKA_REPLICATION to fit the cluster');
  return names;
}

/**
 * Creates those of `names` that do not exist yet, each with `partitions` and `replication`; the
 * ones that exist stay as they are. `hint` says which setting fits them to the cluster.
 */
export async function ensureTopics(kafka: Kafka, names: string[], partitions: number, replication: number, hint: string): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = names.filter((n) => !existing.has(n));
    if (missing.length) {
      try {
        await admin.createTopics({
          waitForLeaders: true,
          topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: replication })),
        });
      } catch (e) {
        // Another node may have created them at the same moment; anything else is a real problem.
        if (!/already exists/i.test((e as Error).message)) {
          throw new Error(`creating Kafka topics ${missing.join(', ')} (partitions ${partitions}, replication ${replication}; ${hint}): ${(e as Error).message}`, { cause: e });
        }
      }
    }
    return missing;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** Retries a call on Kafka errors marked retriable (leader moves, coordinator loading) for up to `ms`. */
export async function retrying<T>(fn: () => Promise<T>, ms: number): Promise<T> {
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

/** The end offset (high watermark) of every partition of `topics`. */
export async function fetchEndOffsets(kafka: Kafka, topics: string[]): Promise<{ topic: string; partition: number; offset: string }[]> {
  const ends: { topic: string; partition: number; offset: string }[] = [];
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (const topic of topics) {
      // Right after creation a partition may still say "not the leader": retry briefly.
      const offsets = await retrying(() => admin.fetchTopicOffsets(topic), 15_000);
      for (const p of offsets) ends.push({ topic, partition: p.partition, offset: p.high });
    }
  } finally {
    await admin.disconnect().catch(() => {});
  }
  return ends;
}
