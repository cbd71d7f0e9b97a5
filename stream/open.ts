/**
 * Chooses the message bus: Kafka when FOGSIM_KAFKA_BROKERS is set, else the embedded log.
 * Kafka's module (and kafkajs) loads only when it is used.
 */
import type { ISocketFactory } from 'kafkajs';
import { readKafkaBrokers } from '../util/config.js';
import type { Logger } from '../util/logger.js';
import type { MessageBus } from './bus.js';
import { EmbeddedBus, type EmbeddedBusOptions } from './embedded-bus.js';

export interface OpenBusOptions {
  embedded?: EmbeddedBusOptions;
  socketFactory?: ISocketFactory;
  logger?: Logger;
  clientId?: string;
  autoCreatePartitions?: number;
  /** the brokers, as a session's configuration has them (empty: the embedded bus); unset: FOGSIM_KAFKA_BROKERS of `env` */
  brokers?: readonly string[];
  /** replication of the topics it creates on Kafka (InfraConfig.kafkaReplication; default 1) */
  replication?: number;
}

export async function openBus(opts: OpenBusOptions = {}, env: NodeJS.ProcessEnv = process.env): Promise<MessageBus> {
  const brokers = opts.brokers !== undefined ? (opts.brokers.length ? [...opts.brokers] : undefined) : readKafkaBrokers(env);
  if (!brokers) return new EmbeddedBus({ autoCreatePartitions: opts.autoCreatePartitions, ...opts.embedded });
  const { KafkaBus } = await import('./kafka-bus.js');
  return new KafkaBus({
    brokers,
    socketFactory: opts.socketFactory,
    logger: opts.logger,
    clientId: opts.clientId,
    autoCreatePartitions: opts.autoCreatePartitions,
    replication: opts.replication,
  });
}
