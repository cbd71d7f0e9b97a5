import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { KafkaTelemetryPublisher, KafkaTelemetrySubscriber } from '../../telemetry/kafka/index.js';
import type { TelemetryMessage } from '../../telemetry/bus.js';
import { readInfraConfig } from '../../util/config.js';
import { captureLogger, waitFor } from '../telemetry/helpers.js';

const run = promisify(execFile);
const brokers = readInfraConfig().kafkaBrokers;
// The outage test stops and restarts the broker through its script, so only the broker that
// scripts/real/kafka.sh manages will do.
const SCRIPT_BROKER = '127.0.0.1:19092';
const scriptBroker = brokers?.length === 1 && brokers[0] === SCRIPT_BROKER;

if (!brokers && process.env.CI) {
  // In CI a missing broker is a broken setup, never a silent skip.
  describe('real Kafka', () => {
    it('has FOGSIM_KAFKA_BROKERS in CI', () => {
      throw new Error('CI is set but FOGSIM_KAFKA_BROKERS is not: run scripts/real/up.sh and source $FOGSIM_REAL_DIR/env.sh before npm run test:real');
    });
  });
}

const prefix = `fogsim-test-${process.pid}-${Date.now().toString(36)}`;
const opened: { close(): Promise<void> }[] = [];
afterAll(async () => {
  await Promise.all(opened.map((c) => c.close().catch(() => {})));
  if (!brokers) return;
  // Private topics of this run: delete them, or every later broker start has more logs to load.
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  const mine = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
  if (mine.length) await admin.deleteTopics({ topics: mine }).catch(() => {});
  await admin.disconnect();
});

// A restart on a loaded two-core machine can take well over the script's default 90 s.
const scriptEnv = { ...process.env, FOGSIM_KAFKA_START_TIMEOUT: process.env.FOGSIM_KAFKA_START_TIMEOUT ?? '240' };

const seqOf = (m: TelemetryMessage) => (m.payload as { seq: number }).seq;

describe.skipIf(!brokers)('telemetry through a real Kafka broker (skipped: FOGSIM_KAFKA_BROKERS unset; run scripts/real/up.sh kafka)', () => {
  it('round trip: every topic, key and payload arrives, topics made with the configured partitions', async () => {
    const log = captureLogger();
    const p = `${prefix}-rt`;
    const sub = new KafkaTelemetrySubscriber({ brokers: brokers!, topicPrefix: p, partitions: 2, replication: 1, logger: log.logger });
    opened.push(sub);
    const got: TelemetryMessage[] = [];
    await sub.subscribe((m) => got.push(m));
    const pub = new KafkaTelemetryPublisher({ brokers: brokers!, topicPrefix: p, partitions: 2, replication: 1, logger: log.logger });
    opened.push(pub);
    for (let i = 0; i < 30; i++) pub.publish('runs', String((i % 3) + 1), { seq: i, rtMs: 100 + i });
    pub.publish('events', '2', { seq: 1000, action: 'M3_2' });
    pub.publish('feedback', '1', { seq: 2000, value: 0.75 });
    expect(await pub.flush(20_000)).toBe(true);
    await waitFor(() => got.length >= 32, 30_000, '32 messages at the subscriber');
    expect(pub.sent).toBe(32);
    expect(sub.rejected).toBe(0);
    const runs = got.filter((m) => m.topic === 'runs');
    expect(runs.map(seqOf).sort((a, b) => a - b)).toEqual([...Array(30).keys()]);
    // Keyed by app id: one partition per key, so each app's runs stay in publish order.
    for (const app of ['1', '2', '3']) {
      const seqs = runs.filter((m) => m.key === app).map(seqOf);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(seqs).toHaveLength(10);
    }
    expect(got.find((m) => m.topic === 'events')).toMatchObject({ v: 1, key: '2', payload: { action: 'M3_2' } });
    expect(got.find((m) => m.topic === 'feedback')).toMatchObject({ v: 1, key: '1', payload: { value: 0.75 } });

    const admin = new Kafka({ brokers: brokers!, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const meta = await admin.fetchTopicMetadata({ topics: [`${p}.runs`, `${p}.events`, `${p}.feedback`] });
    await admin.disconnect();
    expect(meta.topics.map((t) => t.partitions.length)).toEqual([2, 2, 2]);
  });

  it.skipIf(!scriptBroker)(
    `broker stopped mid-run and restarted: publish never throws, the log says it buffers, all buffered telemetry arrives (needs the ${SCRIPT_BROKER} broker of scripts/real/kafka.sh)`,
    async () => {
      const log = captureLogger();
      const small = captureLogger();
      const p = `${prefix}-outage`;
      const common = { brokers: brokers!, topicPrefix: p, partitions: 3, replication: 1, retryMinMs: 200, retryMaxMs: 1000 };
      const subLog = captureLogger();
      const sub = new KafkaTelemetrySubscriber({ ...common, logger: subLog.logger });
      opened.push(sub);
      const got = new Map<string, Set<number>>();
      await sub.subscribe((m) => {
        const s = got.get(m.key) ?? new Set<number>();
        s.add(seqOf(m));
        got.set(m.key, s);
      });
      // The node under test: a bound large enough for the whole outage (150 msg/s; a broker
      // restart on a loaded machine has taken 40 s, i.e. 6000 messages).
      const pub = new KafkaTelemetryPublisher({ ...common, maxBuffered: 100_000, logger: log.logger });
      // A second node with a tiny bound: must drop its oldest and deliver its newest 20.
      const tiny = new KafkaTelemetryPublisher({ ...common, maxBuffered: 20, logger: small.logger });
      opened.push(pub, tiny);
      tiny.publish('runs', 'tiny', { seq: -1 });
      expect(await tiny.flush(20_000)).toBe(true);

      let seq = 0;
      let throws = 0;
      let tinySeq = 0;
      let publishTiny = false;
      const timer = setInterval(() => {
        try {
          // One "run" per tick for three apps, as the node loops would.
          for (let k = 0; k < 3; k++) pub.publish('runs', 'a', { seq: seq++ });
          if (publishTiny) tiny.publish('runs', 'tiny', { seq: tinySeq++ });
        } catch {
          throws++;
        }
      }, 20);
      try {
        await new Promise((r) => setTimeout(r, 1000));
        const before = seq;
        const stopAt = Date.now();
        await run('bash', ['scripts/real/kafka.sh', 'stop'], { timeout: 60_000 });
        publishTiny = true;
        await waitFor(() => pub.state === 'down', 30_000, 'the publisher to notice the broker is gone');
        await waitFor(() => tinySeq >= 100, 30_000, 'the tiny publisher to publish 100 messages during the outage');
        publishTiny = false;
        expect(pub.buffered).toBeGreaterThan(0);
        const bufferedAtRestart = pub.buffered;
        await run('bash', ['scripts/real/kafka.sh', 'start'], { timeout: 300_000, env: scriptEnv });
        const outageMs = Date.now() - stopAt;
        const during = seq - before;
        await new Promise((r) => setTimeout(r, 1000));
        clearInterval(timer);
        expect(await pub.flush(60_000)).toBe(true);
        expect(await tiny.flush(60_000)).toBe(true);
        const total = seq;
        await waitFor(() => (got.get('a')?.size ?? 0) >= total, 90_000, `all ${total} messages of the node at the subscriber`).catch((e) => {
          // Say what the consumer went through, so a failure here can be diagnosed from CI output.
          throw new Error(`${(e as Error).message}; got ${got.get('a')?.size ?? 0}, publisher sent ${pub.sent} dropped ${pub.dropped}; subscriber log:\n${subLog.lines.slice(-40).join('')}`);
        });
        expect(throws).toBe(0);
        expect(pub.dropped).toBe(0);
        expect(during).toBeGreaterThan(0);
        expect([...got.get('a')!].sort((x, y) => x - y)).toEqual([...Array(total).keys()]);
        expect(log.text()).toMatch(/Kafka unreachable: buffering telemetry/);
        expect(log.text()).toMatch(/Kafka reachable again/);
        expect(log.text()).toMatch(/caught up/);
        // The tiny node: kept exactly its newest 20 of the outage, counted and logged the rest.
        await waitFor(() => (got.get('tiny')?.size ?? 0) >= 21, 30_000, "the tiny node's newest 20");
        const tinyGot = [...got.get('tiny')!].sort((x, y) => x - y);
        expect(tiny.dropped).toBe(tinySeq - 20);
        expect(tinyGot).toEqual([-1, ...Array.from({ length: 20 }, (_, i) => tinySeq - 20 + i)]);
        expect(small.text()).toMatch(/dropping the oldest/);
        console.info(
          `kafka outage: ${outageMs} ms down (stop+start), ${total} messages published, ${during} while it was stopped or starting, ` +
            `${bufferedAtRestart} buffered at restart, all ${total} delivered, ${tiny.dropped} dropped by the 20-message node`,
        );
      } finally {
        clearInterval(timer);
        // Leave the broker running for the rest of the tier whatever happened.
        await run('bash', ['scripts/real/kafka.sh', 'start'], { timeout: 300_000, env: scriptEnv }).catch(() => {});
      }
    },
    480_000,
  );
});
