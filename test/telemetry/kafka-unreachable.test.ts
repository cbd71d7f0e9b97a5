import { describe, expect, it } from 'vitest';
import { KafkaTelemetryPublisher, KafkaTelemetrySubscriber } from '../../telemetry/kafka/index.js';
import { UnavailableError } from '../../model/errors.js';
import { captureLogger, waitFor } from './helpers.js';
import { closedPort } from '../helpers/ports.js';


// No broker needed: Kafka is "away" from the start (connection refused). The real outage,
// a broker stopped and restarted mid-run, is in test/real/kafka.test.ts.
describe('KafkaTelemetryPublisher with Kafka away', () => {
  it('never throws or blocks, says it is buffering, keeps the newest within the bound', async () => {
    const { logger, text } = captureLogger();
    const pub = new KafkaTelemetryPublisher({ brokers: [`127.0.0.1:${await closedPort()}`], maxBuffered: 100, logger, retryMinMs: 50, retryMaxMs: 200 });
    // publish() only appends: 1000 calls take well under a millisecond each, even on a busy
    // machine (a connect attempt inside publish would cost >= the 1.5 s connection timeout).
    const t0 = performance.now();
    for (let i = 0; i < 1000; i++) pub.publish('runs', String(i % 3), { seq: i });
    expect(performance.now() - t0).toBeLessThan(500);
    expect(pub.buffered).toBe(100);
    expect(pub.dropped).toBe(900);
    await waitFor(() => pub.state === 'down', 15_000, 'the publisher to notice the outage');
    expect(text()).toMatch(/Kafka unreachable: buffering telemetry/);
    expect(text()).toMatch(/dropping the oldest/);
    // More publishing while down still never throws and stays bounded.
    for (let i = 0; i < 50; i++) pub.publish('events', '1', { i });
    expect(pub.buffered).toBe(100);
    expect(await pub.flush(300)).toBe(false);
    await pub.close(100);
    expect(pub.state).toBe('closed');
    expect(text()).toMatch(/never acknowledged/);
    expect(() => pub.publish('runs', '1', {})).not.toThrow();
  });

  it('skips a payload that is not JSON, without throwing', async () => {
    const pub = new KafkaTelemetryPublisher({ brokers: ['127.0.0.1:1'], logger: captureLogger().logger });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => pub.publish('runs', '1', circular)).not.toThrow();
    expect(pub.rejected).toBe(1);
    expect(pub.buffered).toBe(0);
    await pub.close(0);
  });

  it('a subscriber with Kafka away fails with a retriable UnavailableError naming the brokers', async () => {
    const brokers = [`127.0.0.1:${await closedPort()}`];
    const sub = new KafkaTelemetrySubscriber({ brokers, logger: captureLogger().logger });
    const err = await sub.subscribe(() => undefined).catch((e: unknown) => e);
    await sub.close();
    expect(err).toBeInstanceOf(UnavailableError);
    expect(err).toMatchObject({ code: 'UNAVAILABLE', httpStatus: 503, retriable: true });
    expect((err as Error).message).toContain(`Kafka at ${brokers[0]} (FOGSIM_KAFKA_BROKERS) is not reachable`);
  }, 30_000);
});
