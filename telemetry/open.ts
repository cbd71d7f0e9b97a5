import type { TelemetryPublisher } from './bus.js';
import { IpcTelemetryPublisher, IpcTelemetrySubscriber } from './ipc-bus.js';
import { KafkaTelemetryPublisher, KafkaTelemetrySubscriber, type KafkaPublisherOptions, type KafkaSubscriberOptions } from './kafka/index.js';
import { UserError } from '../model/errors.js';
import { readTelemetryBuffer, type InfraConfig } from '../util/config.js';
import { createLogger, type Logger } from '../util/logger.js';

export type TelemetryKind = 'kafka' | 'ipc';

export interface OpenTelemetryOptions {
  logger?: Logger;
  clientId?: string;
  topicPrefix?: string;
  /** Kafka publisher tuning (buffer bound, batch size, linger) */
  publisher?: Partial<KafkaPublisherOptions>;
  subscriber?: Partial<KafkaSubscriberOptions>;
}

export interface Telemetry {
  kind: TelemetryKind;
  /** brokers in use (kafka only) */
  brokers?: string[];
  /** for a node: where its telemetry goes */
  publisher(): KafkaTelemetryPublisher | IpcTelemetryPublisher;
  /** for the controller: with IPC, attach() each node's child process to the returned subscriber */
  subscriber(): KafkaTelemetrySubscriber | IpcTelemetrySubscriber;
}

/**
 * Chooses the telemetry bus from the configuration: Kafka when FOGSIM_KAFKA_BROKERS is set,
 * else IPC through the controller. Bad settings are user errors naming the variable.
 */
export function openTelemetry(cfg: InfraConfig, opts: OpenTelemetryOptions = {}, env: NodeJS.ProcessEnv = process.env): Telemetry {
  const logger = opts.logger ?? createLogger('telemetry');
  if (!cfg.kafkaBrokers?.length) {
    return {
      kind: 'ipc',
      publisher: () => new IpcTelemetryPublisher({ logger }),
      subscriber: () => new IpcTelemetrySubscriber({ logger }),
    };
  }
  // checked as host:port where the configuration was read (util/config.ts readKafkaBrokers)
  const brokers = cfg.kafkaBrokers;
  checkCount('FOGSIM_KAFKA_PARTITIONS', cfg.kafkaPartitions);
  checkCount('FOGSIM_KAFKA_REPLICATION', cfg.kafkaReplication);
  // the outage buffer bound per node (messages); read only when Kafka is in use
  const maxBuffered = readTelemetryBuffer(env);
  const common = { brokers, partitions: cfg.kafkaPartitions, replication: cfg.kafkaReplication, logger, topicPrefix: opts.topicPrefix, clientId: opts.clientId };
  return {
    kind: 'kafka',
    brokers,
    publisher: () => new KafkaTelemetryPublisher({ ...common, maxBuffered, ...opts.publisher }),
    subscriber: () => new KafkaTelemetrySubscriber({ ...common, ...opts.subscriber }),
  };
}

function checkCount(name: string, n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new UserError(`${name}: must be a whole number >= 1, got ${JSON.stringify(String(n))}; unset it for the default`);
}

/** A publisher that does nothing: for code paths that run without any controller (one-off jobs). */
export const nullTelemetryPublisher: TelemetryPublisher = { publish() {}, async close() {} };
