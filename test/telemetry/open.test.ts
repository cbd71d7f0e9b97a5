import { describe, expect, it } from 'vitest';
import { openTelemetry } from '../../telemetry/open.js';
import { IpcTelemetryPublisher, IpcTelemetrySubscriber } from '../../telemetry/ipc-bus.js';
import { KafkaTelemetryPublisher, KafkaTelemetrySubscriber } from '../../telemetry/kafka/index.js';
import { UserError } from '../../model/errors.js';
import { readInfraConfig } from '../../util/config.js';
import { captureLogger } from './helpers.js';

const logger = captureLogger().logger;

describe('openTelemetry', () => {
  it('uses IPC when FOGSIM_KAFKA_BROKERS is unset', () => {
    const t = openTelemetry(readInfraConfig({}), { logger });
    expect(t.kind).toBe('ipc');
    expect(t.publisher()).toBeInstanceOf(IpcTelemetryPublisher);
    expect(t.subscriber()).toBeInstanceOf(IpcTelemetrySubscriber);
  });

  it('uses Kafka when FOGSIM_KAFKA_BROKERS is set (no connection until the first message)', async () => {
    const t = openTelemetry(readInfraConfig({ FOGSIM_KAFKA_BROKERS: '127.0.0.1:1, 127.0.0.1:2' }), { logger });
    expect(t.kind).toBe('kafka');
    expect(t.brokers).toEqual(['127.0.0.1:1', '127.0.0.1:2']);
    const p = t.publisher();
    expect(p).toBeInstanceOf(KafkaTelemetryPublisher);
    expect((p as KafkaTelemetryPublisher).state).toBe('idle');
    await p.close(0);
    expect(t.subscriber()).toBeInstanceOf(KafkaTelemetrySubscriber);
  });

  it('names the variable and the fix for bad settings', () => {
    const open = (env: Record<string, string>) => () => openTelemetry(readInfraConfig(env), { logger });
    expect(open({ FOGSIM_KAFKA_BROKERS: 'localhost' })).toThrow(UserError);
    expect(open({ FOGSIM_KAFKA_BROKERS: 'localhost' })).toThrow(/FOGSIM_KAFKA_BROKERS: "localhost" is not host:port/);
    expect(open({ FOGSIM_KAFKA_BROKERS: 'h:1', FOGSIM_KAFKA_PARTITIONS: 'three' })).toThrow(/FOGSIM_KAFKA_PARTITIONS: must be a whole number/);
    expect(open({ FOGSIM_KAFKA_BROKERS: 'h:1', FOGSIM_KAFKA_REPLICATION: '0' })).toThrow(/FOGSIM_KAFKA_REPLICATION/);
    expect(() => openTelemetry(readInfraConfig({ FOGSIM_KAFKA_BROKERS: 'h:1' }), { logger }, { FOGSIM_TELEMETRY_BUFFER: '-5' })).toThrow(/FOGSIM_TELEMETRY_BUFFER/);
  });

  it('takes the outage buffer bound from FOGSIM_TELEMETRY_BUFFER', async () => {
    const env = { FOGSIM_KAFKA_BROKERS: '127.0.0.1:1' };
    const p = openTelemetry(readInfraConfig(env), { logger }, { ...env, FOGSIM_TELEMETRY_BUFFER: '3' }).publisher() as KafkaTelemetryPublisher;
    for (let i = 0; i < 10; i++) p.publish('runs', '1', { i });
    expect(p.buffered).toBe(3);
    expect(p.dropped).toBe(7);
    await p.close(0);
  });
});
